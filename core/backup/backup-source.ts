/**
 * One backup source and what its backups must look like: the env config's `backups.sources` entries, passed to
 * the verification handler as JSON (HANDLER_ENV.BACKUP_SOURCES) and used by `stowage backup verify`.
 */
export interface BackupSourceConfig {
  /** Source name, as in the key layout (SOURCE_NAME_PATTERN). */
  readonly name: string;
  /** What the backup is, which decides the content checks: a PostgreSQL custom-format dump, a gzip, a tar.gz, or raw bytes. */
  readonly format: 'pg-dump' | 'gzip' | 'tar-gz' | 'raw';
  /** The newest backup must be younger than this. Default 26. */
  readonly maxAgeHours: number;
  /** The newest backup must be at least this many bytes (original size). */
  readonly minBytes: number;
  /** The newest backup may be at most this much smaller than the median of the previous 7 (percent). Default 50. */
  readonly maxDropPercent: number;
  /**
   * Whether a backup whose content the verifier cannot open (a passphrase-encrypted one, a format it does not
   * read) fails the source (`required`, the default) or is reported `unverified` without failing it (`optional`).
   */
  readonly contentChecks?: 'required' | 'optional';
}
