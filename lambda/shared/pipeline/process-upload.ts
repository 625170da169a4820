import { DeleteObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';

import { InvalidEventError } from '../events/invalid-event-error';
import type { ScanResultDetail } from '../events/scan-result-event';
import { recordedManifest } from '../status/recorded-manifest';
import { StatusNotFoundError, type StatusStore } from '../status/upload-status';
import { copyAndVerify, type VerifiedCopy } from './copy-and-verify';
import { readMediaMetadata } from './media-metadata';
import { moveMetadata } from './move-metadata';
import { verdictTags } from './object-tags';
import type { PipelineLogger } from './pipeline-logger';
import { headSourceObject } from './source-object';
import { NON_FINAL_STATUSES, OWNER_REASONS } from './status-transitions';
import { buildManifest, type UploadManifest } from './upload-manifest';
import { manifestKeyFor, parseUploadKey, processedKeyFor } from './upload-key';

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
 * Order: cheap metadata by ranged reads → verified copy → manifest → status `processed` → DeleteObject of the
 * source VERSION. Same guarantees as quarantine: until the delete the source is intact and a re-run copies,
 * verifies and writes the manifest again (same key, new versions) before deleting; the status is written before the
 * delete so a re-run that finds the source gone can tell "done" from "lost".
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
  const record = await statusStore.get(detail.uploadId);
  if (!record) throw new StatusNotFoundError(detail.uploadId);
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
    );
    return { kind: 'source-missing', key: detail.key };
  }

  const contentType = verdict.detectedType ?? record.contentType;
  const media = await readMediaMetadata(s3, source, contentType, source.size);
  const copy = await copyAndVerify(
    s3,
    source,
    {
      bucket: config.processedBucket,
      key: processedKey,
      kmsKeyId: config.processedKeyId,
      contentType,
      metadata: moveMetadata(source.metadata, detail),
      tags: verdictTags(verdict),
    },
    verdict,
    logger,
  );
  const manifest = buildManifest({
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
  await s3.send(
    new PutObjectCommand({
      Bucket: config.processedBucket,
      Key: manifestKeyFor(processedKey),
      Body: JSON.stringify(manifest, null, 2),
      ContentType: 'application/json',
      ServerSideEncryption: 'aws:kms',
      SSEKMSKeyId: config.processedKeyId,
      BucketKeyEnabled: true,
    }),
  );
  await statusStore.update(
    detail.uploadId,
    { status: 'processed', processedKey, manifest: recordedManifest(manifest) },
    NON_FINAL_STATUSES,
  );
  await s3.send(
    new DeleteObjectCommand({ Bucket: source.bucket, Key: source.key, VersionId: source.versionId }),
  );
  logger.info('processed', { ...context, processedKey, method: copy.method, contentType });
  return { kind: 'processed', processedKey, copy, manifest };
}
