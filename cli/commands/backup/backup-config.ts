import { UsageError } from '../../shared/usage-error';

/** Connection flags shared by every `stowage backup` command (each falls back to an environment variable). */
export interface ConnectionOptions {
  /** Backups bucket; env STOWAGE_BACKUPS_BUCKET. Required. */
  readonly bucket?: string;
  /** Region; env AWS_REGION (then the SDK's own defaults). */
  readonly region?: string;
  /** Named AWS profile; env AWS_PROFILE (read by the SDK's default credential chain). */
  readonly profile?: string;
  /** S3-compatible endpoint (Ceph RGW, local mode); env STOWAGE_S3_ENDPOINT. Credentials from the AWS variables. */
  readonly endpointUrl?: string;
  /** KMS key for SSE-KMS and for envelope encryption with --encrypt; env STOWAGE_BACKUPS_KMS_KEY_ID. */
  readonly kmsKeyId?: string;
  /** Seconds a request may receive nothing before it fails (and is retried). Default 60. */
  readonly timeout?: string;
  /** Seconds connecting may take. Default 10. */
  readonly connectTimeout?: string;
}

export const BACKUP_ENV = {
  bucket: 'STOWAGE_BACKUPS_BUCKET',
  region: 'AWS_REGION',
  profile: 'AWS_PROFILE',
  endpoint: 'STOWAGE_S3_ENDPOINT',
  kmsKeyId: 'STOWAGE_BACKUPS_KMS_KEY_ID',
} as const;

/** Where the backups are, resolved from flags first, then the environment. */
export interface BackupConfig {
  readonly bucket: string;
  readonly region?: string;
  readonly profile?: string;
  /** Endpoint override: an S3-compatible server (no S3 checksums are requested or expected there). */
  readonly endpoint?: string;
  readonly kmsKeyId?: string;
  /** Milliseconds without any byte received (or sent) before a request fails. */
  readonly idleTimeoutMs: number;
  /** Milliseconds connecting may take. */
  readonly connectTimeoutMs: number;
}

export const DEFAULT_TIMEOUTS = { idleMs: 60_000, connectMs: 10_000 } as const;

function parseSeconds(value: string | undefined, flag: string, fallbackMs: number): number {
  if (value === undefined) return fallbackMs;
  const seconds = Number(value);
  if (value.trim() === '' || !Number.isFinite(seconds) || seconds <= 0 || seconds > 3600) {
    throw new UsageError(`${flag} must be seconds from more than 0 to 3600, got '${value}'`);
  }
  return Math.round(seconds * 1000);
}

export function resolveBackupConfig(
  options: ConnectionOptions,
  env: Readonly<Record<string, string | undefined>>,
): BackupConfig {
  const pick = (flag: string | undefined, name: string): string | undefined => {
    const value = flag ?? env[name];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  };
  const bucket = pick(options.bucket, BACKUP_ENV.bucket);
  if (!bucket) {
    throw new UsageError(`no backups bucket: pass --bucket NAME or set ${BACKUP_ENV.bucket}`);
  }
  const endpoint = pick(options.endpointUrl, BACKUP_ENV.endpoint);
  if (endpoint !== undefined && !/^https?:\/\/[^\s/]+/.test(endpoint)) {
    throw new UsageError(
      `--endpoint-url must be an http(s) URL, e.g. http://127.0.0.1:7480, got '${endpoint}'`,
    );
  }
  return {
    bucket,
    region: pick(options.region, BACKUP_ENV.region),
    profile: pick(options.profile, BACKUP_ENV.profile),
    endpoint,
    kmsKeyId: pick(options.kmsKeyId, BACKUP_ENV.kmsKeyId),
    idleTimeoutMs: parseSeconds(options.timeout, '--timeout', DEFAULT_TIMEOUTS.idleMs),
    connectTimeoutMs: parseSeconds(options.connectTimeout, '--connect-timeout', DEFAULT_TIMEOUTS.connectMs),
  };
}
