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

/**
 * ARN patterns of this env's EventBridge resources in the primary region: rules on the default bus
 * (generated names start with the stack name), rules on Stowage buses, the buses and their archives.
 */
export function eventsArnPatterns(config: Pick<StowageConfig, 'envName' | 'account' | 'region'>): string[] {
  const prefix = `arn:aws:events:${config.region}:${config.account}`;
  return [
    `${prefix}:rule/Stowage-${config.envName}-*`,
    `${prefix}:rule/stowage-${config.envName}-*/*`,
    `${prefix}:event-bus/stowage-${config.envName}-*`,
    `${prefix}:archive/stowage-${config.envName}-*`,
  ];
}

/** ARN pattern of this env's SQS queues (generated names start with the stack name). */
export function queueArnPattern(config: Pick<StowageConfig, 'envName' | 'account' | 'region'>): string {
  return `arn:aws:sqs:${config.region}:${config.account}:Stowage-${config.envName}-*`;
}

/** ARN pattern of this env's log groups (generated names start with the stack name). */
export function logGroupArnPattern(config: Pick<StowageConfig, 'envName' | 'account' | 'region'>): string {
  return `arn:aws:logs:${config.region}:${config.account}:log-group:Stowage-${config.envName}-*`;
}

/** `stowage-<env>-results`: the bus scan verdicts are published on, for the pipeline and other teams. */
export function resultsBusName(config: Pick<StowageConfig, 'envName'>): string {
  return `stowage-${config.envName}-results`;
}

/** The purposes of the keys that encrypt bucket data (S3 may use them). */
export type BucketKeyPurpose = 'uploads' | 'processed' | 'quarantine' | 'backups';

/**
 * The key purposes in the primary region: bucket data, plus `messaging` (queues and event buses),
 * `status` (the status table) and `logs` (the handlers' and the API's log groups).
 */
export type KeyPurpose = BucketKeyPurpose | 'messaging' | 'status' | 'logs';

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

/**
 * `stowage-<env>-operations`: the SNS topic operations alerts go to. The Operations stack creates it with this
 * fixed name; stacks it depends on (Backups) publish to it by name, so that neither needs a reference to the
 * other's resources and the Operations stack can depend on them without a cycle.
 */
export function operationsTopicName(config: Pick<StowageConfig, 'envName'>): string {
  return `stowage-${config.envName}-operations`;
}

/** ARN of the operations topic (operationsTopicName) in the env's primary region. */
export function operationsTopicArn(config: Pick<StowageConfig, 'envName' | 'account' | 'region'>): string {
  return `arn:aws:sns:${config.region}:${config.account}:${operationsTopicName(config)}`;
}

/**
 * `Stowage-<env>-<what>`: the name of every CloudWatch alarm. The alarm-driven operations handler is triggered for
 * alarms whose ARN starts with `Stowage-<env>-` (alarmArnPrefix).
 */
export function alarmName(config: Pick<StowageConfig, 'envName'>, what: string): string {
  return `Stowage-${config.envName}-${what}`;
}

/** `Stowage-<env>`: the CloudWatch dashboard of an env. */
export function dashboardName(config: Pick<StowageConfig, 'envName'>): string {
  return `Stowage-${config.envName}`;
}

/** `arn:aws:cloudwatch:<region>:<account>:alarm:Stowage-<env>-`: the prefix of every Stowage alarm's ARN. */
export function alarmArnPrefix(config: Pick<StowageConfig, 'envName' | 'account' | 'region'>): string {
  return `arn:aws:cloudwatch:${config.region}:${config.account}:alarm:${alarmName(config, '')}`;
}

/** `stowage-<env>-backups`: the EventBridge Scheduler group of the backup verification schedule. */
export function backupsScheduleGroupName(config: Pick<StowageConfig, 'envName'>): string {
  return `stowage-${config.envName}-backups`;
}

/** The five buckets of an env (docs/architecture.md "Buckets"), as named in tags and local bucket names. */
export const BUCKET_PURPOSES = ['uploads', 'processed', 'quarantine', 'backups', 'access-logs'] as const;
export type BucketPurpose = (typeof BUCKET_PURPOSES)[number];

/**
 * Tag every Stowage bucket carries with its purpose (`stowage:bucket=uploads`, …), next to `stowage:env` and
 * `stowage:app`. Bucket names are generated by CloudFormation on AWS; tools that need an env's buckets (the
 * `report`, `cleanup` and `doctor` commands) find them by these tags, on AWS and on a local S3 server alike.
 */
export const BUCKET_PURPOSE_TAG = 'stowage:bucket';
/** Tag with the env name on every Stowage resource. */
export const ENV_TAG = 'stowage:env';
/** Tag `stowage:app=stowage` on every Stowage resource. */
export const APP_TAG = 'stowage:app';

/** Fixed bucket name local mode creates on its S3 server: `stowage-<env>-<purpose>`. */
export function localBucketName(config: Pick<StowageConfig, 'envName'>, purpose: BucketPurpose): string {
  return `stowage-${config.envName}-${purpose}`;
}
