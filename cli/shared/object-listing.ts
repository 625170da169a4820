import { ListObjectsV2Command, ListObjectVersionsCommand, type S3Client } from '@aws-sdk/client-s3';
import { inContext } from './failures';

/** One version (or delete marker) of an object, as ListObjectVersions reports it. */
export interface ObjectVersionEntry {
  readonly key: string;
  readonly versionId?: string;
  readonly isLatest: boolean;
  readonly deleteMarker: boolean;
  /** Bytes; 0 for delete markers. */
  readonly size: number;
  /** STANDARD when S3 leaves it out. */
  readonly storageClass: string;
  readonly lastModified?: Date;
}

/** One current object, as ListObjectsV2 reports it. */
export interface ObjectEntry {
  readonly key: string;
  readonly size: number;
  readonly storageClass: string;
  readonly lastModified?: Date;
}

/** Every version and delete marker under `prefix`, page by page (KeyMarker + VersionIdMarker). */
export async function* listObjectVersions(
  s3: S3Client,
  bucket: string,
  prefix?: string,
  /** Entries per page (MaxKeys). Default: the server's (1000 on S3). */
  pageSize?: number,
): AsyncGenerator<ObjectVersionEntry> {
  let KeyMarker: string | undefined;
  let VersionIdMarker: string | undefined;
  for (;;) {
    const page = await inContext(`listing the versions in s3://${bucket}/${prefix ?? ''}`, () =>
      s3.send(
        new ListObjectVersionsCommand({
          Bucket: bucket,
          Prefix: prefix,
          KeyMarker,
          VersionIdMarker,
          MaxKeys: pageSize,
        }),
      ),
    );
    for (const v of page.Versions ?? []) {
      if (v.Key === undefined) continue;
      yield {
        key: v.Key,
        versionId: v.VersionId,
        isLatest: v.IsLatest ?? false,
        deleteMarker: false,
        size: v.Size ?? 0,
        storageClass: v.StorageClass ?? 'STANDARD',
        lastModified: v.LastModified,
      };
    }
    for (const m of page.DeleteMarkers ?? []) {
      if (m.Key === undefined) continue;
      yield {
        key: m.Key,
        versionId: m.VersionId,
        isLatest: m.IsLatest ?? false,
        deleteMarker: true,
        size: 0,
        storageClass: 'STANDARD',
        lastModified: m.LastModified,
      };
    }
    if (!page.IsTruncated) return;
    if (page.NextKeyMarker === undefined) {
      throw new Error(`ListObjectVersions of ${bucket} was truncated without a next key marker`);
    }
    KeyMarker = page.NextKeyMarker;
    VersionIdMarker = page.NextVersionIdMarker;
  }
}

/** Every current object under `prefix`, page by page (ContinuationToken). */
export async function* listObjects(
  s3: S3Client,
  bucket: string,
  prefix?: string,
  /** Keys per page (MaxKeys). Default: the server's (1000 on S3). */
  pageSize?: number,
): AsyncGenerator<ObjectEntry> {
  let ContinuationToken: string | undefined;
  for (;;) {
    const page = await inContext(`listing s3://${bucket}/${prefix ?? ''}`, () =>
      s3.send(
        new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken, MaxKeys: pageSize }),
      ),
    );
    for (const o of page.Contents ?? []) {
      if (o.Key === undefined) continue;
      yield {
        key: o.Key,
        size: o.Size ?? 0,
        storageClass: o.StorageClass ?? 'STANDARD',
        lastModified: o.LastModified,
      };
    }
    if (!page.IsTruncated) return;
    if (!page.NextContinuationToken) {
      throw new Error(`ListObjectsV2 of ${bucket} was truncated without a continuation token`);
    }
    ContinuationToken = page.NextContinuationToken;
  }
}

/** Collects an async iterable (listings are bounded by the bucket; the commands need them whole to cross-check). */
export async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}
