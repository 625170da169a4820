import { Option, type Command } from 'commander';
import { loadConfig, type StowageConfig } from '../../lib/config';
import { BUCKET_PURPOSES, type BucketPurpose } from '../../lib/config/naming';
import { UsageError } from './usage-error';

/** Connection flags of `report`, `cleanup` and `doctor` (each falls back to an environment variable). */
export interface ConnectionOptions {
  /** Environment whose config and buckets to use. Default `dev`. */
  readonly env?: string;
  /** AWS region; env AWS_REGION. Default: the env config's primary region. */
  readonly region?: string;
  /** Named AWS profile; env AWS_PROFILE (read by the SDK's default credential chain). Default: none. */
  readonly profile?: string;
  /** S3-compatible endpoint (Ceph RGW, local mode); env STOWAGE_S3_ENDPOINT. Default: AWS. */
  readonly endpoint?: string;
  /** Same as `endpoint` (the spelling of the backup commands). Default: unset. */
  readonly endpointUrl?: string;
  /** Uploads bucket; env STOWAGE_UPLOADS_BUCKET. Default: found by its tags. */
  readonly uploadsBucket?: string;
  /** Processed bucket; env STOWAGE_PROCESSED_BUCKET. Default: found by its tags. */
  readonly processedBucket?: string;
  /** Quarantine bucket; env STOWAGE_QUARANTINE_BUCKET. Default: found by its tags. */
  readonly quarantineBucket?: string;
  /** Backups bucket; env STOWAGE_BACKUPS_BUCKET. Default: found by its tags. */
  readonly backupsBucket?: string;
  /** Access-logs bucket; env STOWAGE_ACCESS_LOGS_BUCKET. Default: found by its tags. */
  readonly accessLogsBucket?: string;
}

/** Where an env's data is: its config, how to reach S3, and the buckets named explicitly. */
export interface Connection {
  readonly config: StowageConfig;
  /** The region every client signs for. */
  readonly region: string;
  readonly profile?: string;
  /** Endpoint override: an S3-compatible server. Unset on AWS. */
  readonly endpoint?: string;
  /** Buckets named by flag or environment variable; the others are found by their tags. */
  readonly explicitBuckets: Readonly<Partial<Record<BucketPurpose, string>>>;
}

export const CONNECTION_ENV = {
  region: 'AWS_REGION',
  profile: 'AWS_PROFILE',
  endpoint: 'STOWAGE_S3_ENDPOINT',
} as const;

/** `STOWAGE_<PURPOSE>_BUCKET`, e.g. STOWAGE_ACCESS_LOGS_BUCKET. */
export function bucketEnvVar(purpose: BucketPurpose): string {
  return `STOWAGE_${purpose.toUpperCase().replace(/-/g, '_')}_BUCKET`;
}

/** `--<purpose>-bucket`, e.g. --access-logs-bucket. */
export function bucketFlag(purpose: BucketPurpose): string {
  return `--${purpose}-bucket`;
}

const BUCKET_OPTION_KEYS: Record<BucketPurpose, keyof ConnectionOptions> = {
  uploads: 'uploadsBucket',
  processed: 'processedBucket',
  quarantine: 'quarantineBucket',
  backups: 'backupsBucket',
  'access-logs': 'accessLogsBucket',
};

/** Adds the connection flags to a command. */
export function withConnectionOptions(command: Command): Command {
  command
    .option('--env <name>', "environment whose config and buckets to use (default 'dev')")
    .option('--region <region>', "AWS region (env AWS_REGION; default: the env's primary region)")
    .option('--profile <name>', 'AWS profile (env AWS_PROFILE)')
    .option('--endpoint <url>', 'S3-compatible endpoint, e.g. Ceph RGW (env STOWAGE_S3_ENDPOINT)')
    .addOption(new Option('--endpoint-url <url>', 'same as --endpoint').hideHelp());
  for (const purpose of BUCKET_PURPOSES) {
    command.option(
      `${bucketFlag(purpose)} <name>`,
      `${purpose} bucket (env ${bucketEnvVar(purpose)}; default: found by its stowage:bucket tag)`,
    );
  }
  return command;
}

/** Resolves the connection from flags first, then the environment, then the env's config. */
export function resolveConnection(
  options: ConnectionOptions,
  env: Readonly<Record<string, string | undefined>>,
): Connection {
  const pick = (flag: string | undefined, name?: string): string | undefined => {
    const value = flag ?? (name ? env[name] : undefined);
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  };
  const config = loadConfig(pick(options.env) ?? 'dev', { environment: env });
  if (
    options.endpoint !== undefined &&
    options.endpointUrl !== undefined &&
    options.endpoint !== options.endpointUrl
  ) {
    throw new UsageError('--endpoint and --endpoint-url name different servers: pass one of them');
  }
  const endpoint = pick(options.endpoint ?? options.endpointUrl, CONNECTION_ENV.endpoint);
  if (endpoint !== undefined && !/^https?:\/\/[^\s/]+/.test(endpoint)) {
    throw new UsageError(`--endpoint must be an http(s) URL, e.g. http://127.0.0.1:7480, got '${endpoint}'`);
  }
  const explicitBuckets: Partial<Record<BucketPurpose, string>> = {};
  for (const purpose of BUCKET_PURPOSES) {
    const name = pick(options[BUCKET_OPTION_KEYS[purpose]], bucketEnvVar(purpose));
    if (name !== undefined) explicitBuckets[purpose] = name;
  }
  return {
    config,
    region: pick(options.region, CONNECTION_ENV.region) ?? config.region,
    profile: pick(options.profile, CONNECTION_ENV.profile),
    endpoint,
    explicitBuckets,
  };
}
