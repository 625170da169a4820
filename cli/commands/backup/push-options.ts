import { basename } from 'path';
import type { StorageClass } from '@aws-sdk/client-s3';
import { UsageError } from '../../shared/usage-error';
import type { ConnectionOptions } from './backup-config';
import { parseByteSize } from './throttle';

export interface BackupPushOptions extends ConnectionOptions {
  /** Source name (key layout). Required. */
  readonly source: string;
  /** With FILE `-` (stdin): the file name the key takes its extension from, e.g. appdb.dump. */
  readonly name?: string;
  /** Format checked before upload: pg-dump, gzip, tar-gz or raw. Default: from the extension. */
  readonly format?: string;
  /** `--no-check` sets this false: no format check before the upload. */
  readonly check?: boolean;
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
  /** Retries after the first attempt (of a part, for stdin). Default 3. */
  readonly retries?: string;
  /** Seconds to wait before each retry, comma-separated; past the list each wait doubles. Default 5,10,20. */
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

/** The formats a push can check (the verifier's), and raw: no check. */
export const PUSH_FORMATS = ['pg-dump', 'gzip', 'tar-gz', 'raw'] as const;
export type PushFormat = (typeof PUSH_FORMATS)[number];

/**
 * The extension for the key: everything after the first dot of the file name (`db.dump.gz` → `dump.gz`),
 * lower-cased; `bin` for a name without one.
 */
export function backupExtension(file: string): string {
  const name = basename(file).replace(/^\.+/, '');
  const dot = name.indexOf('.');
  return dot < 0 ? 'bin' : name.slice(dot + 1).toLowerCase();
}

/** `--format`, else what the extension says: dump/pgdump/backup → pg-dump, tar.gz/tgz → tar-gz, *.gz → gzip. */
export function pushFormat(value: string | undefined, extension: string): PushFormat {
  if (value !== undefined) {
    if (!(PUSH_FORMATS as readonly string[]).includes(value)) {
      throw new UsageError(`--format must be one of ${PUSH_FORMATS.join(', ')}, got '${value}'`);
    }
    return value as PushFormat;
  }
  if (/^(dump|pgdump|backup)$/.test(extension)) return 'pg-dump';
  if (/(^|\.)(tar\.gz|tgz)$/.test(extension)) return 'tar-gz';
  if (/(^|\.)gz$/.test(extension)) return 'gzip';
  return 'raw';
}

export function parseStorageClass(value: string | undefined): StorageClass | undefined {
  if (value === undefined) return undefined;
  const upper = value.toUpperCase();
  if (!(STORAGE_CLASSES as readonly string[]).includes(upper)) {
    throw new UsageError(`--storage-class must be one of ${STORAGE_CLASSES.join(', ')}, got '${value}'`);
  }
  return upper as StorageClass;
}

export function parsePartSize(value: string | undefined): number {
  if (value === undefined) return DEFAULT_PART_SIZE;
  const bytes = parseByteSize(value, '--part-size');
  if (bytes < MIN_PART_SIZE || bytes > MAX_PART_SIZE) {
    throw new UsageError(`--part-size must be between 5M and 5G (S3 limits), got '${value}'`);
  }
  return bytes;
}

export function parseConcurrency(value: string | undefined): number {
  if (value === undefined) return 4;
  const count = Number(value);
  if (!Number.isInteger(count) || count < 1 || count > 64) {
    throw new UsageError(`--concurrency must be a whole number from 1 to 64, got '${value}'`);
  }
  return count;
}
