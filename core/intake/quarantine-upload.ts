import { DeleteObjectCommand, type S3Client } from '@aws-sdk/client-s3';

import { InvalidEventError } from '../events/invalid-event-error';
import type { ScanResultDetail } from '../events/scan-result-event';
import type { StatusStore } from '../status/upload-status';
import { copyAndVerify, type VerifiedCopy } from './copy-and-verify';
import { moveMetadata } from './move-metadata';
import { verdictTags } from '../contracts/object-tags';
import type { PipelineLogger } from '../logging/pipeline-logger';
import { headSourceObject } from './source-object';
import { NON_FINAL_STATUSES, OWNER_REASONS } from '../status/status-transitions';
import { formReusedQuarantineKeyFor, parseUploadKey, quarantineKeyFor } from '../contracts/upload-key';

export interface QuarantineConfig {
  readonly uploadsBucket: string;
  readonly quarantineBucket: string;
  /** KMS key id or ARN of the quarantine bucket's key. */
  readonly quarantineKeyId: string;
}

export interface QuarantineDependencies {
  readonly s3: S3Client;
  readonly statusStore: StatusStore;
  readonly config: QuarantineConfig;
  readonly logger: PipelineLogger;
}

export type QuarantineOutcome =
  | {
      readonly kind: 'quarantined';
      readonly quarantineKey: string;
      readonly copy: VerifiedCopy;
      /** When the upload landed: the source version's LastModified, where S3 reported one. */
      readonly uploadedAt?: Date;
    }
  | { readonly kind: 'already-quarantined' | 'source-missing'; readonly key: string };

/**
 * Moves an INFECTED or SUSPICIOUS upload version into `quarantine/<uploadId>/<original name>`.
 *
 * Order: verified copy (copyAndVerify) → status `quarantined` with quarantineKey → DeleteObject of the source
 * VERSION. The status is written before the delete because the quarantine bucket cannot be read by the pipeline: a
 * re-run that finds the source gone relies on the record to tell "moved" from "lost". A crash anywhere leaves the
 * object in at least one place: before the delete, the source is intact and a re-run copies again (a new,
 * re-verified version; the older one expires as noncurrent) and then deletes; after it, the record says so.
 * A missing status record does not stop the isolation of a dangerous object (the name falls back to the key's).
 *
 * A later version under the upload's key (`formReused`, or any version other than the one the record is bound to,
 * upload-versions.ts) goes to its own key, `quarantine/<uploadId>/form-reused/<versionId>/<name>`, and never changes
 * the record: the record is the first version's. Its re-run that finds the source gone cannot read the quarantine
 * bucket to tell "moved" from "lost"; the pipeline deletes a source version only after its verified copy, so it is
 * reported as already quarantined.
 */
export async function quarantineUpload(
  detail: ScanResultDetail,
  deps: QuarantineDependencies,
): Promise<QuarantineOutcome> {
  const { s3, statusStore, config, logger } = deps;
  const context = { uploadId: detail.uploadId, key: detail.key, versionId: detail.versionId };
  if (detail.verdict.status !== 'INFECTED' && detail.verdict.status !== 'SUSPICIOUS') {
    throw new InvalidEventError(
      `verdict.status: quarantine takes INFECTED or SUSPICIOUS, got ${detail.verdict.status}`,
    );
  }
  if (detail.bucket !== config.uploadsBucket) {
    throw new InvalidEventError(`bucket: expected the uploads bucket, got ${detail.bucket}`);
  }
  const record = await statusStore.get(detail.uploadId);
  const upload = parseUploadKey(detail.key);
  const fallbackName = upload
    ? `${upload.uploadId}.${upload.extension}`
    : (detail.key.split('/').pop() ?? 'object');
  const reused =
    detail.formReused === true ||
    (record?.sourceVersionId !== undefined && record.sourceVersionId !== detail.versionId);
  const quarantineKey = reused
    ? formReusedQuarantineKeyFor(detail.uploadId, detail.versionId, record?.fileName, fallbackName)
    : quarantineKeyFor(detail.uploadId, record?.fileName, fallbackName);

  const source = await headSourceObject(s3, detail.bucket, detail.key, detail.versionId);
  if (!source) {
    if (reused) {
      logger.info('form-reused version already quarantined (duplicate or re-run)', {
        ...context,
        quarantineKey,
      });
      return { kind: 'already-quarantined', key: detail.key };
    }
    if (record?.status === 'quarantined' && record.quarantineKey === quarantineKey) {
      logger.info('already quarantined (duplicate or re-run)', context);
      return { kind: 'already-quarantined', key: detail.key };
    }
    logger.error('source version gone before it was quarantined', context);
    if (record) {
      await statusStore.update(
        detail.uploadId,
        { status: 'error', reason: OWNER_REASONS.objectGone },
        NON_FINAL_STATUSES,
        detail.versionId,
      );
    }
    return { kind: 'source-missing', key: detail.key };
  }

  const copy = await copyAndVerify(
    s3,
    source,
    {
      bucket: config.quarantineBucket,
      key: quarantineKey,
      kmsKeyId: config.quarantineKeyId,
      ...(source.contentType ? { contentType: source.contentType } : {}),
      metadata: moveMetadata(source.metadata, detail),
      tags: verdictTags(detail.verdict),
    },
    detail.verdict,
    logger,
  );
  if (reused) {
    logger.warn('form-reused version quarantined; the upload record is left to its first version', {
      ...context,
      quarantineKey,
    });
  } else if (record) {
    await statusStore.update(
      detail.uploadId,
      { status: 'quarantined', quarantineKey },
      NON_FINAL_STATUSES,
      detail.versionId,
    );
  } else {
    logger.warn('quarantined an object without a status record', { ...context, quarantineKey });
  }
  await s3.send(
    new DeleteObjectCommand({ Bucket: source.bucket, Key: source.key, VersionId: source.versionId }),
  );
  logger.info('quarantined', {
    ...context,
    quarantineKey,
    method: copy.method,
    status: detail.verdict.status,
  });
  return {
    kind: 'quarantined',
    quarantineKey,
    copy,
    ...(source.lastModified ? { uploadedAt: source.lastModified } : {}),
  };
}
