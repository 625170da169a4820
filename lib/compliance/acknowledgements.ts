import { Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * Every rule-pack finding Stowage accepts, with the reason. Code acknowledges findings only through
 * this catalogue, on the construct the finding is about; docs/security-acknowledgements.md lists the
 * same entries and a test keeps the two in step.
 */
export interface Acknowledgement {
  /** Fully qualified rule ids, as synth prints them after "Acknowledge with". */
  readonly rules: readonly string[];
  /** Why the finding is accepted here. */
  readonly reason: string;
  /** Which constructs carry it, for the documentation. */
  readonly where: string;
}

const NIST = 'NIST.800.53.R5::NIST.800.53.R5';
const HIPAA = 'HIPAA.Security::HIPAA.Security';
const GUARD = 'cdk-validator-cfnguard::';

export const ACKNOWLEDGEMENTS = {
  accessLogTargetUsesSseS3: {
    rules: [
      `${NIST}-S3DefaultEncryptionKMS`,
      `${HIPAA}-S3DefaultEncryptionKMS`,
      `${GUARD}s3_bucket_default_encryption_kms_check`,
    ],
    reason:
      'S3 server access log delivery can only write to a bucket encrypted with SSE-S3 (AES256); SSE-KMS targets drop the logs.',
    where: 'Every access-log target bucket (Storage, Replica)',
  },
  accessLogTargetDoesNotLogItself: {
    rules: [`${GUARD}s3_bucket_logging_enabled_check`],
    reason:
      'This is the server-access-log target; logging it into itself would create a log-of-logs loop. Data events on it can be audited with CloudTrail.',
    where: 'Every access-log target bucket (Storage, Replica)',
  },
  accessLogTargetHasNoEventNotifications: {
    rules: [`${GUARD}s3_event_notifications_enabled_check`],
    reason:
      'Log delivery writes many objects a minute; events for them would have no consumer and only add EventBridge load.',
    where: 'Every access-log target bucket (Storage, Replica)',
  },
  accessLogsNotReplicated: {
    rules: [`${NIST}-S3BucketReplicationEnabled`, `${HIPAA}-S3BucketReplicationEnabled`],
    reason:
      "Access logs are audit records of this region's buckets and stay in their region; the data buckets that matter for recovery (processed, backups) replicate.",
    where: 'Every access-log target bucket (Storage, Replica)',
  },
  uploadsNotReplicated: {
    rules: [`${NIST}-S3BucketReplicationEnabled`, `${HIPAA}-S3BucketReplicationEnabled`],
    reason:
      'Uploads are transient and unscanned: each is moved to processed or quarantine minutes after it lands (and expires after the configured days); replicating unscanned files would spread malware.',
    where: 'Storage: uploads bucket',
  },
  quarantineNotReplicated: {
    rules: [`${NIST}-S3BucketReplicationEnabled`, `${HIPAA}-S3BucketReplicationEnabled`],
    reason:
      'Quarantine holds infected or suspicious files for review and expiry; copying them to another region would widen their reach, not protect data.',
    where: 'Storage: quarantine bucket',
  },
  replicationOffByConfig: {
    rules: [`${NIST}-S3BucketReplicationEnabled`, `${HIPAA}-S3BucketReplicationEnabled`],
    reason:
      'Cross-region replication is off in this environment by its config (replication.enabled=false); prod must replicate and config validation enforces it.',
    where:
      'Storage: processed and backups buckets, where replication.enabled=false (dev, staging by default)',
  },
  pipelineBucketWithoutObjectLock: {
    rules: [`${GUARD}s3_bucket_object_lock_enabled_check`],
    reason:
      'The intake pipeline moves objects (copy, then delete the source version); Object Lock would make those moves impossible. Versioning and noncurrent-version expiry protect against accidental deletes.',
    where: 'Storage: uploads, processed and quarantine buckets',
  },
  accessLogsWithoutObjectLock: {
    rules: [`${GUARD}s3_bucket_object_lock_enabled_check`],
    reason:
      'S3 server access logging does not deliver to a target bucket with an Object Lock default retention. The log bucket is versioned (deleted logs stay recoverable as noncurrent versions) and keeps logs for the configured retention (default 7 years).',
    where: 'Every access-log target bucket (Storage, Replica)',
  },
  backupsObjectLockOffByConfig: {
    rules: [`${GUARD}s3_bucket_object_lock_enabled_check`],
    reason:
      'Object Lock on backups is off in this environment by its config (lifecycle.backups.objectLockRetentionDays unset), so test data can be removed freely; prod sets a governance-mode retention.',
    where:
      'Storage: backups bucket, where lifecycle.backups.objectLockRetentionDays is unset (dev, staging by default)',
  },
  replicaBucketWithoutObjectLock: {
    rules: [`${GUARD}s3_bucket_object_lock_enabled_check`],
    reason:
      'Replicas are written only by S3 replication, are versioned, and delete markers replicate as on the source; the source backups bucket carries the Object Lock retention.',
    where: 'Replica: processed and backups replica buckets',
  },
  replicaNotReplicatedFurther: {
    rules: [`${NIST}-S3BucketReplicationEnabled`, `${HIPAA}-S3BucketReplicationEnabled`],
    reason:
      'This bucket is itself the cross-region replica of a primary bucket; a second hop would add cost, not resilience.',
    where: 'Replica: processed and backups replica buckets',
  },
  replicationObjectWildcards: {
    rules: [
      'AwsSolutions::AwsSolutions-IAM5[Resource::<{sourceBucketLogicalId}.Arn>/*]',
      'AwsSolutions::AwsSolutions-IAM5[Resource::arn:aws:s3:::{replicaBucketName}/*]',
      'AwsSolutions::AwsSolutions-IAM5[Resource::arn:aws:kms:{replicaRegion}:{account}:key/*]',
    ],
    reason:
      'Replication acts on every object version of exactly one source and one replica bucket (object ARNs need /*); the replica key is matched by kms:ResourceAliases, kms:ViaService and the replica bucket encryption context because a cross-region key id cannot be referenced.',
    where: 'Storage: the replication policy of the processed and backups buckets (prod)',
  },
  autoDeleteProviderOutsideVpc: {
    rules: [`${GUARD}lambda_inside_vpc_check`],
    reason:
      "CDK's auto-delete-objects provider exists only where the config sets autoDeleteObjects (never prod); it runs once at stack deletion and calls only S3 APIs.",
    where: "Storage and Replica: CDK's auto-delete-objects provider, where autoDeleteObjects=true (dev)",
  },
} satisfies Record<string, Acknowledgement>;

export type AcknowledgementName = keyof typeof ACKNOWLEDGEMENTS;

/**
 * Context key that turns every acknowledgement off. Only tests set it, to prove that each catalogue
 * entry still matches a real finding (an acknowledgement that guards nothing is a defect).
 */
export const IGNORE_ACKNOWLEDGEMENTS_CONTEXT = 'stowage:ignoreAcknowledgements';

/**
 * Acknowledges the findings of one catalogue entry on `construct` (and its children). Rule ids may
 * hold `{placeholders}` (resource names in a finding id); `params` fills them.
 */
export function acknowledge(
  construct: IConstruct,
  name: AcknowledgementName,
  params: Readonly<Record<string, string>> = {},
): void {
  if (construct.node.tryGetContext(IGNORE_ACKNOWLEDGEMENTS_CONTEXT) === true) return;
  const { rules, reason } = ACKNOWLEDGEMENTS[name];
  Validations.of(construct).acknowledge(...rules.map((rule) => ({ id: fillRuleId(rule, params), reason })));
}

/** Fills `{placeholders}` in a rule id; a placeholder without a value is a programming error. */
export function fillRuleId(rule: string, params: Readonly<Record<string, string>>): string {
  return rule.replace(/\{(\w+)\}/g, (_, key: string) => {
    const value = params[key];
    if (value === undefined) throw new Error(`Acknowledgement rule '${rule}' needs a value for {${key}}`);
    return value;
  });
}
