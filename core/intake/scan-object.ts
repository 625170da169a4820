import type { Readable } from 'node:stream';

import {
  GetObjectCommand,
  GetObjectTaggingCommand,
  PutObjectTaggingCommand,
  type S3Client,
} from '@aws-sdk/client-s3';

import {
  guardDutyVerdict,
  type GuardDutyScanResult,
  type InconclusivePolicy,
} from '../events/guardduty-scan-result';
import type { ScanTrigger } from '../events/intake-message';
import type { ScanResultDetail } from '../events/scan-result-event';
import type { ScanEngine, ScanInput } from '../scan/scan-engine';
import { scanStream } from '../scan/scan-stream';
import type { EngineVerdict, ScanStatus } from '../scan/verdict';
import {
  StatusNotFoundError,
  type RecordedVerdict,
  type StatusRecord,
  type StatusStore,
} from '../status/upload-status';
import { FINAL_SCAN_STATUSES, TAG_KEYS, verdictTags } from '../contracts/object-tags';
import type { PipelineLogger } from '../logging/pipeline-logger';
import type { ResultsPublisher } from '../events/results-publisher';
import { isObjectMissing } from '../aws/s3-errors';
import { headSourceObject, type SourceObject } from './source-object';
import { NON_FINAL_STATUSES, OWNER_REASONS } from '../status/status-transitions';
import { parseUploadKey, type UploadKey } from '../contracts/upload-key';
import { bindUploadVersion, formReusedVerdict, listKeyVersions } from './upload-versions';

/**
 * Engine name on tags and verdicts the pipeline decides itself: objects rejected before any engine ran (bad key,
 * metadata mismatch, no record) and clean later versions under a used form (`form-reused`).
 */
export const PIPELINE_ENGINE_NAME = 'pipeline';

export interface ScanConfig {
  readonly uploadsBucket: string;
  /** What an inconclusive GuardDuty result becomes. */
  readonly guardDutyInconclusive: InconclusivePolicy;
}

export interface ScanDependencies {
  readonly s3: S3Client;
  /** Where verdicts go: the results bus on AWS, routed local queues in local mode. */
  readonly results: ResultsPublisher;
  readonly statusStore: StatusStore;
  /** Built-in engine, plus clamd when configured. */
  readonly engines: readonly ScanEngine[];
  readonly config: ScanConfig;
  readonly logger: PipelineLogger;
  readonly now?: () => Date;
}

/**
 * What happened to one object version. `published`: scanned, tagged, result on the bus · `republished`: the version
 * already had its final verdict, the same result was put on the bus again · `form-reused`: a later version under an
 * upload's key (its form used again), scanned, tagged and published for quarantine (upload-versions.ts) ·
 * `rejected`: not an upload of the flow (key outside the layout, metadata mismatch, no status record), tagged
 * SUSPICIOUS, not processed · `gone`: the object or version no longer exists · `ignored`: not in the uploads bucket.
 */
export type ScanOutcome =
  | {
      readonly kind: 'published' | 'republished' | 'form-reused';
      readonly status: ScanStatus;
      readonly key: string;
      readonly versionId: string;
    }
  | { readonly kind: 'rejected' | 'gone' | 'ignored'; readonly key: string; readonly reason: string };

/**
 * The scan could not complete (an engine failed: clamd down, a short read): the version is tagged ERROR and the
 * status is `error`, and the record must FAIL so SQS retries it (DLQ after maxReceiveCount).
 */
export class ScanIncompleteError extends Error {
  constructor(
    readonly key: string,
    reason: string | undefined,
  ) {
    super(`scan of ${key} could not complete: ${reason ?? 'unknown reason'}`);
    this.name = 'ScanIncompleteError';
  }
}

/**
 * Scans every object version one intake message names, and returns one outcome per version. An event with a version
 * id names exactly that version; one without (Ceph RGW sends an empty versionId, local mode's requeue sends none)
 * names every version of the exact key, listed with ListObjectVersions: each is handled explicitly, so a second POST
 * of the same form is never left unscanned and no verdict is ever attributed to "the current version". When one
 * version fails, the others are still handled and the first failure is thrown at the end (the message is retried,
 * and the handled versions take their idempotent re-run path).
 */
export async function scanObject(trigger: ScanTrigger, deps: ScanDependencies): Promise<ScanOutcome[]> {
  const { s3, config, logger } = deps;
  const { object: ref } = trigger;
  const context = { bucket: ref.bucket, key: ref.key, versionId: ref.versionId, source: ref.source };

  if (ref.bucket !== config.uploadsBucket) {
    logger.warn('event for an object outside the uploads bucket ignored', context);
    return [{ kind: 'ignored', key: ref.key, reason: 'not the uploads bucket' }];
  }
  const upload = parseUploadKey(ref.key);
  const versionIds = ref.versionId ? [ref.versionId] : await listKeyVersions(s3, ref.bucket, ref.key);
  if (versionIds.length === 0) return [await objectGone(ref.key, upload?.uploadId, undefined, deps, context)];
  if (versionIds.length > 1) {
    logger.warn('several versions under one uploads key: each is scanned on its own', {
      ...context,
      versions: versionIds.length,
    });
  }
  const outcomes: ScanOutcome[] = [];
  const failures: unknown[] = [];
  for (const versionId of versionIds) {
    try {
      outcomes.push(await scanOneVersion(trigger, versionId, versionIds.length, upload, deps));
    } catch (error) {
      failures.push(error);
    }
  }
  if (failures.length > 0) throw failures[0];
  return outcomes;
}

/**
 * Scans one version. Idempotent on bucket + key + versionId:
 *
 * Order of writes for the version the upload is bound to: bind the record (first scan only) → status `scanning` →
 * scan → status record gets the verdict → version tagged → result published. Every status write is conditional on
 * the record being bound to THIS version. A re-run (duplicate delivery, or a retry after a crash) first reads the
 * version's tags: a final `scan-status` tag together with the same verdict on the status record for the same version
 * means every write but the publish is known to be done, so the recorded verdict is published AGAIN rather than
 * skipped. Skipping would lose the event if the first run crashed between tagging and PutEvents, and nothing else can
 * tell whether PutEvents happened; the consumers are idempotent on the version (a second CLEAN or INFECTED result for
 * an already moved version finds the source gone and the record final), so at-least-once delivery is the safe
 * choice. Without that evidence (no tag, or ERROR, or the record lacks the verdict) the object is scanned again; a
 * scan is deterministic for the same bytes.
 *
 * A later version under the same key (the form used again) is scanned, tagged with its form-reused verdict and
 * published for quarantine; it writes nothing on the record. Its re-run scans again (its verdict lives on no record).
 */
async function scanOneVersion(
  trigger: ScanTrigger,
  versionId: string,
  versionCount: number,
  upload: UploadKey | undefined,
  deps: ScanDependencies,
): Promise<ScanOutcome> {
  const { s3, statusStore, logger } = deps;
  const { object: ref } = trigger;
  const now = deps.now ?? (() => new Date());
  const context = { bucket: ref.bucket, key: ref.key, versionId, source: ref.source };

  const source = await headSourceObject(s3, ref.bucket, ref.key, versionId);
  if (!source) return objectGone(ref.key, upload?.uploadId, versionId, deps, context);
  if (!upload) {
    return reject(source, undefined, `key outside the uploads layout`, deps, context);
  }
  const found = await statusStore.get(upload.uploadId);
  if (!found) {
    return reject(source, undefined, 'no status record for the upload id', deps, context);
  }
  const { role, record } = await bindUploadVersion(s3, statusStore, found, source);
  const declaredId = source.metadata['upload-id'];
  if (declaredId !== upload.uploadId) {
    return reject(
      source,
      role === 'upload' ? upload.uploadId : undefined,
      `metadata upload-id ${declaredId === undefined ? 'missing' : `'${declaredId}'`} does not match the key's ${upload.uploadId}`,
      deps,
      context,
    );
  }
  const guardDuty = guardDutyFor(trigger, source, versionCount);
  if (role === 'form-reused') return scanReusedVersion(source, record, guardDuty, deps, now, context);

  const previous = await finalVerdictOf(source, record, deps);
  if (previous) {
    logger.info('version already has its final verdict; publishing it again', {
      ...context,
      status: previous.status,
    });
    await deps.results.publish(resultDetail(source, record, previous));
    return { kind: 'republished', status: previous.status, key: source.key, versionId };
  }

  await statusStore.update(record.uploadId, { status: 'scanning' }, NON_FINAL_STATUSES, versionId);
  const verdict = await scanVersion(source, record, guardDuty, deps, now);
  if (verdict === undefined) return objectGone(source.key, upload.uploadId, versionId, deps, context);

  const incomplete = verdict.status === 'ERROR';
  await statusStore.update(
    record.uploadId,
    {
      verdict,
      ...(incomplete ? { status: 'error', reason: OWNER_REASONS.scanIncomplete } : {}),
    },
    NON_FINAL_STATUSES,
    versionId,
  );
  await tagVersion(s3, source, verdict);
  if (incomplete) {
    logger.error('scan could not complete; the record fails and is retried', {
      ...context,
      engine: verdict.engine,
      reason: verdict.reason,
    });
    throw new ScanIncompleteError(source.key, verdict.reason);
  }
  await deps.results.publish(resultDetail(source, record, verdict));
  logger.info('scan result published', { ...context, status: verdict.status, engine: verdict.engine });
  return { kind: 'published', status: verdict.status, key: source.key, versionId };
}

/** A later version under an upload's key: scanned, tagged and published for quarantine as `form-reused`. */
async function scanReusedVersion(
  source: SourceObject,
  record: StatusRecord,
  guardDuty: GuardDutyScanResult | undefined,
  deps: ScanDependencies,
  now: () => Date,
  context: Record<string, unknown>,
): Promise<ScanOutcome> {
  deps.logger.warn('a later version under an upload key (its presigned form was used again): quarantined', {
    ...context,
    uploadId: record.uploadId,
    boundVersionId: record.sourceVersionId,
  });
  const scanned = await scanVersion(source, record, guardDuty, deps, now);
  if (scanned === undefined) return objectGone(source.key, undefined, source.versionId, deps, context);
  const verdict = formReusedVerdict(scanned, PIPELINE_ENGINE_NAME);
  await tagVersion(deps.s3, source, verdict);
  if (verdict.status === 'ERROR') throw new ScanIncompleteError(source.key, verdict.reason);
  await deps.results.publish({ ...resultDetail(source, record, verdict), formReused: true });
  return { kind: 'form-reused', status: verdict.status, key: source.key, versionId: source.versionId };
}

/**
 * GuardDuty's result joins the scan of the version it is about, never another one: the event's version when it names
 * one; else the version whose ETag is the event's; else the only version of the key. A result that cannot be tied
 * to one of several versions is left out (each version is still scanned by the engines).
 */
function guardDutyFor(
  trigger: ScanTrigger,
  source: SourceObject,
  versionCount: number,
): GuardDutyScanResult | undefined {
  const { guardDuty, object } = trigger;
  if (!guardDuty || object.versionId) return guardDuty;
  if (object.eTag && source.eTag)
    return object.eTag.replace(/"/g, '') === source.eTag ? guardDuty : undefined;
  return versionCount === 1 ? guardDuty : undefined;
}

/** The recorded verdict when the version carries a final tag that agrees with the status record, else undefined. */
async function finalVerdictOf(
  source: SourceObject,
  record: StatusRecord,
  deps: ScanDependencies,
): Promise<RecordedVerdict | undefined> {
  if (!record.verdict || record.sourceVersionId !== source.versionId) return undefined;
  const tagging = await deps.s3.send(
    new GetObjectTaggingCommand({ Bucket: source.bucket, Key: source.key, VersionId: source.versionId }),
  );
  const tagged = tagging.TagSet?.find((tag) => tag.Key === TAG_KEYS.status)?.Value;
  if (tagged === undefined || !FINAL_SCAN_STATUSES.has(tagged) || tagged !== record.verdict.status) {
    return undefined;
  }
  return record.verdict;
}

/** Streams the version through the engines (never buffered whole). Undefined when the version vanished meanwhile. */
async function scanVersion(
  source: SourceObject,
  record: StatusRecord,
  guardDuty: GuardDutyScanResult | undefined,
  deps: ScanDependencies,
  now: () => Date,
): Promise<RecordedVerdict | undefined> {
  let body: Readable;
  try {
    const object = await deps.s3.send(
      new GetObjectCommand({ Bucket: source.bucket, Key: source.key, VersionId: source.versionId }),
    );
    if (!object.Body) throw new Error(`GetObject ${source.key} returned no body`);
    body = object.Body as Readable;
  } catch (error) {
    if (isObjectMissing(error)) return undefined;
    throw error;
  }
  const engines = guardDuty
    ? [...deps.engines, fixedVerdictEngine(guardDutyVerdict(guardDuty, deps.config.guardDutyInconclusive))]
    : deps.engines;
  const result = await scanStream(body, engines, {
    declaredContentType: source.contentType ?? record.contentType,
    fileName: record.fileName,
    size: source.size,
  });
  return {
    status: result.status,
    engine: result.engine,
    ...(result.signature !== undefined ? { signature: result.signature } : {}),
    ...(result.reason !== undefined ? { reason: result.reason } : {}),
    ...(result.detectedType !== undefined ? { detectedType: result.detectedType } : {}),
    sha256: result.sha256,
    size: result.bytesScanned,
    scannedAt: now().toISOString(),
  };
}

/** GuardDuty scanned the object already: its verdict joins the others as an engine that reads nothing. */
function fixedVerdictEngine(verdict: EngineVerdict): ScanEngine {
  return {
    name: verdict.engine,
    scan: async (_input: ScanInput) => verdict,
  };
}

/** Replaces the version's tags with exactly the four contract tags. */
async function tagVersion(
  s3: S3Client,
  source: SourceObject,
  verdict: Pick<RecordedVerdict, 'status' | 'engine' | 'signature' | 'scannedAt'>,
): Promise<void> {
  await s3.send(
    new PutObjectTaggingCommand({
      Bucket: source.bucket,
      Key: source.key,
      VersionId: source.versionId,
      Tagging: { TagSet: verdictTags(verdict) },
    }),
  );
}

/**
 * An object that is not an upload of the flow: tagged SUSPICIOUS (so the read gate keeps it closed), never scanned,
 * processed or published; the record named by the key (if any) goes to `error`. Acknowledged: a retry cannot fix it.
 */
async function reject(
  source: SourceObject,
  uploadId: string | undefined,
  reason: string,
  deps: ScanDependencies,
  context: Record<string, unknown>,
): Promise<ScanOutcome> {
  deps.logger.warn('object rejected without scanning', { ...context, reason });
  const scannedAt = (deps.now ?? (() => new Date()))().toISOString();
  await tagVersion(deps.s3, source, { status: 'SUSPICIOUS', engine: PIPELINE_ENGINE_NAME, scannedAt });
  if (uploadId !== undefined) await markError(uploadId, OWNER_REASONS.rejected, source.versionId, deps);
  return { kind: 'rejected', key: source.key, reason };
}

/**
 * The object or version no longer exists: logged, acknowledged. The record (if any) goes to `error` unless it is
 * bound to another version than `versionId` (a later version's disappearance says nothing about the upload).
 */
async function objectGone(
  key: string,
  uploadId: string | undefined,
  versionId: string | undefined,
  deps: ScanDependencies,
  context: Record<string, unknown>,
): Promise<ScanOutcome> {
  deps.logger.warn('object no longer exists; acknowledged without scanning', context);
  if (uploadId !== undefined) await markError(uploadId, OWNER_REASONS.objectGone, versionId, deps);
  return { kind: 'gone', key, reason: 'object or version no longer exists' };
}

/** Moves a non-final record to `error`, only while it is unbound or bound to `versionId` (when given). */
async function markError(
  uploadId: string,
  reason: string,
  versionId: string | undefined,
  deps: ScanDependencies,
): Promise<void> {
  try {
    await deps.statusStore.update(uploadId, { status: 'error', reason }, NON_FINAL_STATUSES, versionId);
  } catch (error) {
    if (!(error instanceof StatusNotFoundError)) throw error;
    // No record to update: the key only looked like an upload's.
  }
}

function resultDetail(
  source: SourceObject,
  record: StatusRecord,
  verdict: RecordedVerdict,
): ScanResultDetail {
  return {
    uploadId: record.uploadId,
    owner: record.owner,
    bucket: source.bucket,
    key: source.key,
    versionId: source.versionId,
    verdict,
  };
}
