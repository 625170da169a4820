import type { BackupSourceConfig } from '../backup-source';

/**
 * The nightly verification report: written to `reports/<yyyymmdd>.json`, returned by the handler and printed by
 * `stowage backup verify --json`. Plain JSON (strings, numbers, booleans, arrays, objects), stable field names.
 */
export interface VerificationReport {
  /** Environment name (`dev`, `staging`, `prod`). */
  readonly env: string;
  /** The time the verification judged freshness against (ISO 8601, UTC). */
  readonly at: string;
  /** The backups bucket. */
  readonly bucket: string;
  /** True when no source is a failure (isFailure). */
  readonly ok: boolean;
  /** One entry per configured source, in configuration order. */
  readonly sources: readonly SourceReport[];
}

/**
 * - `ok`: the newest backup passed every check.
 * - `failed`: a check failed, or the verification itself could not complete (`error`).
 * - `archived`: the newest backup is in an archive tier (GLACIER, DEEP_ARCHIVE) and not restored: content checks
 *   were skipped, every other check passed. Not a failure.
 * - `missing`: no backup of this source exists (before `at`).
 * - `unverified`: every check that ran passed, but the content could not be opened (passphrase-encrypted without
 *   the passphrase, a format or compression the verifier does not read). A failure unless the source's
 *   `contentChecks` is `optional`.
 */
export const SOURCE_STATUSES = ['ok', 'failed', 'archived', 'missing', 'unverified'] as const;
export type SourceStatus = (typeof SOURCE_STATUSES)[number];

export interface SourceReport {
  readonly source: string;
  readonly format: BackupSourceConfig['format'];
  readonly status: SourceStatus;
  /** Key of the newest backup (absent when `missing`). */
  readonly key?: string;
  readonly versionId?: string;
  /** When the newest backup was taken, from its key (ISO 8601). */
  readonly takenAt?: string;
  /** Hours between `takenAt` and the report's `at`, two decimals. */
  readonly ageHours?: number;
  /** The newest backup's size as stored (HeadObject Content-Length). */
  readonly sizeBytes?: number;
  /** Every check run, in order; skipped checks are listed with `skipped: true`, never left out. */
  readonly checks: readonly CheckResult[];
  /** What the format check learned (entry counts, dump header, a few TOC entries). */
  readonly content?: ContentSummary;
  /** Keys under `backups/<source>/` that are not in the layout (ignored, reported so someone tidies them). */
  readonly ignoredKeys?: { readonly count: number; readonly examples: readonly string[] };
  /** When this entry was re-verified, if later than the report's `at` (a re-verification merged into the day's report). */
  readonly verifiedAt?: string;
  /** The source's `contentChecks` when `optional`: an `unverified` source is then not a failure. */
  readonly contentChecks?: 'optional';
  /** Set when the verification of this source could not complete (S3 or KMS error): the source is `failed`. */
  readonly error?: string;
}

export type CheckName =
  | 'present'
  | 'freshness'
  | 'size'
  | 'timestamp'
  | 'encryption'
  | 'replication'
  | 'storage-class'
  | 'checksum'
  | 'container'
  | 'decryption'
  | 'format';

export interface CheckResult {
  readonly name: CheckName;
  /** False fails the source. A skipped check is `ok: true` with `skipped: true` and a `detail` saying why. */
  readonly ok: boolean;
  readonly detail: string;
  readonly skipped?: true;
  /** The check could not be made (content the verifier cannot open): `ok: false`, the source is `unverified`. */
  readonly unverified?: true;
}

/** What a format check learned from the content. */
export interface ContentSummary {
  /** Decompressed bytes (gzip, tar.gz). */
  readonly uncompressedBytes?: number;
  /** Entries walked (tar.gz: files and directories; pg-dump: TOC entries). */
  readonly entries?: number;
  /** PostgreSQL custom-format dump header. */
  readonly pgDump?: {
    /** custom (`-Fc`), tar (`-Ft`), directory (`-Fd` packed as tar) or plain (SQL). */
    readonly form: 'custom' | 'tar' | 'directory' | 'plain';
    /** The file was gzip-compressed as a whole (`.sql.gz`, `.tar.gz`). */
    readonly gzipped: boolean;
    /** Archive header fields (absent for plain SQL, which has none). */
    readonly archiveVersion?: string;
    readonly database?: string;
    readonly createdAt?: string;
    readonly compression?: string;
    readonly serverVersion?: string;
    readonly pgDumpVersion?: string;
    /** Custom: data blocks; tar and directory: data files; plain: COPY blocks. */
    readonly dataBlocks: number;
    /** Custom format: bytes after the last data block (another dump appended?), not read by pg_restore. */
    readonly trailingBytes?: number;
    /** The first TOC entries, formatted like `pg_restore --list`. */
    readonly sample: readonly string[];
  };
}

export function passed(name: CheckName, detail: string): CheckResult {
  return { name, ok: true, detail };
}

export function failed(name: CheckName, detail: string): CheckResult {
  return { name, ok: false, detail };
}

export function skipped(name: CheckName, reason: string): CheckResult {
  return { name, ok: true, skipped: true, detail: `skipped: ${reason}` };
}

/** A check that could not be made: counts against the source unless its content checks are optional. */
export function unverified(name: CheckName, reason: string): CheckResult {
  return { name, ok: false, unverified: true, detail: `unverified: ${reason}` };
}

/** `failed` when a check failed, else `unverified` when a check could not be made, else `ok`. */
export function statusOfChecks(checks: readonly CheckResult[]): 'ok' | 'failed' | 'unverified' {
  if (checks.some((check) => !check.ok && !check.unverified)) return 'failed';
  return checks.some((check) => check.unverified) ? 'unverified' : 'ok';
}

/** A source that did not pass: `failed`, `missing`, or `unverified` unless its content checks are optional. */
export function isFailure(source: SourceReport): boolean {
  if (source.status === 'unverified') return source.contentChecks !== 'optional';
  return source.status === 'failed' || source.status === 'missing';
}

/** Assembles a report; `ok` is derived from the sources. */
export function buildReport(fields: Omit<VerificationReport, 'ok'>): VerificationReport {
  return { ...fields, ok: !fields.sources.some(isFailure) };
}

/** One line per failed check (or the error, or `missing`) of a source: what operations reads first. */
export function failureReasons(source: SourceReport): string[] {
  if (source.error) return [`verification error: ${source.error}`];
  if (source.status === 'missing') {
    return [source.checks.find((check) => !check.ok)?.detail ?? 'no backup found'];
  }
  return source.checks.filter((check) => !check.ok).map((check) => `${check.name}: ${check.detail}`);
}
