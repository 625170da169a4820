import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';

import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  ListObjectVersionsCommand,
  NoSuchKey,
  NotFound,
  PutObjectCommand,
  PutObjectTaggingCommand,
  S3ServiceException,
  type S3Client,
  type Tag,
} from '@aws-sdk/client-s3';
import type { AwsClientStub } from 'aws-sdk-client-mock';

/** LastModified of every fake version and delete marker. */
const FAKE_LAST_MODIFIED = new Date('2025-03-04T05:06:07.000Z');

/** One stored object version. */
export interface FakeVersion {
  readonly versionId: string;
  readonly body: Buffer;
  readonly contentType?: string;
  readonly metadata: Record<string, string>;
  tags: Tag[];
  readonly sse?: string;
  readonly kmsKeyId?: string;
  readonly lastModified: Date;
}

export interface FakeS3Options {
  /** CopyObject answers 501 NotImplemented (Ceph RGW with an SSE-KMS source). */
  readonly copyNotImplemented?: boolean;
  /** CopyObject stores these bytes instead of the source's (a corrupted copy). */
  readonly corruptCopies?: boolean;
}

/** Every GetObject `Range` header seen, and whether a GetObject read the whole object. */
export interface FakeS3Reads {
  readonly ranges: string[];
  fullReads: number;
}

/**
 * A versioned in-memory S3 behind aws-sdk-client-mock: enough of HeadObject, GetObject (with Range), tagging,
 * CopyObject (SHA-256 checksum like S3 with ChecksumAlgorithm), PutObject and DeleteObject (by version) to run the
 * pipeline cores end to end, crash and re-run them, and check that nothing is lost.
 */
export class FakeS3 {
  readonly buckets = new Map<string, Map<string, FakeVersion[]>>();
  readonly reads: FakeS3Reads = { ranges: [], fullReads: 0 };
  private counter = 0;
  private failNextDelete: Error | undefined;

  constructor(
    mock: AwsClientStub<S3Client>,
    private readonly options: FakeS3Options = {},
  ) {
    mock.on(HeadObjectCommand).callsFake((input) => {
      const version = this.find(input.Bucket, input.Key, input.VersionId, 'head');
      return {
        VersionId: version.versionId,
        ETag: `"etag-${version.versionId}"`,
        ContentLength: version.body.length,
        ContentType: version.contentType,
        Metadata: { ...version.metadata },
        LastModified: version.lastModified,
      };
    });
    mock.on(GetObjectCommand).callsFake((input) => {
      const version = this.find(input.Bucket, input.Key, input.VersionId, 'get');
      let body = version.body;
      if (input.Range) {
        this.reads.ranges.push(input.Range);
        const [, start, end] = /^bytes=(\d+)-(\d+)$/.exec(input.Range)!;
        body = body.subarray(Number(start), Number(end) + 1);
      } else {
        this.reads.fullReads++;
      }
      return {
        VersionId: version.versionId,
        ContentLength: body.length,
        ContentType: version.contentType,
        Metadata: { ...version.metadata },
        Body: streamOf(body),
      };
    });
    mock.on(GetObjectTaggingCommand).callsFake((input) => ({
      TagSet: [...this.find(input.Bucket, input.Key, input.VersionId, 'get').tags],
    }));
    mock.on(PutObjectTaggingCommand).callsFake((input) => {
      this.find(input.Bucket, input.Key, input.VersionId, 'get').tags = [...(input.Tagging?.TagSet ?? [])];
      return { VersionId: input.VersionId };
    });
    mock.on(ListObjectVersionsCommand).callsFake((input) => {
      this.versionListings++;
      const keys = [...(this.buckets.get(input.Bucket!)?.keys() ?? [])]
        .filter((key) => key.startsWith(input.Prefix ?? ''))
        .sort();
      return {
        IsTruncated: false,
        // Like S3: keys in order, the versions of each key newest first.
        DeleteMarkers: keys
          .filter((key) => this.deleteMarkers.has(`${input.Bucket}/${key}`))
          .map((key) => ({
            Key: key,
            VersionId: `marker-${key}`,
            IsLatest: this.deleteMarkers.get(`${input.Bucket}/${key}`),
            LastModified: FAKE_LAST_MODIFIED,
          })),
        Versions: keys.flatMap((key) =>
          [...this.versions(input.Bucket!, key)].reverse().map((version, index) => ({
            Key: key,
            VersionId: version.versionId,
            IsLatest: index === 0 && this.deleteMarkers.get(`${input.Bucket}/${key}`) !== true,
            Size: version.body.length,
            LastModified: version.lastModified,
          })),
        ),
      };
    });
    mock.on(CopyObjectCommand).callsFake((input) => {
      this.refuseExisting(input.Bucket, input.Key, input.IfNoneMatch);
      if (this.options.copyNotImplemented) {
        throw new S3ServiceException({
          name: 'NotImplemented',
          $fault: 'server',
          $metadata: { httpStatusCode: 501 },
          message: 'NotImplemented',
        });
      }
      const [sourcePath, query] = input.CopySource!.split('?versionId=');
      const slash = sourcePath!.indexOf('/');
      const bucket = sourcePath!.slice(0, slash);
      const key = sourcePath!
        .slice(slash + 1)
        .split('/')
        .map(decodeURIComponent)
        .join('/');
      const source = this.find(bucket, key, decodeURIComponent(query!), 'get');
      const body = this.options.corruptCopies ? Buffer.from('corrupted') : source.body;
      const stored = this.store(input.Bucket!, input.Key!, body, {
        contentType: input.ContentType ?? source.contentType,
        metadata: input.MetadataDirective === 'REPLACE' ? { ...input.Metadata } : { ...source.metadata },
        tags: parseTagging(input.Tagging),
        sse: input.ServerSideEncryption,
        kmsKeyId: input.SSEKMSKeyId,
      });
      return {
        VersionId: stored.versionId,
        CopyObjectResult: {
          ...(input.ChecksumAlgorithm === 'SHA256'
            ? { ChecksumSHA256: createHash('sha256').update(body).digest('base64') }
            : {}),
        },
      };
    });
    mock.on(PutObjectCommand).callsFake(async (input) => {
      this.refuseExisting(input.Bucket, input.Key, input.IfNoneMatch);
      const stored = this.store(input.Bucket!, input.Key!, await bytesOf(input.Body), {
        contentType: input.ContentType,
        metadata: { ...input.Metadata },
        tags: parseTagging(input.Tagging),
        sse: input.ServerSideEncryption,
        kmsKeyId: input.SSEKMSKeyId,
      });
      return { VersionId: stored.versionId, ETag: '"etag"' };
    });
    mock.on(DeleteObjectCommand).callsFake((input) => {
      const failure = this.failNextDelete;
      if (failure) {
        this.failNextDelete = undefined;
        throw failure;
      }
      const versions = this.buckets.get(input.Bucket!)?.get(input.Key!) ?? [];
      const index = versions.findIndex((version) => version.versionId === input.VersionId);
      if (index >= 0) versions.splice(index, 1);
      return { VersionId: input.VersionId };
    });
  }

  /** Keys with a delete marker (a DeleteObject without a version id): true while it is the newest entry. */
  private readonly deleteMarkers = new Map<string, boolean>();

  /** Puts a delete marker on top of a key, as a DeleteObject without VersionId does on a versioned bucket. */
  deleteCurrent(bucket: string, key: string): void {
    this.deleteMarkers.set(`${bucket}/${key}`, true);
  }

  /** How many ListObjectVersions requests were answered. */
  versionListings = 0;

  /** `IfNoneMatch: '*'` on an existing key: 412 PreconditionFailed, like S3 and Ceph RGW. */
  private refuseExisting(
    bucket: string | undefined,
    key: string | undefined,
    ifNoneMatch: string | undefined,
  ): void {
    if (ifNoneMatch !== '*' || this.versions(bucket ?? '', key ?? '').length === 0) return;
    throw new S3ServiceException({
      name: 'PreconditionFailed',
      $fault: 'client',
      $metadata: { httpStatusCode: 412 },
      message: 'At least one of the pre-conditions you specified did not hold',
    });
  }

  /** The next DeleteObject fails with `error` (a crash between copy and delete). */
  failNextDeleteWith(error: Error): void {
    this.failNextDelete = error;
  }

  /** Stores a new version and returns it. */
  put(
    bucket: string,
    key: string,
    body: Buffer,
    options: { contentType?: string; metadata?: Record<string, string>; tags?: Tag[] } = {},
  ): FakeVersion {
    return this.store(bucket, key, body, {
      contentType: options.contentType,
      metadata: options.metadata ?? {},
      tags: options.tags ?? [],
    });
  }

  /** The versions of a key, oldest first. */
  versions(bucket: string, key: string): FakeVersion[] {
    return this.buckets.get(bucket)?.get(key) ?? [];
  }

  /** The current version of a key, or undefined. */
  current(bucket: string, key: string): FakeVersion | undefined {
    return this.versions(bucket, key).at(-1);
  }

  private store(
    bucket: string,
    key: string,
    body: Buffer,
    fields: Omit<FakeVersion, 'versionId' | 'body' | 'lastModified' | 'tags' | 'metadata'> & {
      metadata: Record<string, string>;
      tags: Tag[];
    },
  ): FakeVersion {
    const keys = this.buckets.get(bucket) ?? new Map<string, FakeVersion[]>();
    this.buckets.set(bucket, keys);
    if (this.deleteMarkers.has(`${bucket}/${key}`)) this.deleteMarkers.set(`${bucket}/${key}`, false);
    const versions = keys.get(key) ?? [];
    keys.set(key, versions);
    const version: FakeVersion = {
      ...withoutUndefined(fields),
      versionId: `v${++this.counter}`,
      body,
      lastModified: FAKE_LAST_MODIFIED,
    };
    versions.push(version);
    return version;
  }

  private find(
    bucket: string | undefined,
    key: string | undefined,
    versionId: string | undefined,
    operation: 'head' | 'get',
  ): FakeVersion {
    const versions = this.versions(bucket ?? '', key ?? '');
    const version = versionId ? versions.find((v) => v.versionId === versionId) : versions.at(-1);
    if (version) return version;
    const $metadata = { httpStatusCode: 404 };
    if (operation === 'head') throw new NotFound({ message: 'Not Found', $metadata });
    if (versionId) {
      throw new S3ServiceException({
        name: 'NoSuchVersion',
        $fault: 'client',
        $metadata,
        message: 'no version',
      });
    }
    throw new NoSuchKey({ message: 'The specified key does not exist.', $metadata });
  }
}

/** A Node Readable with the SDK's `transformToByteArray`, like a GetObject body. */
export function streamOf(body: Buffer, chunkSize = 64 * 1024): Readable {
  const chunks: Buffer[] = [];
  for (let offset = 0; offset < body.length; offset += chunkSize)
    chunks.push(body.subarray(offset, offset + chunkSize));
  const stream = Readable.from(chunks, { objectMode: false });
  return Object.assign(stream, {
    transformToByteArray: async () => new Uint8Array(body),
    transformToString: async () => body.toString('utf8'),
  });
}

async function bytesOf(body: unknown): Promise<Buffer> {
  if (body === undefined) return Buffer.alloc(0);
  if (typeof body === 'string') return Buffer.from(body);
  if (body instanceof Uint8Array) return Buffer.from(body);
  const chunks: Buffer[] = [];
  for await (const chunk of body as AsyncIterable<Uint8Array>) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

function parseTagging(tagging: string | undefined): Tag[] {
  if (!tagging) return [];
  return tagging.split('&').map((pair) => {
    const [key, value] = pair.split('=');
    return { Key: decodeURIComponent(key!), Value: decodeURIComponent(value ?? '') };
  });
}

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
