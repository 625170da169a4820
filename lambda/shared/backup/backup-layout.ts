/**
 * The backups bucket layout (docs/architecture.md, buckets): the contract between `stowage backup`, the nightly
 * verification handler and anyone who restores by hand.
 *
 *   backups/<source>/<yyyymmdd>/<source>_<yyyymmdd_hhmmss>.<ext>   one backup
 *   test/<anything>                                               scratch space (expires after 7 days)
 *   reports/<yyyymmdd>.json                                       one verification report per night
 */
export const BACKUPS_PREFIX = 'backups/';
export const TEST_PREFIX = 'test/';
export const REPORTS_PREFIX = 'reports/';

/** A source name: lower-case letters, digits and dashes, 1-63 characters, starting with a letter or digit. */
export const SOURCE_NAME_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** User metadata every backup object carries (S3 lower-cases and prefixes them with `x-amz-meta-`). */
export const BACKUP_METADATA = {
  /** Lower-case hex SHA-256 of the ORIGINAL bytes (before any client-side encryption). */
  SHA256: 'sha256',
  /** Byte size of the original bytes (before any client-side encryption). */
  SIZE: 'original-size',
  /** Lower-case hex SHA-256 of the bytes AS STORED (equal to sha256 when not encrypted). */
  STORED_SHA256: 'stored-sha256',
  /** `none`, or the client-side encryption scheme and version, e.g. `stowage-aes256gcm-v1`. */
  ENCRYPTION: 'encryption',
  /** With client-side encryption: where the data key comes from, `kms` or `passphrase`. */
  KEY_SOURCE: 'key-source',
  /** The source name, repeated for tools that only see the object. */
  SOURCE: 'source',
} as const;

/** `yyyymmdd` of a UTC date. */
export function dayStamp(at: Date): string {
  return at.toISOString().slice(0, 10).replace(/-/g, '');
}

/** `yyyymmdd_hhmmss` of a UTC date. */
export function timeStamp(at: Date): string {
  const iso = at.toISOString();
  return `${iso.slice(0, 10).replace(/-/g, '')}_${iso.slice(11, 19).replace(/:/g, '')}`;
}

/**
 * The key of a backup of `source` taken at `at`, e.g. `backups/db/20261123/db_20261123_040000.dump.gz`.
 * `extension` is everything after the first dot of the original file name (`dump`, `tar.gz`), without the dot.
 */
export function backupKey(source: string, at: Date, extension: string): string {
  if (!SOURCE_NAME_PATTERN.test(source)) {
    throw new Error(`invalid source name '${source}': use lower-case letters, digits and dashes (1-63)`);
  }
  if (!/^[a-z0-9]+(\.[a-z0-9]+)*$/i.test(extension)) {
    throw new Error(
      `invalid extension '${extension}': use letters and digits separated by dots, e.g. tar.gz`,
    );
  }
  return `${BACKUPS_PREFIX}${source}/${dayStamp(at)}/${source}_${timeStamp(at)}.${extension}`;
}

/** What a backup key says about itself; undefined when the key is not in the layout. */
export interface ParsedBackupKey {
  readonly source: string;
  readonly takenAt: Date;
  readonly extension: string;
}

const BACKUP_KEY_PATTERN =
  /^backups\/([a-z0-9][a-z0-9-]{0,62})\/(\d{8})\/\1_(\d{8})_(\d{6})\.([a-z0-9]+(?:\.[a-z0-9]+)*)$/i;

export function parseBackupKey(key: string): ParsedBackupKey | undefined {
  const match = BACKUP_KEY_PATTERN.exec(key);
  if (!match) return undefined;
  const [, source, day, date, time, extension] = match;
  if (day !== date) return undefined;
  const takenAt = new Date(
    `${date!.slice(0, 4)}-${date!.slice(4, 6)}-${date!.slice(6, 8)}T${time!.slice(0, 2)}:${time!.slice(2, 4)}:${time!.slice(4, 6)}Z`,
  );
  if (Number.isNaN(takenAt.getTime()) || timeStamp(takenAt) !== `${date}_${time}`) return undefined;
  return { source: source!, takenAt, extension: extension! };
}

/** `reports/<yyyymmdd>.json` of the night `at` falls in (UTC). */
export function reportKey(at: Date): string {
  return `${REPORTS_PREFIX}${dayStamp(at)}.json`;
}
