import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';

import type { RecordedVerdict } from '../status/upload-status';
import type { VerifiedCopy } from './copy-and-verify';
import { isObjectMissing, isPreconditionFailed } from '../aws/s3-errors';
import type { ObjectVersion } from './source-object';
import type { UploadManifest } from '../contracts/upload-manifest';

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
 * Writes into `processed` are create-only, so `processed/<id>` is never replaced by different bytes. Two layers:
 * the pipeline first LOOKS (HeadObject, findProcessedCopy) and writes only when nothing is there, and the write
 * itself carries `IfNoneMatch: '*'`, which S3 enforces atomically (412). Ceph RGW 16 enforces it only on unversioned
 * buckets (measured: on a versioned bucket a second conditional PUT is stored as a new version), so there the look
 * is what holds; the race it leaves (two runs for the same upload looking at the same moment) can only write the
 * same bytes twice, since only the version the record is bound to is ever processed.
 *
 * An existing copy (a re-run after a crash, a duplicate delivery running alongside) counts as "already done" only
 * when it is the copy of the same source version with the same SHA-256 and size (its `source-version-id` and
 * `sha256` metadata, written by moveMetadata); anything else is a ProcessedConflictError.
 */
export async function findProcessedCopy(
  s3: S3Client,
  destination: { readonly bucket: string; readonly key: string },
  source: ObjectVersion,
  verdict: Pick<RecordedVerdict, 'sha256' | 'size'>,
): Promise<VerifiedCopy | undefined> {
  try {
    return await existingProcessedCopy(s3, destination, source, verdict);
  } catch (error) {
    if (isObjectMissing(error)) return undefined;
    throw error;
  }
}

/** The copy at `destination`, verified to be of `source` with the verdict's SHA-256 and size (see above). */
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
 * Writes the manifest create-only (look first, then a PUT with `IfNoneMatch: '*'`, as for the copy) and returns the
 * manifest that is stored: `manifest` when written now, the earlier run's when one exists for the same upload,
 * source version and SHA-256 (ProcessedConflictError otherwise), so the status record always repeats what is in
 * the bucket.
 */
export async function putManifestOnce(
  s3: S3Client,
  target: { readonly bucket: string; readonly key: string; readonly kmsKeyId: string },
  manifest: UploadManifest,
): Promise<UploadManifest> {
  const earlier = await readManifest(s3, target);
  if (earlier) return sameUploadManifest(target, earlier, manifest);
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
  const existing = await readManifest(s3, target);
  if (!existing) throw new Error(`PutObject ${target.key} answered 412, yet nothing is there`);
  return sameUploadManifest(target, existing, manifest);
}

/** The manifest stored at `target`, or undefined when there is none. */
async function readManifest(
  s3: S3Client,
  target: { readonly bucket: string; readonly key: string },
): Promise<UploadManifest | undefined> {
  let text: string;
  try {
    const object = await s3.send(new GetObjectCommand({ Bucket: target.bucket, Key: target.key }));
    if (!object.Body) throw new Error(`GetObject ${target.key} returned no body`);
    text = await object.Body.transformToString('utf8');
  } catch (error) {
    if (isObjectMissing(error)) return undefined;
    throw error;
  }
  try {
    return JSON.parse(text) as UploadManifest;
  } catch (error) {
    if (!(error instanceof SyntaxError)) throw error;
    throw new ProcessedConflictError(`s3://${target.bucket}/${target.key} already exists and is not JSON`);
  }
}

/** `existing` when it describes the same upload, source version and SHA-256 as `manifest`; else a conflict. */
function sameUploadManifest(
  target: { readonly bucket: string; readonly key: string },
  existing: UploadManifest,
  manifest: UploadManifest,
): UploadManifest {
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
