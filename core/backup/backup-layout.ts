/**
 * The backups bucket layout (docs/architecture.md, buckets): the contract between `stowage backup`, the nightly
 * verification handler and anyone who restores by hand.
 *
 *   backups/<source>/<yyyymmdd>/<source>_<yyyymmdd_hhmmss>.<ext>   one backup
 *   backups/<source>/<yyyymmdd>/<source>_<yyyymmdd_hhmmss>_<n>.<ext>   the n-th (n ≥ 2) backup taken in that second
 *   <backup key>.stowage-digest.json                               digest manifest of a backup streamed from stdin
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
  /**
   * `manifest` on a backup streamed from stdin: its sha256, original-size and stored-sha256 were not known when
   * the upload began, so they are in the digest manifest object (digestManifestKey) instead of the metadata.
   */
  DIGEST: 'digest',
} as const;

/** BACKUP_METADATA.DIGEST's value when the digests are in the digest manifest. */
export const DIGEST_IN_MANIFEST = 'manifest';

/**
 * The digest manifest of a backup streamed from stdin: a small JSON object written (If-None-Match) once the upload
 * completed, next to the backup, so it shares its lifecycle, replication and Object Lock. Its name is outside the
 * backup key pattern (a dash in the extension), so listings never take it for a backup.
 */
export function digestManifestKey(backup: string): string {
  return `${backup}${DIGEST_MANIFEST_SUFFIX}`;
}
export const DIGEST_MANIFEST_SUFFIX = '.stowage-digest.json';

/** The digest manifest's content: the values BACKUP_METADATA would carry, and the version they describe. */
export interface DigestManifest {
  readonly key: string;
  readonly versionId?: string;
  readonly sha256: string;
  readonly 'original-size': string;
  readonly 'stored-sha256': string;
  readonly 'stored-size': string;
}

/** Parses a digest manifest's JSON; undefined when it is not one (wrong shape or values). */
export function parseDigestManifest(text: string): DigestManifest | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const m = value as Record<string, unknown>;
  const hex = (v: unknown) => typeof v === 'string' && /^[0-9a-f]{64}$/.test(v);
  const count = (v: unknown) => typeof v === 'string' && /^\d+$/.test(v);
  if (typeof m.key !== 'string' || !hex(m.sha256) || !hex(m['stored-sha256'])) return undefined;
  if (!count(m['original-size']) || !count(m['stored-size'])) return undefined;
  if (m.versionId !== undefined && typeof m.versionId !== 'string') return undefined;
  return m as unknown as DigestManifest;
}

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
 * `sequence` 2, 3, … names a further backup taken in the same second (`db_20261123_040000_2.dump.gz`).
 */
export function backupKey(source: string, at: Date, extension: string, sequence = 1): string {
  if (!SOURCE_NAME_PATTERN.test(source)) {
    throw new Error(`invalid source name '${source}': use lower-case letters, digits and dashes (1-63)`);
  }
  if (!/^[a-z0-9]+(\.[a-z0-9]+)*$/i.test(extension)) {
    throw new Error(
      `invalid extension '${extension}': use letters and digits separated by dots, e.g. tar.gz`,
    );
  }
  if (!Number.isInteger(sequence) || sequence < 1) throw new Error(`invalid sequence ${sequence}`);
  const suffix = sequence > 1 ? `_${sequence}` : '';
  return `${BACKUPS_PREFIX}${source}/${dayStamp(at)}/${source}_${timeStamp(at)}${suffix}.${extension}`;
}

/** What a backup key says about itself; undefined when the key is not in the layout. */
export interface ParsedBackupKey {
  readonly source: string;
  readonly takenAt: Date;
  readonly extension: string;
  /** 1, or n for the n-th backup of the same second (`_n` suffix). */
  readonly sequence: number;
}

const BACKUP_KEY_PATTERN =
  /^backups\/([a-z0-9][a-z0-9-]{0,62})\/(\d{8})\/\1_(\d{8})_(\d{6})(?:_([1-9]\d{0,5}))?\.([a-z0-9]+(?:\.[a-z0-9]+)*)$/i;

export function parseBackupKey(key: string): ParsedBackupKey | undefined {
  const match = BACKUP_KEY_PATTERN.exec(key);
  if (!match) return undefined;
  const [, source, day, date, time, sequence, extension] = match;
  if (day !== date) return undefined;
  const takenAt = new Date(
    `${date!.slice(0, 4)}-${date!.slice(4, 6)}-${date!.slice(6, 8)}T${time!.slice(0, 2)}:${time!.slice(2, 4)}:${time!.slice(4, 6)}Z`,
  );
  if (Number.isNaN(takenAt.getTime()) || timeStamp(takenAt) !== `${date}_${time}`) return undefined;
  const n = sequence === undefined ? 1 : Number(sequence);
  if (n === 1 && sequence !== undefined) return undefined;
  return { source: source!, takenAt, extension: extension!, sequence: n };
}

/** `reports/<yyyymmdd>.json` of the night `at` falls in (UTC). */
export function reportKey(at: Date): string {
  return `${REPORTS_PREFIX}${dayStamp(at)}.json`;
}
