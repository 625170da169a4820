import { DeleteObjectCommand, type S3Client } from '@aws-sdk/client-s3';

import { InvalidEventError } from '../events/invalid-event-error';
import type { ScanResultDetail } from '../events/scan-result-event';
import { recordedManifest } from '../status/recorded-manifest';
import { StatusNotFoundError, type StatusStore } from '../status/upload-status';
import { copyAndVerify, type VerifiedCopy } from './copy-and-verify';
import { readMediaMetadata } from '../media/media-metadata';
import { moveMetadata } from './move-metadata';
import { verdictTags } from '../contracts/object-tags';
import type { PipelineLogger } from '../logging/pipeline-logger';
import { existingProcessedCopy, findProcessedCopy, putManifestOnce } from './processed-writes';
import { isPreconditionFailed } from '../aws/s3-errors';
import { headSourceObject, type SourceObject } from './source-object';
import { NON_FINAL_STATUSES, OWNER_REASONS } from '../status/status-transitions';
import { buildManifest, type UploadManifest } from '../contracts/upload-manifest';
import { manifestKeyFor, parseUploadKey, processedKeyFor } from '../contracts/upload-key';

export interface ProcessConfig {
  readonly uploadsBucket: string;
  readonly processedBucket: string;
  /** KMS key id or ARN of the processed bucket's key. */
  readonly processedKeyId: string;
}

export interface ProcessDependencies {
  readonly s3: S3Client;
  readonly statusStore: StatusStore;
  readonly config: ProcessConfig;
  readonly logger: PipelineLogger;
  readonly now?: () => Date;
}

export type ProcessOutcome =
  | {
      readonly kind: 'processed';
      readonly processedKey: string;
      readonly copy: VerifiedCopy;
      readonly manifest: UploadManifest;
    }
  | { readonly kind: 'already-processed' | 'source-missing'; readonly key: string };

/**
 * Moves a CLEAN upload version to `processed/<userId>/<yyyy>/<mm>/<dd>/<uploadId>.<ext>` with the detected
 * Content-Type, writes `<key>.manifest.json` beside it, then deletes the source version.
 *
 * Only the version the status record is bound to (the first version under the upload key, upload-versions.ts) is
 * ever processed: a result for any other version, or one marked `formReused`, is refused. Writes into `processed`
 * are create-only (processed-writes.ts), so `processed/<id>` is never replaced by different bytes.
 *
 * Order: cheap metadata by ranged reads → verified create-only copy → create-only manifest → status `processed`
 * (conditional on the bound version) → DeleteObject of the source VERSION. Until the delete the source is intact;
 * a re-run finds the copy and the manifest of the earlier run (same source version and SHA-256: done), records
 * the stored manifest and deletes; the status is written before the delete so a re-run that finds the source gone
 * can tell "done" from "lost".
 */
export async function processUpload(
  detail: ScanResultDetail,
  deps: ProcessDependencies,
): Promise<ProcessOutcome> {
  const { s3, statusStore, config, logger } = deps;
  const now = deps.now ?? (() => new Date());
  const context = { uploadId: detail.uploadId, key: detail.key, versionId: detail.versionId };
  const { verdict } = detail;
  if (verdict.status !== 'CLEAN') {
    throw new InvalidEventError(`verdict.status: process takes CLEAN, got ${verdict.status}`);
  }
  if (detail.bucket !== config.uploadsBucket) {
    throw new InvalidEventError(`bucket: expected the uploads bucket, got ${detail.bucket}`);
  }
  const upload = parseUploadKey(detail.key);
  if (!upload || upload.uploadId !== detail.uploadId) {
    throw new InvalidEventError(`key: ${detail.key} is not the uploads key of ${detail.uploadId}`);
  }
  if (detail.formReused) {
    throw new InvalidEventError(`formReused: a later version under a used form is never processed`);
  }
  const record = await statusStore.get(detail.uploadId);
  if (!record) throw new StatusNotFoundError(detail.uploadId);
  if (record.sourceVersionId !== detail.versionId) {
    throw new InvalidEventError(
      `versionId: ${detail.versionId} is not the version upload ${detail.uploadId} is bound to ` +
        `(${record.sourceVersionId ?? 'none yet'}); only that version is ever processed`,
    );
  }
  const processedKey = processedKeyFor(upload);

  const source = await headSourceObject(s3, detail.bucket, detail.key, detail.versionId);
  if (!source) {
    if (record.status === 'processed' && record.processedKey === processedKey) {
      logger.info('already processed (duplicate or re-run)', context);
      return { kind: 'already-processed', key: detail.key };
    }
    logger.error('source version gone before it was processed', context);
    await statusStore.update(
      detail.uploadId,
      { status: 'error', reason: OWNER_REASONS.objectGone },
      NON_FINAL_STATUSES,
      detail.versionId,
    );
    return { kind: 'source-missing', key: detail.key };
  }

  const contentType = verdict.detectedType ?? record.contentType;
  const media = await readMediaMetadata(s3, source, contentType, source.size);
  const copy = await createOnlyCopy(deps, source, processedKey, contentType, detail);
  const built = buildManifest({
    record,
    verdict,
    contentType,
    source,
    processed: {
      bucket: copy.bucket,
      key: copy.key,
      ...(copy.versionId ? { versionId: copy.versionId } : {}),
    },
    uploadedAt: (source.lastModified ?? new Date(record.createdAt)).toISOString(),
    processedAt: now().toISOString(),
    media,
  });
  const manifest = await putManifestOnce(
    s3,
    { bucket: config.processedBucket, key: manifestKeyFor(processedKey), kmsKeyId: config.processedKeyId },
    built,
  );
  await statusStore.update(
    detail.uploadId,
    { status: 'processed', processedKey, manifest: recordedManifest(manifest) },
    NON_FINAL_STATUSES,
    detail.versionId,
  );
  await s3.send(
    new DeleteObjectCommand({ Bucket: source.bucket, Key: source.key, VersionId: source.versionId }),
  );
  logger.info('processed', { ...context, processedKey, method: copy.method, contentType });
  return { kind: 'processed', processedKey, copy, manifest };
}

/** The verified create-only copy into processed, or the earlier run's copy of the same version (processed-writes.ts). */
async function createOnlyCopy(
  deps: ProcessDependencies,
  source: SourceObject,
  processedKey: string,
  contentType: string,
  detail: ScanResultDetail,
): Promise<VerifiedCopy> {
  const { s3, config, logger } = deps;
  const destination = { bucket: config.processedBucket, key: processedKey };
  const earlier = await findProcessedCopy(s3, destination, source, detail.verdict);
  if (earlier) {
    logger.info('processed copy of this version exists (re-run or duplicate)', {
      uploadId: detail.uploadId,
      processedKey,
      versionId: source.versionId,
    });
    return earlier;
  }
  try {
    return await copyAndVerify(
      s3,
      source,
      {
        bucket: config.processedBucket,
        key: processedKey,
        kmsKeyId: config.processedKeyId,
        contentType,
        metadata: moveMetadata(source.metadata, detail),
        tags: verdictTags(detail.verdict),
        createOnly: true,
      },
      detail.verdict,
      logger,
    );
  } catch (error) {
    if (!isPreconditionFailed(error)) throw error;
    logger.info('processed copy exists (re-run or duplicate); verifying it is this version', {
      uploadId: detail.uploadId,
      processedKey,
      versionId: source.versionId,
    });
    return existingProcessedCopy(
      s3,
      { bucket: config.processedBucket, key: processedKey },
      source,
      detail.verdict,
    );
  }
}
