import { Duration, Stack, TimeZone } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as schedulerTargets from 'aws-cdk-lib/aws-scheduler-targets';
import type { Construct } from 'constructs';
import { BACKUPS_PREFIX, REPORTS_PREFIX, TEST_PREFIX } from '../../core/backup/backup-layout';
import type { BackupSourceConfig } from '../../core/backup/backup-source';
import { HANDLER_ENV } from '../../core/contracts/handler-env';
import { HANDLER_SERVICES } from '../../core/contracts/metrics';
import { acknowledge, acknowledgeResolved } from '../compliance/acknowledgements';
import type { StowageConfig } from '../config';
import type { KeyPurpose } from '../config/naming';
import { backupsScheduleGroupName, operationsTopicArn } from '../config/naming';
import { EncryptedQueue } from '../constructs/encrypted-queue';
import { StowageFunction } from '../constructs/stowage-function';
import { localKeys } from '../constructs/local-keys';
import type { StowageStackProps } from './stowage-stack-props';
import { removalPolicyOf } from './stowage-stack-props';
import { addStackOutput } from './stack-outputs';

/**
 * Delivery of a scheduled run: EventBridge Scheduler retries a failed Invoke (with back-off) this many times
 * within this age, then dead-letters the event into the failures queue. A verification a few hours late still
 * beats none; past six hours the next night's run is closer.
 */
export const VERIFY_SCHEDULE_RETRY_ATTEMPTS = 10;
export const VERIFY_SCHEDULE_MAX_EVENT_AGE = Duration.hours(6);

/**
 * The event each scheduled run sends the verifier: the time the run was scheduled for (ISO 8601, UTC). The handler
 * treats any event without `source` as the nightly run of every source; the scheduled time is there for it to
 * verify the night a delayed or retried delivery belongs to, and for the failure records to name that night.
 */
export const VERIFY_SCHEDULE_INPUT = { scheduledTime: scheduler.ContextAttribute.scheduledTime };

/** Receives of a failure record by its consumer (the operations handler) before it moves to the DLQ. */
const FAILURES_MAX_RECEIVE_COUNT = 5;

type BackupsKeyPurpose = Extract<KeyPurpose, 'backups' | 'messaging' | 'logs'>;

export interface BackupsStackProps extends StowageStackProps {
  /** Keys from the Keys stack: the backups bucket's key, the messaging key (queues, operations topic), logs. */
  readonly keys: Readonly<Record<BackupsKeyPurpose, kms.IKey>>;
  /** The backups bucket (Storage stack). */
  readonly backupsBucket: s3.IBucket;
}

/**
 * Backups (docs/architecture.md, backups): the nightly verification handler, the EventBridge Scheduler schedule that
 * runs it, the queue that keeps runs which never completed, and the role backup writers assume.
 *
 * The verifier reports failures to the operations topic, which the Operations stack owns. That stack depends on
 * this one (its alarms watch the verifier and the failures queue), so this stack must not reference the topic: it
 * derives the topic's fixed name and ARN from the config (naming.ts `operationsTopicArn`), grants `sns:Publish`
 * on exactly that ARN, and grants the messaging key (which will encrypt the topic) through SNS only.
 *
 * The writer role lives here, not in Storage: it belongs to the backup workflow together with the verifier, so
 * adding or removing writers never updates the stack that holds the (retained) buckets, and its generated name
 * (`Stowage-<env>-Backups-…`) is already one the backups key policy lets use the key.
 */
export class BackupsStack extends Stack {
  /** The nightly verification handler. */
  readonly verifier: StowageFunction;
  /**
   * Runs that never completed: scheduled events Scheduler could not deliver (its DLQ) and invocations that failed
   * after Lambda's retries (the verifier's on-failure destination). Consumed by the operations handler when its
   * NotEmpty alarm fires: a full verification, then the records sent before it are deleted. Its own DLQ takes
   * records its consumer fails on.
   */
  readonly failures: EncryptedQueue;
  /** The schedule group of the verification schedule. */
  readonly scheduleGroup: scheduler.ScheduleGroup;
  /** The verification schedule. */
  readonly schedule: scheduler.Schedule;
  /** The role EventBridge Scheduler assumes to invoke the verifier and dead-letter into the failures queue. */
  readonly scheduleRole: iam.Role;
  /** The role backup writers assume; only when `backups.writerPrincipalArns` names someone. */
  readonly writerRole?: iam.Role;
  /** The writer role's policy; only with the writer role. */
  readonly writerPolicy?: iam.ManagedPolicy;

  private readonly config: StowageConfig;
  private readonly keys: Readonly<Record<BackupsKeyPurpose, kms.IKey>>;

  constructor(scope: Construct, id: string, props: BackupsStackProps) {
    super(scope, id, props);
    const { config } = props;
    this.config = config;
    this.keys = localKeys(this, props.keys);
    const removalPolicy = removalPolicyOf(config);

    this.failures = new EncryptedQueue(this, 'VerificationFailures', {
      encryptionKey: this.keys.messaging,
      maxReceiveCount: FAILURES_MAX_RECEIVE_COUNT,
      // Its consumer, the operations handler (on the BackupFailures-NotEmpty alarm), first runs a full verification
      // and only then receives the records and deletes those the run superseded, asking for its own short timeout.
      visibilityTimeout: Duration.minutes(5),
      retentionPeriod: Duration.days(14),
      removalPolicy,
    });

    this.verifier = this.createVerifier(props);
    this.grantVerifier(props);

    this.scheduleGroup = new scheduler.ScheduleGroup(this, 'ScheduleGroup', {
      scheduleGroupName: backupsScheduleGroupName(config),
      removalPolicy,
    });
    this.scheduleRole = this.createScheduleRole();
    this.schedule = new scheduler.Schedule(this, 'VerifySchedule', {
      description: 'Nightly verification of every backup source (UTC)',
      scheduleGroup: this.scheduleGroup,
      schedule: scheduler.ScheduleExpression.expression(config.backups.verifySchedule, TimeZone.ETC_UTC),
      timeWindow: scheduler.TimeWindow.off(),
      target: new schedulerTargets.LambdaInvoke(this.verifier.function, {
        // The target's own grants (lambda:InvokeFunction on the function and `<arn>:*`, SendMessage without the
        // queue's key) would land in an inline policy; the role's managed policy names exactly what it needs.
        role: this.scheduleRole.withoutPolicyUpdates(),
        deadLetterQueue: this.failures.queue,
        retryAttempts: VERIFY_SCHEDULE_RETRY_ATTEMPTS,
        maxEventAge: VERIFY_SCHEDULE_MAX_EVENT_AGE,
        input: scheduler.ScheduleTargetInput.fromObject(VERIFY_SCHEDULE_INPUT),
      }),
    });

    if (config.backups.writerPrincipalArns.length > 0) {
      const writer = this.createWriterRole(props);
      this.writerRole = writer.role;
      this.writerPolicy = writer.policy;
    }
  }

  private createVerifier(props: BackupsStackProps): StowageFunction {
    const { config } = this;
    const { verifier } = config.backups;
    const fn = new StowageFunction(this, 'Verifier', {
      entry: 'lambda/backup-verify/index.ts',
      description: 'Verifies the newest backup of every source and writes the nightly report',
      memoryMb: verifier.memoryMb,
      timeoutSeconds: verifier.timeoutSeconds,
      reservedConcurrency: verifier.reservedConcurrency,
      environment: {
        [HANDLER_ENV.BACKUPS_BUCKET]: props.backupsBucket.bucketName,
        [HANDLER_ENV.BACKUPS_KEY_ARN]: props.keys.backups.keyArn,
        [HANDLER_ENV.BACKUP_SOURCES]: backupSourcesEnvironmentValue(config),
        [HANDLER_ENV.BACKUP_REQUIRE_REPLICATION]: String(config.backups.requireReplication),
        [HANDLER_ENV.OPERATIONS_TOPIC_ARN]: operationsTopicArn(config),
        [HANDLER_ENV.ENV_NAME]: config.envName,
      },
      serviceName: HANDLER_SERVICES.backupVerify,
      logLevel: config.backups.logLevel,
      logRetentionDays: config.logRetentionDays,
      logRemovalPolicy: removalPolicyOf(config),
      logEncryptionKey: this.keys.logs,
      // EventBridge Scheduler invokes it asynchronously.
      asyncFailureQueue: this.failures.queue,
    });
    acknowledge(fn.function, 'handlersOutsideVpc');
    acknowledge(fn.logGroup, 'crossStackKeyNotRecognised');
    if (config.logRetentionDays < 365) acknowledge(fn.logGroup, 'logRetentionByConfig');
    return fn;
  }

  /**
   * List and read backups/, read and write reports/, decrypt with the backups key, alert on the operations topic.
   * Nothing else: no deletes, no tagging, no other prefix.
   */
  private grantVerifier(props: BackupsStackProps): void {
    const { role, policy } = this.verifier;
    const bucket = props.backupsBucket;
    // Unconditioned ListBucket: S3 answers a missing key with 404 only to principals that may list the bucket
    // (an s3:prefix condition does not apply to that check), and re-verification must tell "no report for this day
    // yet" (404) from a real AccessDenied (403). Listing names reveals nothing this role cannot read anyway.
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ListBackupsBucket',
        actions: ['s3:ListBucket'],
        resources: [bucket.bucketArn],
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ReadBackups',
        actions: ['s3:GetObject', 's3:GetObjectVersion', 's3:GetObjectAttributes'],
        resources: [bucket.arnForObjects(`${BACKUPS_PREFIX}*`)],
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        // A re-verification (the operations handler) merges its result into the day's report: read, then write.
        sid: 'ReadAndWriteReports',
        actions: ['s3:GetObject', 's3:PutObject'],
        resources: [bucket.arnForObjects(`${REPORTS_PREFIX}*`)],
      }),
    );
    for (const prefix of [BACKUPS_PREFIX, REPORTS_PREFIX]) {
      acknowledgeResolved(policy, 'backupObjectPrefixWildcards', { bucketArn: bucket.bucketArn, prefix });
    }
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        // SSE-KMS reads go through S3; client-side encrypted backups (envelope format, key source kms) carry a
        // data key wrapped under this key that the verifier unwraps with KMS itself, so no kms:ViaService here.
        sid: 'DecryptBackups',
        actions: ['kms:Decrypt'],
        resources: [this.keys.backups.keyArn],
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'EncryptReports',
        actions: ['kms:GenerateDataKey'],
        resources: [this.keys.backups.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `s3.${this.region}.amazonaws.com` } },
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'PublishAlerts',
        actions: ['sns:Publish'],
        resources: [operationsTopicArn(this.config)],
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        // The operations topic is encrypted with the messaging key: publishers need it, through SNS only.
        sid: 'EncryptAlerts',
        actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
        resources: [this.keys.messaging.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `sns.${this.region}.amazonaws.com` } },
      }),
    );
  }

  /** Assumable by EventBridge Scheduler for this account's backups schedule group only. */
  private createScheduleRole(): iam.Role {
    const policy = new iam.ManagedPolicy(this, 'SchedulePolicy', {
      description:
        'Lets EventBridge Scheduler start the backup verification and dead-letter failed deliveries',
      statements: [
        new iam.PolicyStatement({
          sid: 'InvokeVerifier',
          actions: ['lambda:InvokeFunction'],
          resources: [this.verifier.function.functionArn],
        }),
        new iam.PolicyStatement({
          sid: 'DeadLetterUndeliveredRuns',
          actions: ['sqs:SendMessage'],
          resources: [this.failures.queue.queueArn],
        }),
        new iam.PolicyStatement({
          sid: 'EncryptUndeliveredRuns',
          actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
          resources: [this.keys.messaging.keyArn],
          conditions: { StringEquals: { 'kms:ViaService': `sqs.${this.region}.amazonaws.com` } },
        }),
      ],
    });
    return new iam.Role(this, 'ScheduleRole', {
      description: 'Stowage backups schedule: invokes the verifier',
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: {
          StringEquals: {
            'aws:SourceAccount': this.account,
            'aws:SourceArn': this.scheduleGroup.scheduleGroupArn,
          },
        },
      }),
      managedPolicies: [policy],
    });
  }

  /**
   * The role `stowage backup` assumes: write backups/ (multipart included), list, read, archive and restore them,
   * delete the version of a push that failed verification, use test/ as scratch space, and use the backups key for
   * SSE-KMS and for client-side envelope encryption (key source kms). Checked call by call against the CLI in
   * test/security/iam/backup-writer-role.test.ts.
   */
  private createWriterRole(props: BackupsStackProps): { role: iam.Role; policy: iam.ManagedPolicy } {
    const bucket = props.backupsBucket;
    const backups = bucket.arnForObjects(`${BACKUPS_PREFIX}*`);
    const test = bucket.arnForObjects(`${TEST_PREFIX}*`);
    const policy = new iam.ManagedPolicy(this, 'BackupWriterPolicy', {
      description: 'Lets backup writers push, verify, archive and restore backups and use test/',
      statements: [
        new iam.PolicyStatement({
          // PutObjectTagging: `archive` copies a version onto its key, tags included (CopyObject's COPY directive).
          sid: 'WriteBackups',
          actions: [
            's3:PutObject',
            's3:PutObjectTagging',
            's3:AbortMultipartUpload',
            's3:ListMultipartUploadParts',
          ],
          resources: [backups, test],
        }),
        listBackupsStatement(bucket),
        new iam.PolicyStatement({
          // A push's free-key choice and the abort of a failed attempt's upload list the uploads in progress.
          // ListBucketMultipartUploads takes no s3:prefix condition (IAM ignores it for this action, and the
          // simulator refuses a condition on it), so it covers the bucket: it names keys and upload ids, no content.
          sid: 'ListBackupUploads',
          actions: ['s3:ListBucketMultipartUploads'],
          resources: [bucket.bucketArn],
        }),
        new iam.PolicyStatement({
          // A push reads back the version it wrote; pull, archive and restore act on the version they saw.
          // Retention and legal hold: HeadObject returns a version's Object Lock state only to principals that may
          // read it, and `backup delete` explains a locked version (retained until when, in which mode) with it.
          sid: 'ReadBackups',
          actions: [
            's3:GetObject',
            's3:GetObjectVersion',
            's3:GetObjectTagging',
            's3:GetObjectVersionTagging',
            's3:GetObjectRetention',
            's3:GetObjectLegalHold',
            's3:RestoreObject',
          ],
          resources: [backups],
        }),
        new iam.PolicyStatement({
          // Only the version a push wrote and then failed to verify. Object Lock (prod) still keeps it until its
          // retention ends: the role holds no s3:BypassGovernanceRetention.
          sid: 'DeleteFailedPushes',
          actions: ['s3:DeleteObjectVersion'],
          resources: [backups],
        }),
        new iam.PolicyStatement({
          // Scratch space (expired by the test/ lifecycle rule): `stowage doctor` writes, reads and deletes there.
          sid: 'UseTestPrefix',
          actions: ['s3:GetObject', 's3:GetObjectVersion', 's3:DeleteObject', 's3:DeleteObjectVersion'],
          resources: [test],
        }),
        new iam.PolicyStatement({
          // Through S3 (SSE-KMS, multipart) and directly (data keys of client-side envelope encryption).
          sid: 'UseBackupsKey',
          actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
          resources: [this.keys.backups.keyArn],
        }),
      ],
    });
    for (const prefix of [BACKUPS_PREFIX, TEST_PREFIX]) {
      acknowledgeResolved(policy, 'backupObjectPrefixWildcards', { bucketArn: bucket.bucketArn, prefix });
    }
    const role = new iam.Role(this, 'BackupWriterRole', {
      description: 'Stowage backup writers: push and read backups (stowage backup)',
      assumedBy: new iam.CompositePrincipal(
        ...this.config.backups.writerPrincipalArns.map((arn) => new iam.ArnPrincipal(arn)),
      ),
      managedPolicies: [policy],
    });
    addStackOutput(this, 'Backups', 'BackupWriterRoleArn', role.roleArn);
    return { role, policy };
  }
}

/**
 * The BACKUP_SOURCES value of the handlers that know the backup sources (the verifier, the operations handler):
 * exactly the handler contract (BackupSourceConfig[]), in a fixed key order.
 */
export function backupSourcesEnvironmentValue(config: StowageConfig): string {
  const sources: BackupSourceConfig[] = config.backups.sources.map((s) => ({
    name: s.name,
    format: s.format,
    maxAgeHours: s.maxAgeHours,
    minBytes: s.minBytes,
    maxDropPercent: s.maxDropPercent,
    ...(s.contentChecks ? { contentChecks: s.contentChecks } : {}),
  }));
  return JSON.stringify(sources);
}

/**
 * Listing the backups bucket, only for keys under backups/ (s3:prefix): objects (list, pull --latest) and versions
 * (a push's free-key choice and race check, delete).
 */
function listBackupsStatement(bucket: s3.IBucket): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid: 'ListBackups',
    actions: ['s3:ListBucket', 's3:ListBucketVersions'],
    resources: [bucket.bucketArn],
    conditions: { StringLike: { 's3:prefix': [`${BACKUPS_PREFIX}*`] } },
  });
}
