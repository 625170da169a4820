import { randomBytes } from 'crypto';
import { createReadStream as openReadStream } from 'fs';
import { stat } from 'fs/promises';
import { basename } from 'path';
import { pipeline as pipelineCallback, Writable, type Readable } from 'stream';
import { pipeline } from 'stream/promises';
import {
  DeleteObjectCommand,
  type PutObjectCommandInput,
  type S3Client,
  type StorageClass,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { BACKUP_METADATA, backupKey } from '../../../lambda/shared/backup/backup-layout';
import {
  createEncryptStream,
  ENVELOPE_SCHEME,
  NO_ENCRYPTION,
  type DataKey,
} from '../../../lambda/shared/backup/envelope-encryption';
import { UsageError } from '../../shared/usage-error';
import { createBackupClients } from './backup-client';
import { resolveBackupConfig, type BackupConfig, type ConnectionOptions } from './backup-config';
import { BACKUP_EXIT, BackupFailure, clockOf, sleepFor, type BackupIo } from './backup-io';
import { resolverForEncryption } from './encryption-keys';
import { formatBytes } from './human-format';
import { createProgress, progressModeFor, type ProgressMode } from './progress';
import { isTransientError, parseRetryPolicy, withRetries } from './retry';
import { systemErrorCode, toBackupFailure } from './service-errors';
import { measureFileParts, uploadFileParts } from './file-parts-upload';
import { createDigestStream, DigestMismatchError, type DigestResult } from './stream-digest';
import { createThrottleStream, parseByteRate, parseByteSize } from './throttle';
import { verifyUpload, type UploadExpectation, type UploadVerification } from './upload-verification';

/** Reads a file in 1 MiB chunks (fs's default 64 KiB doubles the per-chunk cost of both hashing passes). */
const READ_CHUNK_BYTES = 1024 * 1024;
const readFile = (path: string) => openReadStream(path, { highWaterMark: READ_CHUNK_BYTES });

export interface BackupPushOptions extends ConnectionOptions {
  /** Source name (key layout). Required. */
  readonly source: string;
  /** S3 storage class of the new object. Default: the bucket's (STANDARD). */
  readonly storageClass?: string;
  /** Client-side envelope encryption (KMS data key, or the passphrase of --passphrase-env). */
  readonly encrypt?: boolean;
  /** Name of the environment variable holding the passphrase (implies --encrypt). */
  readonly passphraseEnv?: string;
  /** Upload bandwidth limit, bytes per second (k/M/G suffixes). Default: unlimited. */
  readonly maxBandwidth?: string;
  /** Multipart part size in bytes (k/M/G). Default 8 MiB; objects up to one part go in a single PUT. */
  readonly partSize?: string;
  /** Parts uploaded in parallel. Default 4. */
  readonly concurrency?: string;
  /** Retries after the first attempt. Default 3. */
  readonly retries?: string;
  /** Seconds to wait before each retry, comma-separated. Default 5,10,20. */
  readonly retryDelays?: string;
  /** After the upload, read the object back and check its SHA-256. */
  readonly verifyRead?: boolean;
  /** No progress and no summary: only the key on stdout. */
  readonly quiet?: boolean;
}

export const STORAGE_CLASSES = [
  'STANDARD',
  'STANDARD_IA',
  'ONEZONE_IA',
  'INTELLIGENT_TIERING',
  'GLACIER_IR',
  'GLACIER',
  'DEEP_ARCHIVE',
] as const;

const MiB = 1024 * 1024;
const DEFAULT_PART_SIZE = 8 * MiB;
const MIN_PART_SIZE = 5 * MiB;
const MAX_PART_SIZE = 5 * 1024 * MiB;

interface PushSettings {
  readonly file: string;
  readonly size: number;
  readonly key: string;
  readonly source: string;
  readonly config: BackupConfig;
  readonly storageClass?: StorageClass;
  readonly partSize: number;
  readonly concurrency: number;
  readonly bandwidth?: number;
  readonly progressMode: ProgressMode;
}

/** The object a push wrote, before verification. */
interface PushedObject {
  readonly versionId?: string;
  readonly original: DigestResult;
  readonly stored: DigestResult;
  readonly metadata: Readonly<Record<string, string>>;
  readonly s3ChecksumSent: boolean;
}

/**
 * The extension for the key: everything after the first dot of the file name (`db.dump.gz` → `dump.gz`),
 * lower-cased; `bin` for a name without one.
 */
export function backupExtension(file: string): string {
  const name = basename(file).replace(/^\.+/, '');
  const dot = name.indexOf('.');
  return dot < 0 ? 'bin' : name.slice(dot + 1).toLowerCase();
}

/**
 * `stowage backup push FILE --source NAME`: uploads FILE to `backups/<source>/<yyyymmdd>/<source>_<ts>.<ext>` with
 * its SHA-256 and size as metadata, optionally envelope-encrypted, retried with backoff, then verified; a failed
 * verification deletes what was written. Prints the key on stdout. Returns the exit code.
 */
export async function runBackupPushCommand(
  file: string,
  options: BackupPushOptions,
  io: BackupIo,
): Promise<number> {
  const config = resolveBackupConfig(options, io.env);
  const size = await regularFileSize(file);
  let key: string;
  try {
    key = backupKey(options.source, clockOf(io)(), backupExtension(file));
  } catch (error) {
    if (error instanceof Error && /^invalid (source name|extension)/.test(error.message)) {
      throw new UsageError(error.message);
    }
    throw error;
  }
  const storageClass = parseStorageClass(options.storageClass);
  const settings: PushSettings = {
    file,
    size,
    key,
    source: options.source,
    config,
    storageClass,
    partSize: parsePartSize(options.partSize),
    concurrency: parseConcurrency(options.concurrency),
    bandwidth: options.maxBandwidth === undefined ? undefined : parseByteRate(options.maxBandwidth),
    progressMode: progressModeFor({ quiet: options.quiet, isTty: io.isTty }),
  };
  const policy = parseRetryPolicy(options.retries, options.retryDelays);
  const encrypt = Boolean(options.encrypt || options.passphraseEnv);
  const clients = (io.createClients ?? createBackupClients)(config);
  const say = (line: string): void => {
    if (!options.quiet) io.err(line);
  };
  try {
    const resolver = encrypt
      ? resolverForEncryption(
          { passphraseEnv: options.passphraseEnv, kmsKeyId: config.kmsKeyId },
          io.env,
          clients,
        )
      : undefined;
    const dataKey = resolver ? await resolver.generateDataKey({ source: options.source, key }) : undefined;
    const pushed = await withRetries(() => pushOnce(clients.s3, settings, dataKey, io), policy, {
      sleep: sleepFor(io),
      isRetryable: isTransientError,
      onRetry: (error, retry, delayMs) =>
        io.err(
          `push: attempt ${retry} failed (${describe(error)}); retry ${retry} of ${policy.retries} in ` +
            `${delayMs / 1000}s`,
        ),
    });
    const verification = await verifyOrRemove(clients.s3, config.bucket, key, pushed.versionId, {
      size: pushed.stored.size,
      sha256: pushed.stored.sha256,
      metadata: pushed.metadata,
      kmsKeyId: config.kmsKeyId,
      requestChecksum: !config.endpoint,
      verifyRead: Boolean(options.verifyRead),
    });
    if (verification.problems.length > 0) {
      const removed = await deleteVersion(clients.s3, config.bucket, key, pushed.versionId);
      throw new BackupFailure(
        `verification of s3://${config.bucket}/${key} failed: ${verification.problems.join('; ')}; ` +
          (removed === true
            ? 'the object was deleted'
            : `deleting it failed too (${removed}): remove it by hand`),
      );
    }
    io.out(key);
    say(
      `pushed ${file} to s3://${config.bucket}/${key}: ${formatBytes(pushed.original.size)}` +
        (encrypt
          ? ` (stored ${formatBytes(pushed.stored.size)}, ${ENVELOPE_SCHEME} ${resolver!.kind})`
          : '') +
        `, sha256 ${pushed.original.sha256}`,
    );
    for (const note of verification.notes) say(`verified: ${note}`);
    return BACKUP_EXIT.OK;
  } catch (error) {
    const failure =
      error instanceof DigestMismatchError
        ? new BackupFailure(error.message)
        : toBackupFailure('push', error);
    if (!failure) throw error;
    io.err(`stowage backup push: ${failure.message}`);
    return BACKUP_EXIT.FAILED;
  } finally {
    clients.destroy();
  }
}

/**
 * One attempt: a first pass over the file computes what will be stored (SHA-256 and size of the original and, when
 * encrypting, of the envelope under a fresh nonce prefix), because S3 takes metadata before the first byte; the
 * upload pass fails before the upload completes if the file changed in between. Unencrypted, unthrottled multipart
 * pushes sign every part with its SHA-256 from the first pass, so the server refuses a part whose bytes changed
 * (file-parts-upload.ts, which says why that is equivalent); the others stream through lib-storage and hash the whole
 * file again in-stream.
 * The first pass's ciphertext is never written anywhere, so the nonce prefix protects only one disclosed envelope.
 */
async function pushOnce(
  s3: S3Client,
  settings: PushSettings,
  dataKey: DataKey | undefined,
  io: BackupIo,
): Promise<PushedObject> {
  // An unencrypted, unthrottled multipart push uploads straight from file ranges (file-parts-upload.ts).
  const fromFileParts = !dataKey && !settings.bandwidth && settings.size > settings.partSize;
  const noncePrefix = randomBytes(8);
  const plan = fromFileParts ? await measureFileParts(settings.file, settings.partSize) : undefined;
  const expected = plan
    ? { original: plan.original, stored: plan.original }
    : await measure(settings.file, dataKey, noncePrefix);
  const metadata: Record<string, string> = {
    [BACKUP_METADATA.SHA256]: expected.original.sha256,
    [BACKUP_METADATA.SIZE]: String(expected.original.size),
    [BACKUP_METADATA.STORED_SHA256]: expected.stored.sha256,
    [BACKUP_METADATA.ENCRYPTION]: dataKey ? ENVELOPE_SCHEME : NO_ENCRYPTION,
    [BACKUP_METADATA.SOURCE]: settings.source,
    ...(dataKey ? { [BACKUP_METADATA.KEY_SOURCE]: dataKey.source.kind } : {}),
  };

  const progress = createProgress({
    label: `push ${basename(settings.file)}`,
    total: settings.size,
    mode: settings.progressMode,
    write: io.progress,
  });
  if (plan) {
    try {
      const result = await uploadFileParts({
        s3,
        params: {
          Bucket: settings.config.bucket,
          Key: settings.key,
          ContentType: 'application/octet-stream',
          Metadata: metadata,
          ...(settings.storageClass ? { StorageClass: settings.storageClass } : {}),
          ...(settings.config.kmsKeyId
            ? {
                ServerSideEncryption: 'aws:kms',
                SSEKMSKeyId: settings.config.kmsKeyId,
                BucketKeyEnabled: true,
              }
            : {}),
        },
        plan,
        concurrency: settings.concurrency,
        onBytes: (done) => progress.update(done),
      });
      return { versionId: result.VersionId, ...expected, metadata, s3ChecksumSent: false };
    } finally {
      progress.finish();
    }
  }
  const check = createDigestStream({
    expected: expected.original,
    describe: settings.file,
    onBytes: (done) => progress.update(done),
  });
  const stages: (NodeJS.ReadableStream | NodeJS.ReadWriteStream)[] = [readFile(settings.file), check.stream];
  if (dataKey) stages.push(createEncryptStream(dataKey, { noncePrefix }));
  if (settings.bandwidth) stages.push(createThrottleStream(settings.bandwidth));
  // Errors reach the uploader through the body stream, which pipeline destroys with the first error.
  const body = pipelineCallback(stages, () => undefined) as unknown as Readable;

  // A full-object SHA-256 S3 checks on receipt and stores: only for a single PUT (multipart SHA-256 checksums are
  // per part), and never towards S3-compatible servers (Ceph RGW answers streamed checksums with 411).
  const singlePut = expected.stored.size <= settings.partSize;
  const s3ChecksumSent = singlePut && !settings.config.endpoint;
  const params: PutObjectCommandInput = {
    Bucket: settings.config.bucket,
    Key: settings.key,
    Body: body,
    ContentType: 'application/octet-stream',
    Metadata: metadata,
    ...(settings.storageClass ? { StorageClass: settings.storageClass } : {}),
    ...(settings.config.kmsKeyId
      ? { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: settings.config.kmsKeyId, BucketKeyEnabled: true }
      : {}),
    ...(s3ChecksumSent
      ? { ChecksumSHA256: Buffer.from(expected.stored.sha256, 'hex').toString('base64') }
      : {}),
  };
  const upload = new Upload({
    client: s3,
    params,
    partSize: settings.partSize,
    queueSize: settings.concurrency,
    leavePartsOnError: false,
  });
  try {
    const result = await upload.done();
    progress.finish();
    return {
      versionId: result.VersionId,
      original: check.result(),
      stored: expected.stored,
      metadata,
      s3ChecksumSent,
    };
  } catch (error) {
    progress.finish();
    body.destroy();
    throw error;
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

/** Verification that could not run at all (HeadObject failed) also removes the unverified object. */
async function verifyOrRemove(
  s3: S3Client,
  bucket: string,
  key: string,
  versionId: string | undefined,
  expected: Omit<UploadExpectation, 'bucket' | 'key' | 'versionId'>,
): Promise<UploadVerification> {
  try {
    return await verifyUpload(s3, { ...expected, bucket, key, versionId });
  } catch (error) {
    const failure = toBackupFailure('verification', error);
    if (!failure) throw error;
    const removed = await deleteVersion(s3, bucket, key, versionId);
    throw new BackupFailure(
      `${failure.message}; the unverified object s3://${bucket}/${key} ` +
        (removed === true ? 'was deleted' : `could not be deleted (${removed}): remove it by hand`),
      { cause: error },
    );
  }
}

/** Deletes exactly the version a push wrote (or the object, on an unversioned bucket). True, or why it failed. */
async function deleteVersion(
  s3: S3Client,
  bucket: string,
  key: string,
  versionId: string | undefined,
): Promise<true | string> {
  try {
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key, VersionId: versionId }));
    return true;
  } catch (error) {
    if (toBackupFailure('delete', error) || systemErrorCode(error)) return describe(error);
    throw error;
  }
}

async function regularFileSize(file: string): Promise<number> {
  try {
    const info = await stat(file);
    if (!info.isFile()) throw new UsageError(`${file} is not a regular file`);
    return info.size;
  } catch (error) {
    const code = systemErrorCode(error);
    if (code) throw new UsageError(`cannot read ${file}: ${code}`);
    throw error;
  }
}

function describe(error: unknown): string {
  const { name, message } = (error ?? {}) as { name?: unknown; message?: unknown };
  const label = systemErrorCode(error) ?? (typeof name === 'string' ? name : 'Error');
  return typeof message === 'string' && message && message !== label ? `${label}: ${message}` : label;
}

function parseStorageClass(value: string | undefined): StorageClass | undefined {
  if (value === undefined) return undefined;
  const upper = value.toUpperCase();
  if (!(STORAGE_CLASSES as readonly string[]).includes(upper)) {
    throw new UsageError(`--storage-class must be one of ${STORAGE_CLASSES.join(', ')}, got '${value}'`);
  }
  return upper as StorageClass;
}

function parsePartSize(value: string | undefined): number {
  if (value === undefined) return DEFAULT_PART_SIZE;
  const bytes = parseByteSize(value, '--part-size');
  if (bytes < MIN_PART_SIZE || bytes > MAX_PART_SIZE) {
    throw new UsageError(`--part-size must be between 5M and 5G (S3 limits), got '${value}'`);
  }
  return bytes;
}

function parseConcurrency(value: string | undefined): number {
  if (value === undefined) return 4;
  const count = Number(value);
  if (!Number.isInteger(count) || count < 1 || count > 64) {
    throw new UsageError(`--concurrency must be a whole number from 1 to 64, got '${value}'`);
  }
  return count;
}
