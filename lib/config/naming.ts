import type { StowageConfig } from './schema';

/**
 * Every physical name and name pattern Stowage derives from its config, in one place. Construct IDs
 * never contain the env name; physical names and stack names do.
 */

/** The parts of a Stowage deployment, one stack each. */
export type StackPart = 'Keys' | 'Storage' | 'Replica' | 'Intake' | 'Backups' | 'Operations';

/** `Stowage-<env>-<Part>`. */
export function stackName(config: Pick<StowageConfig, 'envName'>, part: StackPart): string {
  return `Stowage-${config.envName}-${part}`;
}

/**
 * ARN pattern of every IAM role a Stowage stack of this env creates. CloudFormation names generated
 * roles `<stack name>-<logical id>-<suffix>`, so the stack-name prefix identifies them.
 */
export function appRoleArnPattern(config: Pick<StowageConfig, 'envName' | 'account'>): string {
  return `arn:aws:iam::${config.account}:role/Stowage-${config.envName}-*`;
}

/** ARN pattern of every bucket of this env (generated names start with the lower-cased stack name). */
export function bucketArnPattern(config: Pick<StowageConfig, 'envName'>): string {
  return `arn:aws:s3:::stowage-${config.envName}-*`;
}

/** The data-key purposes in the primary region. */
export type KeyPurpose = 'uploads' | 'processed' | 'quarantine' | 'backups';

/** `alias/stowage/<env>/<purpose>`. */
export function keyAliasName(
  config: Pick<StowageConfig, 'envName'>,
  purpose: KeyPurpose | 'replica',
): string {
  return `alias/stowage/${config.envName}/${purpose}`;
}

/** The buckets that replicate, and so have a replica. */
export type ReplicatedBucket = 'processed' | 'backups';

/**
 * Name of a replica bucket. It is fixed (not generated) because the primary region's stack must name
 * it in its replication rule without a cross-region reference; account and region keep it unique.
 */
export function replicaBucketName(
  config: Pick<StowageConfig, 'envName' | 'account' | 'replication'>,
  bucket: ReplicatedBucket,
): string {
  return `stowage-${config.envName}-${config.account}-${config.replication.replicaRegion}-${bucket}-replica`;
}
