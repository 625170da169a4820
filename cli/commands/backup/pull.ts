import { randomBytes } from 'crypto';
import { createWriteStream } from 'fs';
import { link, open, readdir, rename, stat, unlink } from 'fs/promises';
import { basename, dirname, join, resolve } from 'path';
import type { Readable } from 'stream';
import { pipeline } from 'stream/promises';
import { GetObjectCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { systemErrorCode } from '../../../core/aws/aws-errors';
import { parseBackupKey, SOURCE_NAME_PATTERN } from '../../../core/backup/backup-layout';
import {
  createDecryptStream,
  EnvelopeAuthenticationError,
  EnvelopeFormatError,
  ENVELOPE_SCHEME,
  NO_ENCRYPTION,
  type KeySourceKind,
} from '../../../core/backup/envelope-encryption';
import { UsageError } from '../../shared/usage-error';
import { requireBackupKey } from './archive';
import { createBackupClients, type BackupClients, type BackupCommandIo } from './backup-client';
import { resolveBackupConfig, type ConnectionOptions } from './backup-config';
import { EXIT, CommandFailure, progressOf, sleepFor } from '../../shared/command-io';
import { listBackups } from './backup-listing';
import { backupObjectInfo, describeRestore, isReadable, type BackupObjectInfo } from './backup-object';
import { resolverForDecryption } from './encryption-keys';
import { formatBytes } from './human-format';
import { createProgress, progressModeFor } from './progress';
import { isTransientError, parseRetryPolicy, withRetries } from './retry';
import { toBackupFailure } from './service-errors';
import { withManifestDigests } from './digest-manifest';
import { INTERRUPT_EXIT, watchInterrupts } from './interrupt';
import { createDigestStream } from './stream-digest';

export interface BackupPullOptions extends ConnectionOptions {
  /** Pull the newest backup of --source instead of a KEY. */
  readonly latest?: boolean;
  readonly source?: string;
  /** Output file or directory. Default: the key's file name in the current directory. */
  readonly output?: string;
  /** Replace an existing output file. */
  readonly force?: boolean;
  /** Name of the environment variable holding the passphrase of a passphrase-encrypted backup. */
  readonly passphraseEnv?: string;
  readonly quiet?: boolean;
  /** Retries of a download that failed on the way (network, 5xx, cut short); default 3. */
  readonly retries?: string;
  /** Seconds to wait before each retry, comma-separated; default 5,10,20. */
  readonly retryDelays?: string;
}

/** The body ended before the object's stored size: the connection was cut; worth another attempt. */
class ShortReadError extends Error {
  override readonly name = 'ShortReadError';
}

/**
 * `stowage backup pull KEY | --latest --source NAME`: streams a backup down, decrypts it when it is encrypted,
 * checks the SHA-256 and size of both the stored and the original bytes against the metadata, and only then moves
 * the temporary file (next to the target) into place. Prints the path written. Returns the exit code.
 */
export async function runBackupPullCommand(
  key: string | undefined,
  options: BackupPullOptions,
  io: BackupCommandIo,
): Promise<number> {
  const config = resolveBackupConfig(options, io.env);
  if (options.latest) {
    if (key) throw new UsageError('give either KEY or --latest --source NAME, not both');
    if (!options.source) throw new UsageError('--latest needs --source NAME');
    if (!SOURCE_NAME_PATTERN.test(options.source))
      throw new UsageError(`invalid source name '${options.source}'`);
  } else {
    if (!key) throw new UsageError('name the backup KEY to pull, or use --latest --source NAME');
    requireBackupKey(key);
  }
  const clients = (io.createClients ?? createBackupClients)(config);
  const interrupts = watchInterrupts(io.signals);
  let temp: string | undefined;
  try {
    const chosen = key ?? (await newestKey(clients.s3, config.bucket, options.source!));
    const head = await clients.s3.send(new HeadObjectCommand({ Bucket: config.bucket, Key: chosen }));
    const info = await withManifestDigests(clients.s3, config.bucket, chosen, backupObjectInfo(head));
    if (!isReadable(info)) throw notRestored(chosen, info);
    if (!info.sha256 || info.originalSize === undefined) {
      throw new CommandFailure(
        `${chosen} carries no sha256/original-size metadata: it was not written by Stowage`,
      );
    }
    const target = await targetPath(options.output, chosen);
    if (!options.force && (await exists(target))) {
      throw new CommandFailure(`refusing to overwrite ${target}: pass --force to replace it`);
    }
    await removeStalePartFiles(target);
    // Checked before any byte moves: an encryption this version cannot read, or a missing key source, is final.
    const encrypted = decryptStage(chosen, info, options, io, clients) !== undefined;

    const policy = parseRetryPolicy(options.retries, options.retryDelays);
    // Each attempt downloads the same version (VersionId, IfMatch) into a fresh temporary file from the start; a
    // failed attempt's file is removed before the next one. Digest mismatches are final, not retried.
    const downloadOnce = async (): Promise<string> => {
      const part = join(
        dirname(target),
        `${partPrefix(target)}${process.pid}-${randomBytes(6).toString('hex')}.part`,
      );
      temp = part;
      const object = await clients.s3.send(
        new GetObjectCommand({
          Bucket: config.bucket,
          Key: chosen,
          VersionId: info.versionId,
          ...(info.etag ? { IfMatch: info.etag } : {}),
        }),
        { abortSignal: interrupts.signal },
      );
      const progress = createProgress({
        label: `pull ${basename(chosen)}`,
        total: info.storedSize,
        mode: progressModeFor({ quiet: options.quiet, isTty: io.isTty ?? false }),
        write: progressOf(io),
      });
      const stored = createDigestStream({ onBytes: (done) => progress.update(done) });
      const original = createDigestStream();
      // Whether the body ended (cleanly): a short body then is a cut connection, not a bad object.
      let bodyEnded = false;
      stored.stream.once('finish', () => (bodyEnded = true));
      const decrypt = decryptStage(chosen, info, options, io, clients);
      const stages: (NodeJS.ReadableStream | NodeJS.ReadWriteStream | NodeJS.WritableStream)[] = [
        object.Body as Readable,
        stored.stream,
        ...(decrypt ? [decrypt] : []),
        original.stream,
        createWriteStream(part, { flags: 'wx', mode: 0o600 }),
      ];
      try {
        await pipeline(stages, { signal: interrupts.signal });
      } catch (error) {
        if (interrupts.received()) throw error;
        await unlink(part).catch(ignoreMissing);
        temp = undefined;
        // A body that ended short surfaces from the decryptor as a truncated envelope: the stored count tells.
        if (bodyEnded && stored.bytes() < info.storedSize && !isTransientError(error)) {
          throw new ShortReadError(
            `the download stopped after ${stored.bytes()} of ${info.storedSize} bytes (${describeFailure(error)})`,
            { cause: error },
          );
        }
        throw error;
      } finally {
        progress.finish();
      }
      const storedResult = stored.result();
      if (storedResult.size < info.storedSize) {
        await unlink(part).catch(ignoreMissing);
        temp = undefined;
        throw new ShortReadError(`the download ended after ${storedResult.size} of ${info.storedSize} bytes`);
      }
      checkDigests(chosen, info, storedResult, original.result());
      return part;
    };
    const downloaded = await withRetries(downloadOnce, policy, {
      sleep: sleepFor(io),
      isRetryable: (error) =>
        !interrupts.received() && (error instanceof ShortReadError || isTransientError(error)),
      onRetry: (error, retry, delayMs) => {
        io.err(
          `pull: attempt ${retry} failed (${describeFailure(error)}); retry ${retry} of ${policy.retries} in ` +
            `${Math.round(delayMs / 1000)} s`,
        );
      },
    }).catch((error: unknown) => {
      if (!(error instanceof ShortReadError) && !isTransientError(error)) throw error;
      throw new CommandFailure(
        `download failed after ${policy.retries + 1} attempts: ${describeFailure(error)}`,
        { cause: error },
      );
    });
    temp = downloaded;
    await syncFile(downloaded);
    await moveIntoPlace(downloaded, target, Boolean(options.force));
    temp = undefined;
    io.out(target);
    if (!options.quiet) {
      io.err(
        `pulled s3://${config.bucket}/${chosen} to ${target}: ${formatBytes(info.originalSize)}, sha256 ${info.sha256}` +
          (encrypted ? ` (decrypted, ${info.keySource})` : '') +
          ' verified',
      );
    }
    return EXIT.OK;
  } catch (error) {
    const signal = interrupts.received();
    if (signal) {
      if (temp) await unlink(temp).catch(ignoreMissing);
      temp = undefined;
      io.err(`stowage backup pull: interrupted by ${signal}: the partial download was removed`);
      return INTERRUPT_EXIT[signal];
    }
    const failure =
      error instanceof EnvelopeAuthenticationError || error instanceof EnvelopeFormatError
        ? new CommandFailure(`decryption failed: ${error.message}`, { cause: error })
        : toBackupFailure('pull', error);
    if (!failure) throw error;
    io.err(`stowage backup pull: ${failure.message}`);
    return EXIT.FAILED;
  } finally {
    if (temp) await unlink(temp).catch(ignoreMissing);
    interrupts.dispose();
    clients.destroy();
  }
}

/** Every partial download of `target` starts with this (hidden, next to the target). */
function partPrefix(target: string): string {
  return `.${basename(target)}.stowage-`;
}

/**
 * Removes the partial downloads of `target` that an earlier pull left behind (killed with SIGKILL, power loss):
 * those whose process is gone, and those of older versions, whose names carry no process id.
 */
async function removeStalePartFiles(target: string): Promise<void> {
  const prefix = partPrefix(target);
  const names = await readdir(dirname(target)).catch(ignoreMissing);
  for (const name of names ?? []) {
    if (!name.startsWith(prefix) || !name.endsWith('.part')) continue;
    const pid = /^(\d+)-[0-9a-f]+\.part$/.exec(name.slice(prefix.length))?.[1];
    if (pid !== undefined && isAlive(Number(pid))) continue;
    await unlink(join(dirname(target), name)).catch(ignoreMissing);
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return isCode(error, 'EPERM');
  }
}

async function newestKey(s3: S3Client, bucket: string, source: string): Promise<string> {
  const [newest] = await listBackups(s3, bucket, source);
  if (!newest) throw new CommandFailure(`no backups of source '${source}' in s3://${bucket}`);
  return newest.key;
}

function notRestored(key: string, info: BackupObjectInfo): CommandFailure {
  const state = info.restore ? describeRestore(info.restore) : 'not restored';
  const next =
    info.restore?.state === 'ongoing'
      ? 'wait until the restore is done (`stowage backup list` shows it), then pull again'
      : `run \`stowage backup restore ${key} --days 7\`, wait until it is done, then pull again`;
  return new CommandFailure(`${key} is in ${info.storageClass} (${state}): ${next}`);
}

function decryptStage(
  key: string,
  info: BackupObjectInfo,
  options: BackupPullOptions,
  io: BackupCommandIo,
  clients: BackupClients,
): NodeJS.ReadWriteStream | undefined {
  if (info.encryption === NO_ENCRYPTION) return undefined;
  if (info.encryption !== ENVELOPE_SCHEME) {
    throw new CommandFailure(
      `${key} is encrypted with '${info.encryption}', which this version cannot decrypt`,
    );
  }
  if (info.keySource !== 'kms' && info.keySource !== 'passphrase') {
    throw new CommandFailure(`${key} has an unknown key-source '${info.keySource ?? ''}'`);
  }
  const kind: KeySourceKind = info.keySource;
  const resolver = resolverForDecryption(kind, { passphraseEnv: options.passphraseEnv }, io.env, clients);
  const parsed = parseBackupKey(key);
  return createDecryptStream(resolver, { expectedContext: { source: parsed!.source, key } });
}

function checkDigests(
  key: string,
  info: BackupObjectInfo,
  stored: { sha256: string; size: number },
  original: { sha256: string; size: number },
): void {
  const problems: string[] = [];
  if (stored.size !== info.storedSize) problems.push(`received ${stored.size} bytes of ${info.storedSize}`);
  if (info.storedSha256 && stored.sha256 !== info.storedSha256) {
    problems.push(`stored bytes have SHA-256 ${stored.sha256}, metadata says ${info.storedSha256}`);
  }
  if (original.size !== info.originalSize) {
    problems.push(`result is ${original.size} bytes, metadata says ${info.originalSize}`);
  }
  if (original.sha256 !== info.sha256) {
    problems.push(`result has SHA-256 ${original.sha256}, metadata says ${info.sha256}`);
  }
  if (problems.length > 0) {
    throw new CommandFailure(
      `${key} does not match its metadata: ${problems.join('; ')}; nothing was written`,
    );
  }
}

/** `-o PATH`: a file, or a directory to put the key's file name in. */
async function targetPath(output: string | undefined, key: string): Promise<string> {
  const name = basename(key);
  if (output === undefined) return resolve(name);
  const info = await stat(output).catch(ignoreMissing);
  return info?.isDirectory() ? resolve(output, name) : resolve(output);
}

async function exists(path: string): Promise<boolean> {
  return (await stat(path).catch(ignoreMissing)) !== undefined;
}

async function syncFile(path: string): Promise<void> {
  const handle = await open(path, 'r+');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Without --force: a hard link (fails if the target appeared meanwhile: never clobbers), then drop the temporary
 * name. With --force: an atomic rename over the target.
 */
async function moveIntoPlace(temp: string, target: string, force: boolean): Promise<void> {
  if (force) {
    await rename(temp, target);
    return;
  }
  try {
    await link(temp, target);
  } catch (error) {
    if (isCode(error, 'EEXIST'))
      throw new CommandFailure(`refusing to overwrite ${target}: pass --force to replace it`);
    if (!isCode(error, 'EPERM') && !isCode(error, 'ENOTSUP')) throw error;
    // File systems without hard links: check, then rename (a small window, documented).
    if (await exists(target))
      throw new CommandFailure(`refusing to overwrite ${target}: pass --force to replace it`);
    await rename(temp, target);
    return;
  }
  await unlink(temp);
}

function describeFailure(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}

function isCode(error: unknown, code: string): boolean {
  return systemErrorCode(error) === code;
}

function ignoreMissing(error: unknown): undefined {
  if (isCode(error, 'ENOENT')) return undefined;
  throw error;
}
