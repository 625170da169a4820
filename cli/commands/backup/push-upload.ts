import { randomBytes } from 'crypto';
import { createReadStream } from 'fs';
import { pipeline as pipelineCallback, Transform, Writable, type Readable } from 'stream';
import { pipeline } from 'stream/promises';
import type { CreateMultipartUploadCommandInput, S3Client, StorageClass } from '@aws-sdk/client-s3';
import { BACKUP_METADATA, DIGEST_IN_MANIFEST } from '../../../core/backup/backup-layout';
import {
  createEncryptStream,
  ENVELOPE_SCHEME,
  NO_ENCRYPTION,
  type DataKey,
} from '../../../core/backup/envelope-encryption';
import type { BackupConfig } from './backup-config';
import { measureFileParts, uploadFileParts } from './file-parts-upload';
import type { Progress } from './progress';
import { checkHead, createStreamingFormatCheck } from './push-format-check';
import type { PushFormat } from './push-options';
import type { RetryPolicy } from './retry';
import { uploadStreamParts } from './stream-parts-upload';
import { createDigestStream, type DigestResult } from './stream-digest';
import { createThrottleStream } from './throttle';

/** Reads a file in 1 MiB chunks (fs's default 64 KiB doubles the per-chunk cost of both hashing passes). */
const READ_CHUNK_BYTES = 1024 * 1024;
export const readFile = (path: string): Readable =>
  createReadStream(path, { highWaterMark: READ_CHUNK_BYTES });

/** What every attempt of one push shares. */
export interface PushSettings {
  /** A file path, or `-` for stdin. */
  readonly file: string;
  readonly source: string;
  readonly config: BackupConfig;
  readonly storageClass?: StorageClass;
  readonly partSize: number;
  readonly concurrency: number;
  readonly bandwidth?: number;
  readonly format: PushFormat;
  readonly check: boolean;
  readonly partRetry: RetryPolicy;
  readonly sleep: (ms: number) => Promise<void>;
}

/** One attempt's inputs: where, with what key, and how to report. */
export interface PushAttempt {
  readonly s3: S3Client;
  readonly key: string;
  readonly dataKey?: DataKey;
  readonly signal?: AbortSignal;
  readonly progress: Progress;
  readonly onUploadId?: (uploadId: string) => void;
  readonly onPartRetry?: (part: number, retry: number, error: unknown, delayMs: number) => void;
}

/** The object a push wrote, before verification. */
export interface PushedObject {
  readonly versionId?: string;
  readonly original: DigestResult;
  readonly stored: DigestResult;
  /** The metadata the object carries (for a stdin multipart push, without the digests: see manifest). */
  readonly metadata: Readonly<Record<string, string>>;
  readonly s3ChecksumSent: boolean;
  /** For a stdin push of more than one part: the digests go into the digest manifest. */
  readonly needsManifest: boolean;
}

function baseMetadata(settings: PushSettings, dataKey: DataKey | undefined): Record<string, string> {
  return {
    [BACKUP_METADATA.ENCRYPTION]: dataKey ? ENVELOPE_SCHEME : NO_ENCRYPTION,
    [BACKUP_METADATA.SOURCE]: settings.source,
    ...(dataKey ? { [BACKUP_METADATA.KEY_SOURCE]: dataKey.source.kind } : {}),
  };
}

function digestMetadata(original: DigestResult, stored: DigestResult): Record<string, string> {
  return {
    [BACKUP_METADATA.SHA256]: original.sha256,
    [BACKUP_METADATA.SIZE]: String(original.size),
    [BACKUP_METADATA.STORED_SHA256]: stored.sha256,
  };
}

function createParams(
  settings: PushSettings,
  key: string,
  metadata: Record<string, string>,
): CreateMultipartUploadCommandInput {
  return {
    Bucket: settings.config.bucket,
    Key: key,
    ContentType: 'application/octet-stream',
    Metadata: metadata,
    ...(settings.storageClass ? { StorageClass: settings.storageClass } : {}),
    ...(settings.config.kmsKeyId
      ? { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: settings.config.kmsKeyId, BucketKeyEnabled: true }
      : {}),
  };
}

/**
 * One attempt of a file push: a first pass over the file computes what will be stored (SHA-256 and size of the
 * original and, when encrypting, of the envelope under a fresh nonce prefix), because S3 takes metadata before the
 * first byte; the upload pass fails before the upload completes if the file changed in between. Unencrypted,
 * unthrottled multipart pushes sign every part with its SHA-256 from the first pass (file-parts-upload.ts); the
 * others stream through uploadStreamParts and hash the whole file again in-stream. Both create the object only if
 * the key is free (If-None-Match: *).
 */
export async function pushFileOnce(
  settings: PushSettings,
  size: number,
  attempt: PushAttempt,
): Promise<PushedObject> {
  const { dataKey } = attempt;
  const fromFileParts = !dataKey && !settings.bandwidth && size > settings.partSize;
  const noncePrefix = randomBytes(8);
  const plan = fromFileParts ? await measureFileParts(settings.file, settings.partSize) : undefined;
  const expected = plan
    ? { original: plan.original, stored: plan.original }
    : await measure(settings.file, dataKey, noncePrefix);
  const metadata = {
    ...digestMetadata(expected.original, expected.stored),
    ...baseMetadata(settings, dataKey),
  };
  const params = createParams(settings, attempt.key, metadata);
  try {
    if (plan) {
      const result = await uploadFileParts({
        s3: attempt.s3,
        params,
        plan,
        concurrency: settings.concurrency,
        onBytes: (done) => attempt.progress.update(done),
        signal: attempt.signal,
        ifNoneMatch: true,
        onUploadId: attempt.onUploadId,
      });
      return {
        versionId: result.VersionId,
        ...expected,
        metadata,
        s3ChecksumSent: false,
        needsManifest: false,
      };
    }
    const check = createDigestStream({ expected: expected.original, describe: settings.file });
    const stages: (NodeJS.ReadableStream | NodeJS.ReadWriteStream)[] = [
      readFile(settings.file),
      check.stream,
    ];
    if (dataKey) stages.push(createEncryptStream(dataKey, { noncePrefix }));
    if (settings.bandwidth) stages.push(createThrottleStream(settings.bandwidth));
    const body = pipelineCallback(stages, () => undefined) as unknown as Readable;
    // A full-object SHA-256 S3 checks on receipt and stores: only for a single PUT (multipart SHA-256 checksums are
    // per part), and never towards S3-compatible servers (Ceph RGW answers checksums on streams with 411).
    const s3ChecksumSent = expected.stored.size <= settings.partSize && !settings.config.endpoint;
    try {
      const result = await uploadStreamParts({
        s3: attempt.s3,
        params,
        ...(s3ChecksumSent
          ? { singlePutChecksumSHA256: Buffer.from(expected.stored.sha256, 'hex').toString('base64') }
          : {}),
        body,
        partSize: settings.partSize,
        concurrency: settings.concurrency,
        partRetry: settings.partRetry,
        sleep: settings.sleep,
        signal: attempt.signal,
        ifNoneMatch: true,
        onAcknowledged: (done) => attempt.progress.update(done),
        onUploadId: attempt.onUploadId,
        onPartRetry: attempt.onPartRetry,
      });
      return {
        versionId: result.VersionId,
        original: check.result(),
        stored: expected.stored,
        metadata,
        s3ChecksumSent,
        needsManifest: false,
      };
    } finally {
      body.destroy();
    }
  } finally {
    attempt.progress.finish();
  }
}

/**
 * A push from a stream (stdin): hashed while it streams (original bytes, and the envelope when encrypting), with
 * the format check reading a tee of the original bytes: the head is checked before the first part is sent, the
 * whole before the upload completes (a refusal aborts it). A stream that fits in one part goes in one PutObject
 * with its digests in the metadata; a longer one cannot carry them (S3 takes metadata before the first byte), so
 * its metadata says `digest: manifest` and the caller writes the digest manifest once the upload completed.
 */
export async function pushStreamOnce(
  settings: PushSettings,
  input: Readable,
  attempt: PushAttempt,
): Promise<PushedObject> {
  const { dataKey } = attempt;
  const what = settings.file === '-' ? 'stdin' : settings.file;
  const original = createDigestStream();
  const stored = createDigestStream();
  const format = settings.check ? settings.format : 'raw';
  const formatCheck = createStreamingFormatCheck(format, what);
  let head = Buffer.alloc(0);
  let headChecked = format === 'raw';
  const checkStage = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      if (!headChecked) {
        head = Buffer.concat([head, chunk.subarray(0, 16)]);
        if (head.length >= 16) {
          headChecked = true;
          try {
            checkHead(format, head, what);
          } catch (error) {
            callback(error as Error);
            return;
          }
        }
      }
      formatCheck.write(chunk).then(
        () => callback(null, chunk),
        (error: unknown) => callback(error as Error),
      );
    },
    flush(callback) {
      if (!headChecked) {
        try {
          checkHead(format, head, what);
        } catch (error) {
          callback(error as Error);
          return;
        }
      }
      callback();
    },
  });
  const stages: (NodeJS.ReadableStream | NodeJS.ReadWriteStream)[] = [input, checkStage, original.stream];
  // Unencrypted, the stored bytes are the original ones: one hash, not two.
  if (dataKey) stages.push(createEncryptStream(dataKey, { noncePrefix: randomBytes(8) }), stored.stream);
  const storedResult = (): DigestResult => (dataKey ? stored.result() : original.result());
  if (settings.bandwidth) stages.push(createThrottleStream(settings.bandwidth));
  const body = pipelineCallback(stages, () => undefined) as unknown as Readable;
  const base = baseMetadata(settings, dataKey);
  const metadata = { ...base, [BACKUP_METADATA.DIGEST]: DIGEST_IN_MANIFEST };
  let singlePut: Record<string, string> | undefined;
  try {
    const result = await uploadStreamParts({
      s3: attempt.s3,
      params: createParams(settings, attempt.key, metadata),
      body,
      partSize: settings.partSize,
      concurrency: settings.concurrency,
      partRetry: settings.partRetry,
      sleep: settings.sleep,
      signal: attempt.signal,
      ifNoneMatch: true,
      onAcknowledged: (done) => attempt.progress.update(done),
      beforeComplete: async () => {
        await formatCheck.finish();
      },
      singlePutMetadata: () => {
        singlePut = { ...digestMetadata(original.result(), storedResult()), ...base };
        return singlePut;
      },
      onUploadId: attempt.onUploadId,
      onPartRetry: attempt.onPartRetry,
    });
    return {
      versionId: result.VersionId,
      original: original.result(),
      stored: storedResult(),
      metadata: singlePut ?? metadata,
      s3ChecksumSent: false,
      needsManifest: result.parts > 0,
    };
  } finally {
    body.destroy();
    attempt.progress.finish();
  }
}

/** SHA-256 and size of the file and, with a data key, of its envelope under `noncePrefix`. */
async function measure(
  file: string,
  dataKey: DataKey | undefined,
  noncePrefix: Buffer,
): Promise<{ original: DigestResult; stored: DigestResult }> {
  const original = createDigestStream();
  const stored = createDigestStream();
  const discard = new Writable({ write: (_chunk, _encoding, callback) => callback() });
  if (dataKey) {
    await pipeline(
      readFile(file),
      original.stream,
      createEncryptStream(dataKey, { noncePrefix }),
      stored.stream,
      discard,
    );
    return { original: original.result(), stored: stored.result() };
  }
  await pipeline(readFile(file), original.stream, discard);
  return { original: original.result(), stored: original.result() };
}
