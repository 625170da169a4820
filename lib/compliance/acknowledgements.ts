import { Stack, Validations } from 'aws-cdk-lib';
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
      'Replicas are written only by S3 replication, are versioned, and delete markers replicate as on the source. Where the source backups bucket has Object Lock (prod), its replica has the same retention (S3 replicates from a locked bucket only into a locked one), so this applies only to the processed replica and to backups replicas of envs without Object Lock.',
    where: 'Replica: the processed replica; the backups replica where backups have no Object Lock',
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
  xrayWriteNeedsWildcardResource: {
    rules: ['AwsSolutions::AwsSolutions-IAM5[Resource::*]'],
    reason:
      'X-Ray active tracing: xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level permissions, so AWS requires the all-resources wildcard for them. They are the only statement on it; every other statement names its resource.',
    where: 'Intake, Backups and Operations: the policy of every handler role (StowageFunction)',
  },
  handlerNotInvokedAsynchronously: {
    rules: [`${NIST}-LambdaDLQ`, `${HIPAA}-LambdaDLQ`, 'Serverless::Serverless-LambdaDLQ'],
    reason:
      "A Lambda DLQ only receives failed asynchronous invocations. These handlers are invoked synchronously (HTTP API) or by SQS event source mappings, whose failed messages go to the source queue's own DLQ; StowageFunction sets an on-failure destination whenever a handler is invoked asynchronously.",
    where: 'Intake: API, scan, quarantine and process handlers (StowageFunction without asyncFailureQueue)',
  },
  asyncFailuresGoToDestination: {
    rules: [`${NIST}-LambdaDLQ`, `${HIPAA}-LambdaDLQ`, 'Serverless::Serverless-LambdaDLQ'],
    reason:
      "This handler is invoked asynchronously and its failed invocations (after Lambda's retries) go to an on-failure destination: a KMS-encrypted SQS queue with its own DLQ. A destination record carries the request, the response and the error, which a Lambda DLQ (the rule's check) would not; configuring both would deliver every failure twice.",
    where:
      'Backups: the verification handler; Operations: the operations handler (StowageFunction with asyncFailureQueue)',
  },
  handlersOutsideVpc: {
    rules: [`${NIST}-LambdaInsideVPC`, `${HIPAA}-LambdaInsideVPC`, `${GUARD}lambda_inside_vpc_check`],
    reason:
      'The handlers call only AWS APIs (S3, DynamoDB, EventBridge, SQS, KMS, SNS, Lambda) over TLS with IAM-signed requests and hold no network-reachable data; a VPC would add NAT or endpoint cost without narrowing access, which IAM, key policies and the bucket policies already enforce. A clamd fleet on a private network (intake.clamdAddress) will need the scan handler in that VPC.',
    where:
      'Intake: API, scan, quarantine and process handlers; Backups: the verification handler; Operations: the operations handler',
  },
  pipelineObjectPrefixWildcards: {
    rules: ['AwsSolutions::AwsSolutions-IAM5[Resource::{bucketArn}/{prefix}*]'],
    reason:
      'Upload keys carry a per-upload id (uploads/<userId>/<date>/<uploadId>.<ext>), so a handler can only be scoped to one key prefix of one bucket (uploads/, processed/ or quarantine/ and every key below it), never the whole bucket. Actions are listed one by one.',
    where: 'Intake: the policies of the API, scan, quarantine and process handler roles',
  },
  backupObjectPrefixWildcards: {
    rules: ['AwsSolutions::AwsSolutions-IAM5[Resource::{bucketArn}/{prefix}*]'],
    reason:
      'Backup keys carry the source and the time they were taken (backups/<source>/<yyyymmdd>/<source>_<yyyymmdd_hhmmss>.<ext>, reports/<yyyymmdd>.json), so new keys appear every night and a role can only be scoped to key prefixes of the backups bucket: the verifier reads backups/ and writes reports/, writers write backups/ and test/. Actions are listed one by one and listing is limited to backups/ by an s3:prefix condition.',
    where: 'Backups: the policies of the verification handler role and the backup writer role',
  },
  guardDutyDocumentedWildcards: {
    rules: [
      'AwsSolutions::AwsSolutions-IAM5[Resource::arn:aws:events:{region}:{account}:rule/DO-NOT-DELETE-AmazonGuardDutyMalwareProtectionS3*]',
      'AwsSolutions::AwsSolutions-IAM5[Resource::{bucketArn}/{prefix}*]',
    ],
    reason:
      'The GuardDuty Malware Protection role as AWS documents it: GuardDuty names its managed EventBridge rule with a generated suffix (and may only manage rules marked events:ManagedBy GuardDuty), and it scans every new object under the protected prefix (uploads/ only, read-only, tagging disabled).',
    where: 'Intake: the GuardDuty Malware Protection plan role policy (staging, prod)',
  },
  deadLetterQueueIsTerminal: {
    rules: [`${GUARD}sqs_dlq_check`, 'Serverless::Serverless-SQSRedrivePolicy'],
    reason:
      'This queue is the dead-letter queue: messages stay 14 days for investigation and redrive to their source queue; a DLQ of the DLQ would only hide poison messages one level deeper.',
    where:
      'Intake: the DLQ of the intake, quarantine and process queues; Backups: the DLQ of the verification failures queue (EncryptedQueue)',
  },
  sqsEventSourceUsesQueueDlq: {
    rules: ['Serverless::Serverless-LambdaEventSourceMappingDestination'],
    reason:
      "Lambda event source mappings support on-failure destinations only for stream and Kafka sources, not SQS. For SQS the source queue's redrive policy is the failure destination: each failed message (partial batch responses) goes to its DLQ after the configured receives.",
    where: 'Intake: the SQS event sources of the scan, quarantine and process handlers',
  },
  crossStackKeyNotRecognised: {
    rules: [`${GUARD}sqs_queue_encrypted_check`, `${GUARD}cloudwatch_log_group_encrypted_check`],
    reason:
      'False positive: the resource is encrypted with a customer-managed key of the Keys stack (KmsMasterKeyId / KmsKeyId are set, and tests assert them), but the Control Tower rule only recognises a literal, Ref or GetAtt, not the cross-stack reference (Fn::GetStackOutput) CDK renders.',
    where:
      'Intake, Backups and Operations: every queue and DLQ (EncryptedQueue, the holding and failure queues) and every log group (handlers, API access logs)',
  },
  logRetentionByConfig: {
    rules: [`${GUARD}cloudwatch_log_group_retention_period_check`],
    reason:
      'Log retention comes from config (logRetentionDays): dev keeps 30 days and staging 90 to limit cost on non-production data; prod keeps 365 days and raises no finding.',
    where:
      'Intake, Backups and Operations: handler and API access log groups, where logRetentionDays < 365 (dev, staging)',
  },
  statusTableCoveredByPitr: {
    rules: [`${NIST}-DynamoDBInBackupPlan`, `${HIPAA}-DynamoDBInBackupPlan`],
    reason:
      'Status records are short-lived workflow state (TTL from config) that can be rebuilt from the buckets and their tags; point-in-time recovery (35 days, on) and deletion protection where removalPolicy is retain cover restore, so an AWS Backup plan would add cost, not recoverability.',
    where: 'Intake: the status table',
  },
  holdingQueueIsTerminal: {
    rules: [
      'AwsSolutions::AwsSolutions-SQS3',
      `${GUARD}sqs_dlq_check`,
      'Serverless::Serverless-SQSRedrivePolicy',
    ],
    reason:
      'The holding queue is where the operations handler parks poison messages after too many redrives, for a human to read: nothing consumes it automatically, so a redrive policy would never fire, and a DLQ behind it would only hide the messages one level deeper. An alarm fires on its first message.',
    where: 'Operations: the holding queue',
  },
  operationsFailureQueueIsTerminal: {
    rules: [
      'AwsSolutions::AwsSolutions-SQS3',
      `${GUARD}sqs_dlq_check`,
      'Serverless::Serverless-SQSRedrivePolicy',
    ],
    reason:
      "The operations handler's failure queue is itself the end of the line: it receives alarm events EventBridge could not deliver and invocations that failed after Lambda's retries, for a human to act on. Nothing consumes it, so a redrive policy would never fire; an alarm fires on its first message.",
    where: "Operations: the operations handler's failure queue",
  },
  idempotencyTableCoveredByPitr: {
    rules: [`${NIST}-DynamoDBInBackupPlan`, `${HIPAA}-DynamoDBInBackupPlan`],
    reason:
      'The idempotency table holds only records of alarm transitions the operations handler already acted on, each expiring after the idempotency window (TTL); losing it would at worst let a repeated event act twice, which redrives tolerate. Point-in-time recovery is on; an AWS Backup plan would add cost, not recoverability.',
    where: 'Operations: the idempotency table of the operations handler',
  },
  operationsRearmsOwnAlarms: {
    rules: ['AwsSolutions::AwsSolutions-IAM5[Resource::{alarmArnPrefix}*]'],
    reason:
      "After a bounded run (DLQ redrive, settling of verification failure records) that left messages behind, the operations handler sets the alarm that started it back to OK, so that the alarm fires again and the next run follows. Which alarm is only known from the event, so cloudwatch:SetAlarmState (its only action on the wildcard) is scoped to the env's alarm name prefix arn:aws:cloudwatch:<region>:<account>:alarm:Stowage-<env>-, the same prefix whose alarms trigger it.",
    where: "Operations: the operations handler role's policy",
  },
  alarmActionsOffByConfig: {
    rules: [
      `${NIST}-CloudWatchAlarmAction`,
      `${HIPAA}-CloudWatchAlarmAction`,
      `${GUARD}cloudwatch_alarm_action_enabled_check`,
    ],
    reason:
      'Alarm actions are off in this environment by its config (alarms.actionsEnabled=false): its alarms still change state, show on the dashboard and start the operations handler (state changes reach EventBridge whatever the actions), but notify nobody, so a development environment pages nobody. Every alarm has its ALARM and OK actions on the operations topic; staging and prod turn them on.',
    where: 'Operations: every alarm, where alarms.actionsEnabled=false (dev)',
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

/**
 * Like `acknowledge`, for rule ids that embed a token only known once the app is prepared (a reference
 * to another stack's resource renders as `{"Fn::GetStackOutput":...}` in a finding id). `tokens` are
 * resolved, in `construct`'s stack, when the tree is validated: after references are resolved and
 * before the rule packs report.
 */
export function acknowledgeResolved(
  construct: IConstruct,
  name: AcknowledgementName,
  tokens: Readonly<Record<string, string>>,
): void {
  construct.node.addValidation({
    validate: () => {
      const stack = Stack.of(construct);
      const params = Object.fromEntries(
        Object.entries(tokens).map(([key, token]) => {
          const resolved: unknown = stack.resolve(token);
          return [key, typeof resolved === 'string' ? resolved : JSON.stringify(resolved)];
        }),
      );
      acknowledge(construct, name, params);
      return [];
    },
  });
}

/** Fills `{placeholders}` in a rule id; a placeholder without a value is a programming error. */
export function fillRuleId(rule: string, params: Readonly<Record<string, string>>): string {
  return rule.replace(/\{(\w+)\}/g, (_, key: string) => {
    const value = params[key];
    if (value === undefined) throw new Error(`Acknowledgement rule '${rule}' needs a value for {${key}}`);
    return value;
  });
}
