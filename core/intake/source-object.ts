import { GetObjectCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';

import { isObjectMissing } from '../aws/s3-errors';

/** One object version. */
export interface ObjectVersion {
  readonly bucket: string;
  readonly key: string;
  readonly versionId: string;
}

/** What HeadObject says about a version. */
export interface SourceObject extends ObjectVersion {
  readonly size: number;
  readonly contentType?: string;
  /** User metadata (keys without `x-amz-meta-`, lower-case). */
  readonly metadata: Readonly<Record<string, string>>;
  readonly lastModified?: Date;
  /** The version's ETag, without quotes. */
  readonly eTag?: string;
}

/**
 * HeadObject of a version (or of the current version when `versionId` is undefined: Ceph RGW events carry none).
 * Resolves undefined when the object or version is gone. Other errors (throttling, KMS or IAM AccessDenied)
 * propagate so the record is retried.
 */
export async function headSourceObject(
  s3: S3Client,
  bucket: string,
  key: string,
  versionId: string | undefined,
): Promise<SourceObject | undefined> {
  try {
    const head = await s3.send(
      new HeadObjectCommand({ Bucket: bucket, Key: key, ...(versionId ? { VersionId: versionId } : {}) }),
    );
    const resolved = versionId ?? head.VersionId;
    if (!resolved) {
      throw new Error(`s3://${bucket}/${key} has no version id: the bucket must be versioned`);
    }
    return {
      bucket,
      key,
      versionId: resolved,
      size: head.ContentLength ?? 0,
      ...(head.ContentType ? { contentType: head.ContentType } : {}),
      metadata: head.Metadata ?? {},
      ...(head.LastModified ? { lastModified: head.LastModified } : {}),
      ...(head.ETag ? { eTag: head.ETag.replace(/"/g, '') } : {}),
    };
  } catch (error) {
    if (isObjectMissing(error)) return undefined;
    throw error;
  }
}

/** A GetObject `Range` read of `[start, end]` (inclusive) of a version: small reads for headers only. */
export async function readObjectRange(
  s3: S3Client,
  object: ObjectVersion,
  start: number,
  end: number,
): Promise<Uint8Array> {
  const response = await s3.send(
    new GetObjectCommand({
      Bucket: object.bucket,
      Key: object.key,
      VersionId: object.versionId,
      Range: `bytes=${start}-${end}`,
    }),
  );
  if (!response.Body) throw new Error(`GetObject ${object.key} returned no body`);
  return response.Body.transformToByteArray();
}
