import { createHash } from 'node:crypto';
import { Transform, type Readable, type TransformCallback } from 'node:stream';

import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  type S3Client,
  type Tag,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';

import type { PipelineLogger } from '../logging/pipeline-logger';
import { isNotImplemented } from '../aws/s3-errors';
import type { ObjectVersion } from './source-object';

export interface CopyDestination {
  readonly bucket: string;
  readonly key: string;
  /** KMS key id or ARN the copy is encrypted with (SSE-KMS, bucket key on). */
  readonly kmsKeyId: string;
  readonly contentType?: string;
  /** User metadata of the copy (replaces the source's). Values must be ASCII. */
  readonly metadata: Readonly<Record<string, string>>;
  readonly tags: readonly Tag[];
  /**
   * Create-only (`IfNoneMatch: '*'`): the write fails with 412 PreconditionFailed (isPreconditionFailed) when the
   * key already has a current version, and the existing object is left as it is. S3 enforces it; Ceph RGW 16 only on
   * unversioned buckets (callers look first: processed-writes.ts). Default: false (a new version).
   */
  readonly createOnly?: boolean;
}

export interface ExpectedContent {
  /** Lower-case hex SHA-256 of the bytes (the scan verdict's). */
  readonly sha256: string;
  readonly size: number;
}

export interface VerifiedCopy {
  readonly bucket: string;
  readonly key: string;
  readonly versionId?: string;
  /**
   * `server-side`: CopyObject, verified by the SHA-256 S3 computed; `streaming`: GetObject → Upload, hashed in flight;
   * `existing`: a create-only write found the copy of an earlier run, verified by its recorded sha256 and source.
   */
  readonly method: 'server-side' | 'streaming' | 'existing';
}

/** The copy does not hold the expected bytes. The source is left untouched; the record is retried. */
export class CopyVerificationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CopyVerificationError';
  }
}

/**
 * Copies one source VERSION to the destination and verifies the copy before anyone deletes the source.
 *
 * 1. Server-side CopyObject with `ChecksumAlgorithm: SHA256`: S3 computes the SHA-256 of the new object and returns
 *    it; it must equal the verdict's. This needs no read access to the destination (the quarantine bucket denies
 *    GetObject/HeadObject to the pipeline). A copy is a single PUT, so the checksum is a full-object one; a composite
 *    (`…-N`) or missing checksum (S3-compatible servers that ignore the header) cannot verify, so the copy is redone
 *    by streaming.
 * 2. Streaming fallback, when the server answers 501 NotImplemented (Ceph RGW cannot server-side copy an SSE-KMS
 *    source) or could not verify: GetObject of the version piped through a SHA-256/byte counter into a lib-storage
 *    Upload (bounded memory: a few parts). The bytes hashed are the bytes uploaded; hash and size must match. No
 *    ChecksumAlgorithm on the stream (RGW answers 411 to aws-chunked trailers).
 *
 * A copy that fails verification is deleted again (its own version id, so no other version is touched) and
 * CopyVerificationError is thrown: an unverified copy never stays behind to be mistaken for a good one.
 */
export async function copyAndVerify(
  s3: S3Client,
  source: ObjectVersion,
  destination: CopyDestination,
  expected: ExpectedContent,
  logger: PipelineLogger,
): Promise<VerifiedCopy> {
  const serverSide = await tryServerSideCopy(s3, source, destination, logger);
  if (serverSide) {
    if (serverSide.checksum === sha256Base64(expected.sha256)) {
      return { ...destinationOf(destination, serverSide.versionId), method: 'server-side' };
    }
    if (serverSide.checksum !== undefined && !serverSide.checksum.includes('-')) {
      await discardCopy(s3, destination, serverSide.versionId, logger);
      throw new CopyVerificationError(
        `copy of ${source.key} has SHA-256 ${serverSide.checksum}, expected ${sha256Base64(expected.sha256)}`,
      );
    }
    logger.warn('server-side copy returned no usable SHA-256; copying again by streaming', {
      key: destination.key,
      checksum: serverSide.checksum,
    });
  }
  return streamingCopy(s3, source, destination, expected, logger);
}

/**
 * S3 clients whose server answered a server-side copy with 501 NotImplemented (Ceph RGW cannot copy an SSE-KMS
 * source; every Stowage source is SSE-KMS). Later copies through them stream straight away instead of paying
 * a refused round trip each time. AWS never answers 501 here, so on AWS this stays empty.
 */
const serverSideCopyUnsupported = new WeakSet<S3Client>();

interface ServerSideResult {
  readonly versionId?: string;
  readonly checksum?: string;
}

async function tryServerSideCopy(
  s3: S3Client,
  source: ObjectVersion,
  destination: CopyDestination,
  logger: PipelineLogger,
): Promise<ServerSideResult | undefined> {
  if (serverSideCopyUnsupported.has(s3)) return undefined;
  try {
    const response = await s3.send(
      new CopyObjectCommand({
        Bucket: destination.bucket,
        Key: destination.key,
        CopySource: copySourceOf(source),
        MetadataDirective: 'REPLACE',
        Metadata: { ...destination.metadata },
        ...(destination.contentType ? { ContentType: destination.contentType } : {}),
        TaggingDirective: 'REPLACE',
        Tagging: taggingOf(destination.tags),
        ServerSideEncryption: 'aws:kms',
        SSEKMSKeyId: destination.kmsKeyId,
        BucketKeyEnabled: true,
        ChecksumAlgorithm: 'SHA256',
        ...(destination.createOnly ? { IfNoneMatch: '*' } : {}),
      }),
    );
    return {
      ...(response.VersionId ? { versionId: response.VersionId } : {}),
      ...(response.CopyObjectResult?.ChecksumSHA256
        ? { checksum: response.CopyObjectResult.ChecksumSHA256 }
        : {}),
    };
  } catch (error) {
    if (!isNotImplemented(error)) throw error;
    serverSideCopyUnsupported.add(s3);
    logger.info('server-side copy not implemented by the server; streaming this and later copies', {
      key: destination.key,
    });
    return undefined;
  }
}

async function streamingCopy(
  s3: S3Client,
  source: ObjectVersion,
  destination: CopyDestination,
  expected: ExpectedContent,
  logger: PipelineLogger,
): Promise<VerifiedCopy> {
  const object = await s3.send(
    new GetObjectCommand({ Bucket: source.bucket, Key: source.key, VersionId: source.versionId }),
  );
  if (!object.Body) throw new Error(`GetObject ${source.key} returned no body`);
  const digest = new DigestStream();
  const body = (object.Body as Readable).pipe(digest);
  (object.Body as Readable).once('error', (error) => digest.destroy(error));
  const upload = new Upload({
    client: s3,
    params: {
      Bucket: destination.bucket,
      Key: destination.key,
      Body: body,
      Metadata: { ...destination.metadata },
      ...(destination.contentType ? { ContentType: destination.contentType } : {}),
      ServerSideEncryption: 'aws:kms',
      SSEKMSKeyId: destination.kmsKeyId,
      BucketKeyEnabled: true,
      ...(destination.createOnly ? { IfNoneMatch: '*' } : {}),
    },
    tags: [...destination.tags],
  });
  const result = await upload.done();
  const versionId = result.VersionId;
  const sha256 = digest.sha256();
  if (sha256 !== expected.sha256 || digest.bytes !== expected.size) {
    await discardCopy(s3, destination, versionId, logger);
    throw new CopyVerificationError(
      `streamed copy of ${source.key} has ${digest.bytes} bytes, SHA-256 ${sha256}; expected ${expected.size} bytes, ${expected.sha256}`,
    );
  }
  return { ...destinationOf(destination, versionId), method: 'streaming' };
}

/** Removes a copy that failed verification: only its own version, never the source. */
async function discardCopy(
  s3: S3Client,
  destination: CopyDestination,
  versionId: string | undefined,
  logger: PipelineLogger,
): Promise<void> {
  if (!versionId) {
    logger.error('unverified copy left in place: the destination returned no version id', {
      key: destination.key,
    });
    return;
  }
  await s3.send(
    new DeleteObjectCommand({ Bucket: destination.bucket, Key: destination.key, VersionId: versionId }),
  );
}

function destinationOf(
  destination: CopyDestination,
  versionId: string | undefined,
): Omit<VerifiedCopy, 'method'> {
  return { bucket: destination.bucket, key: destination.key, ...(versionId ? { versionId } : {}) };
}

/** `bucket/key?versionId=…` with each key segment URL-encoded, as CopySource requires. */
export function copySourceOf(source: ObjectVersion): string {
  const key = source.key.split('/').map(encodeURIComponent).join('/');
  return `${source.bucket}/${key}?versionId=${encodeURIComponent(source.versionId)}`;
}

function taggingOf(tags: readonly Tag[]): string {
  return tags
    .map((tag) => `${encodeURIComponent(tag.Key ?? '')}=${encodeURIComponent(tag.Value ?? '')}`)
    .join('&');
}

/** Hex SHA-256 → the base64 form S3 uses in `x-amz-checksum-sha256`. */
export function sha256Base64(hex: string): string {
  return Buffer.from(hex, 'hex').toString('base64');
}

/** Passes bytes through unchanged while hashing and counting them. */
class DigestStream extends Transform {
  private readonly hash = createHash('sha256');
  bytes = 0;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    callback(null, chunk);
  }

  sha256(): string {
    return this.hash.digest('hex');
  }
}
