import { stat } from 'fs/promises';
import { basename } from 'path';
import { DeleteObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { backupKey, digestManifestKey } from '../../../core/backup/backup-layout';
import { ENVELOPE_SCHEME, type DataKey } from '../../../core/backup/envelope-encryption';
import { systemErrorCode } from '../../../core/aws/aws-errors';
import { isInvalidArgument, isPreconditionFailed } from '../../../core/aws/s3-errors';
import { UsageError } from '../../shared/usage-error';
import { createBackupClients, type BackupCommandIo } from './backup-client';
import { resolveBackupConfig } from './backup-config';
import { EXIT, CommandFailure, clockOf, progressOf, sleepFor } from '../../shared/command-io';
import { writeDigestManifest } from './digest-manifest';
import { resolverForEncryption } from './encryption-keys';
import { formatBytes } from './human-format';
import { INTERRUPT_EXIT, InterruptedError, watchInterrupts } from './interrupt';
import { abortUploadsOfKey } from './multipart-abort';
import { chooseFreeKey, lostKeyRace, type ChosenKey } from './push-keys';
import { createProgress, progressModeFor } from './progress';
import {
  backupExtension,
  parseConcurrency,
  parsePartSize,
  parseStorageClass,
  pushFormat,
  type BackupPushOptions,
} from './push-options';
import { checkFileFormat } from './push-format-check';
import { pushFileOnce, pushStreamOnce, readFile, type PushedObject, type PushSettings } from './push-upload';
import { isTransientError, parseRetryPolicy, withRetries, type RetryHooks } from './retry';
import { describeS3Code, toBackupFailure } from './service-errors';
import { DigestMismatchError } from './stream-digest';
import { parseByteRate } from './throttle';
import { verifyUpload, type UploadExpectation, type UploadVerification } from './upload-verification';

export { backupExtension, STORAGE_CLASSES, type BackupPushOptions } from './push-options';

/**
 * `stowage backup push FILE|- --source NAME`: uploads FILE (or stdin) to
 * `backups/<source>/<yyyymmdd>/<source>_<ts>[_n].<ext>` with its SHA-256 and size, optionally envelope-encrypted,
 * retried with backoff, then verified; a failed verification deletes what was written. The key is one nobody else
 * holds (If-None-Match, `_n` suffix for further pushes in the same second). SIGINT/SIGTERM abort the multipart
 * upload in flight (exit 130/143). Prints the key on stdout. Returns the exit code.
 */
export async function runBackupPushCommand(
  file: string,
  options: BackupPushOptions,
  io: BackupCommandIo,
): Promise<number> {
  const config = resolveBackupConfig(options, io.env);
  const fromStdin = file === '-';
  if (fromStdin && !options.name) {
    throw new UsageError(
      'push - (stdin) needs --name FILE-NAME, e.g. --name appdb.dump, for the key extension',
    );
  }
  const extension = backupExtension(fromStdin ? options.name! : file);
  const size = fromStdin ? undefined : await regularFileSize(file);
  try {
    backupKey(options.source, clockOf(io)(), extension);
  } catch (error) {
    if (error instanceof Error && /^invalid (source name|extension)/.test(error.message)) {
      throw new UsageError(error.message);
    }
    throw error;
  }
  const policy = parseRetryPolicy(options.retries, options.retryDelays);
  const settings: PushSettings = {
    file,
    source: options.source,
    config,
    storageClass: parseStorageClass(options.storageClass),
    partSize: parsePartSize(options.partSize),
    concurrency: parseConcurrency(options.concurrency),
    bandwidth: options.maxBandwidth === undefined ? undefined : parseByteRate(options.maxBandwidth),
    format: pushFormat(options.format, extension),
    check: options.check !== false,
    partRetry: policy,
    sleep: sleepFor(io),
  };
  const encrypt = Boolean(options.encrypt || options.passphraseEnv);
  const progressMode = progressModeFor({ quiet: options.quiet, isTty: io.isTty ?? false });
  const label = `push ${fromStdin ? options.name! : basename(file)}`;
  const clients = (io.createClients ?? createBackupClients)(config);
  const interrupts = watchInterrupts(io.signals);
  const say = (line: string): void => {
    if (!options.quiet) io.err(line);
  };
  const takenAt = clockOf(io)();
  let chosen: ChosenKey | undefined;
  let key = '';
  let uploadId: string | undefined;
  const chooseFrom = async (sequence: number): Promise<void> => {
    chosen = await chooseFreeKey(clients.s3, config.bucket, options.source, takenAt, extension, sequence);
    key = chosen.key;
  };
  try {
    if (!fromStdin && settings.check && settings.format !== 'raw') {
      const detail = await checkFileFormat(settings.format, readFile(file), file);
      say(`checked ${file}: ${detail}`);
    }
    await chooseFrom(1);
    const resolver = encrypt
      ? resolverForEncryption(
          { passphraseEnv: options.passphraseEnv, kmsKeyId: config.kmsKeyId },
          io.env,
          clients,
        )
      : undefined;
    // The data key's context names the key: a new key (another push took this one) needs a new data key.
    let dataKey: DataKey | undefined;
    let dataKeyFor = '';
    const attempt = async (): Promise<PushedObject> => {
      const started = new Date();
      try {
        if (resolver && dataKeyFor !== key) {
          dataKey = await resolver.generateDataKey({ source: options.source, key });
          dataKeyFor = key;
        }
        const progress = createProgress({
          label,
          total: size,
          mode: progressMode,
          write: progressOf(io),
          stallAfterMs: 10_000,
        });
        const common = {
          s3: clients.s3,
          key,
          dataKey,
          signal: interrupts.signal,
          progress,
          onUploadId: (id: string) => (uploadId = id),
          onPartRetry: (part: number, retry: number, error: unknown, delayMs: number) =>
            io.err(
              `push: part ${part} failed (${describe(error)}); retry ${retry} of ${policy.retries} in ` +
                `${delayMs / 1000}s`,
            ),
        };
        return fromStdin
          ? await pushStreamOnce(settings, io.stdin ?? process.stdin, common)
          : await pushFileOnce(settings, size!, common);
      } catch (error) {
        if (error instanceof InterruptedError) throw error;
        if (isPreconditionFailed(error) && !fromStdin) {
          // Another push created this key after we chose it: take the next free one and try again at once.
          const taken = key;
          await chooseFrom(chosen!.sequence + 1);
          say(`push: ${taken} was created by another push meanwhile; using ${key}`);
          return attempt();
        }
        if (isPreconditionFailed(error)) {
          throw new CommandFailure(
            `another push created ${key} while this one was uploading; the upload was aborted and nothing was ` +
              'stored (stdin cannot be read again: run the dump again)',
            { cause: error },
          );
        }
        // An upload whose CreateMultipartUpload answer was lost (connection reset) has an id we never saw.
        if (isTransientError(error)) {
          const cleanup = await abortUploadsOfKey(clients.s3, config.bucket, key, started).catch(
            (listError: unknown) => ({
              aborted: [],
              failed: [`listing uploads failed: ${describe(listError)}`],
            }),
          );
          if (cleanup.aborted.length > 0)
            say(`push: aborted ${cleanup.aborted.length} leftover upload(s) of ${key}`);
          if (cleanup.failed.length > 0) say(`push: could not abort: ${cleanup.failed.join('; ')}`);
        }
        throw error;
      }
    };
    const retryHooks: RetryHooks = {
      sleep: sleepFor(io),
      isRetryable: isTransientError,
      onRetry: (error, retry, delayMs) =>
        io.err(
          `push: attempt ${retry} failed (${describe(error)}); the failed attempt's upload was aborted; retry ` +
            `${retry} of ${policy.retries} in ${delayMs / 1000}s`,
        ),
    };
    let pushed = await withRetries(attempt, fromStdin ? { ...policy, retries: 0 } : policy, retryHooks);
    // A server that ignores If-None-Match (Ceph RGW on versioned buckets) let another push write this key too.
    while (await lostKeyRace(clients.s3, config.bucket, chosen!, pushed.versionId)) {
      const lost = key;
      const removed = await deleteVersion(clients.s3, config.bucket, lost, pushed.versionId);
      if (removed !== true) {
        throw new CommandFailure(
          `another push wrote ${lost} in the same instant and this push's version ${pushed.versionId} could not ` +
            `be removed (${removed}): remove it by hand so the other backup is the current version`,
        );
      }
      if (fromStdin) {
        throw new CommandFailure(
          `another push wrote ${lost} in the same instant; this push's version was removed (stdin cannot be ` +
            'read again: run the dump again)',
        );
      }
      await chooseFrom(chosen!.sequence + 1);
      say(`push: another push wrote ${lost} in the same instant; pushing to ${key} instead`);
      pushed = await withRetries(attempt, policy, retryHooks);
    }
    if (pushed.needsManifest) {
      try {
        await writeDigestManifest(
          clients.s3,
          config,
          { key, versionId: pushed.versionId, ...pushed },
          sleepFor(io),
        );
      } catch (error) {
        const removed = await deleteVersion(clients.s3, config.bucket, key, pushed.versionId);
        throw new CommandFailure(
          `writing the digest manifest ${digestManifestKey(key)} failed (${describe(error)}); the backup ` +
            (removed === true ? 'was deleted' : `could not be deleted (${removed}): remove it by hand`),
          { cause: error },
        );
      }
    }
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
      throw new CommandFailure(
        `verification of s3://${config.bucket}/${key} failed: ${verification.problems.join('; ')}; ` +
          (removed === true
            ? 'the object was deleted'
            : `deleting it failed too (${removed}): remove it by hand`),
      );
    }
    io.out(key);
    say(
      `pushed ${fromStdin ? 'stdin' : file} to s3://${config.bucket}/${key}: ${formatBytes(pushed.original.size)}` +
        (encrypt
          ? ` (stored ${formatBytes(pushed.stored.size)}, ${ENVELOPE_SCHEME} ${resolver!.kind})`
          : '') +
        `, sha256 ${pushed.original.sha256}` +
        (pushed.needsManifest ? ` (digests in ${basename(digestManifestKey(key))})` : ''),
    );
    for (const note of verification.notes) say(`verified: ${note}`);
    return EXIT.OK;
  } catch (error) {
    const signal = interrupts.received();
    if (
      signal &&
      (error instanceof InterruptedError || isAbortError(error) || error instanceof CommandFailure)
    ) {
      io.err(
        `stowage backup push: interrupted by ${signal}` +
          (error instanceof CommandFailure
            ? `: ${error.message}`
            : uploadId
              ? `: multipart upload ${uploadId} of s3://${config.bucket}/${key} was aborted, nothing was stored`
              : ': nothing was stored'),
      );
      return INTERRUPT_EXIT[signal];
    }
    const failure =
      error instanceof DigestMismatchError
        ? new CommandFailure(error.message)
        : settings.storageClass && isInvalidArgument(error)
          ? new CommandFailure(
              `the server refused storage class ${settings.storageClass} (${describeS3Code('InvalidArgument')}): ` +
                'S3-compatible servers such as Ceph RGW only accept the storage classes their zone placement ' +
                'defines; nothing was stored',
              { cause: error },
            )
          : toBackupFailure('push', error);
    if (!failure) throw error;
    io.err(`stowage backup push: ${failure.message}`);
    return EXIT.FAILED;
  } finally {
    interrupts.dispose();
    clients.destroy();
  }
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
    throw new CommandFailure(
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

function isAbortError(error: unknown): boolean {
  return (error as { name?: unknown } | null)?.name === 'AbortError';
}

function describe(error: unknown): string {
  const { name, message } = (error ?? {}) as { name?: unknown; message?: unknown };
  const label = systemErrorCode(error) ?? (typeof name === 'string' ? name : 'Error');
  if (typeof message === 'string' && message && message !== label && message !== 'UnknownError') {
    return `${label}: ${message}`;
  }
  return describeS3Code(label);
}
