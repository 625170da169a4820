import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';

import type { RecordedVerdict } from '../status/upload-status';
import type { VerifiedCopy } from './copy-and-verify';
import { isPreconditionFailed } from './s3-errors';
import type { ObjectVersion } from './source-object';
import type { UploadManifest } from './upload-manifest';

/**
 * `processed/<id>` (or its manifest) already holds something that is not the copy of this upload's bound version:
 * nothing is overwritten, the source stays in uploads, the record is retried and ends in the DLQ for a person.
 */
export class ProcessedConflictError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProcessedConflictError';
  }
}

/**
 * Writes into `processed` are create-only (`IfNoneMatch: '*'`, enforced by S3 and Ceph RGW): `processed/<id>` is
 * never replaced by different bytes. A 412 on a re-run (a crash after the copy, or a duplicate delivery running
 * alongside) counts as "already done" only when the object there is the copy of the same source version with the
 * same SHA-256 and size (its `source-version-id` and `sha256` metadata, written by moveMetadata); anything else is a
 * ProcessedConflictError.
 */
export async function existingProcessedCopy(
  s3: S3Client,
  destination: { readonly bucket: string; readonly key: string },
  source: ObjectVersion,
  verdict: Pick<RecordedVerdict, 'sha256' | 'size'>,
): Promise<VerifiedCopy> {
  const head = await s3.send(new HeadObjectCommand({ Bucket: destination.bucket, Key: destination.key }));
  const metadata = head.Metadata ?? {};
  const same =
    metadata['source-version-id'] === source.versionId &&
    metadata.sha256 === verdict.sha256 &&
    head.ContentLength === verdict.size;
  if (!same) {
    throw new ProcessedConflictError(
      `s3://${destination.bucket}/${destination.key} already holds ${head.ContentLength ?? '?'} bytes with SHA-256 ` +
        `${metadata.sha256 ?? 'unknown'} from source version ${metadata['source-version-id'] ?? 'unknown'}, ` +
        `not version ${source.versionId} (${verdict.size} bytes, ${verdict.sha256}): it is left as it is`,
    );
  }
  return {
    bucket: destination.bucket,
    key: destination.key,
    ...(head.VersionId ? { versionId: head.VersionId } : {}),
    method: 'existing',
  };
}

/**
 * Writes the manifest create-only and returns the manifest that is stored: `manifest` when written now, the earlier
 * run's when one exists for the same upload, source version and SHA-256 (ProcessedConflictError otherwise), so the
 * status record always repeats what is in the bucket.
 */
export async function putManifestOnce(
  s3: S3Client,
  target: { readonly bucket: string; readonly key: string; readonly kmsKeyId: string },
  manifest: UploadManifest,
): Promise<UploadManifest> {
  try {
    await s3.send(
      new PutObjectCommand({
        Bucket: target.bucket,
        Key: target.key,
        Body: JSON.stringify(manifest, null, 2),
        ContentType: 'application/json',
        ServerSideEncryption: 'aws:kms',
        SSEKMSKeyId: target.kmsKeyId,
        BucketKeyEnabled: true,
        IfNoneMatch: '*',
      }),
    );
    return manifest;
  } catch (error) {
    if (!isPreconditionFailed(error)) throw error;
  }
  const object = await s3.send(new GetObjectCommand({ Bucket: target.bucket, Key: target.key }));
  if (!object.Body) throw new Error(`GetObject ${target.key} returned no body`);
  const text = await object.Body.transformToString('utf8');
  let existing: UploadManifest;
  try {
    existing = JSON.parse(text) as UploadManifest;
  } catch (error) {
    if (!(error instanceof SyntaxError)) throw error;
    throw new ProcessedConflictError(`s3://${target.bucket}/${target.key} already exists and is not JSON`);
  }
  if (
    existing.uploadId !== manifest.uploadId ||
    existing.sha256 !== manifest.sha256 ||
    existing.source?.versionId !== manifest.source.versionId
  ) {
    throw new ProcessedConflictError(
      `s3://${target.bucket}/${target.key} already describes upload ${String(existing.uploadId)}, SHA-256 ` +
        `${String(existing.sha256)} from version ${String(existing.source?.versionId)}, not version ` +
        `${manifest.source.versionId} (${manifest.sha256}): it is left as it is`,
    );
  }
  return existing;
}
