import { createHash } from 'crypto';
import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { acknowledge } from '../compliance/acknowledgements';
import type { StowageConfig } from '../config';
import type { KeyPurpose } from '../config/naming';
import { alarmArnPrefix, dashboardName, operationsTopicName, replicaBucketName } from '../config/naming';
import type { AlarmedQueue } from '../constructs/operations-alarms';
import { OperationsAlarms } from '../constructs/operations-alarms';
import { OperationsDashboard } from '../constructs/operations-dashboard';
import { OperationsHandler } from '../constructs/operations-handler';
import type { BackupsStack } from './backups-stack';
import { backupSourcesEnvironmentValue } from './backups-stack';
import type { IntakeStack } from './intake-stack';
import type {
  WatchedBucket,
  WatchedHandler,
  WatchedQueue,
  WatchedReplication,
} from '../monitoring/operations-metrics';
import { ARCHIVE_STORAGE_TYPES } from '../monitoring/operations-metrics';
import { grantAccessByTag } from '../security/access';
import { localKeys } from '../constructs/local-keys';
import type { StorageStack } from './storage-stack';
import type { StowageStackProps } from './stowage-stack-props';
import { removalPolicyOf } from './stowage-stack-props';
import { addStackOutput } from './stack-outputs';

type OperationsKeyPurpose = Extract<KeyPurpose, 'messaging' | 'status' | 'logs'>;

export interface OperationsStackProps extends StowageStackProps {
  /**
   * Keys from the Keys stack: messaging (the topic, the holding and failure queues), status (the idempotency table:
   * the key DynamoDB may create grants on), logs (the handler's log group).
   */
  readonly keys: Readonly<Record<OperationsKeyPurpose, kms.IKey>>;
  /** The Intake stack: its handlers, queues and API are watched; its DLQs are redriven. */
  readonly intake: IntakeStack;
  /**
   * The Backups stack: its verifier and failures queue are watched; the verifier is re-invoked and the failures
   * queue is consumed once a full verification completed.
   */
  readonly backups: BackupsStack;
  /** The Storage stack: bucket size and object count, replication of processed and backups. */
  readonly storage: StorageStack;
}

/**
 * Operations (docs/architecture.md, operations): the KMS-encrypted operations topic `stowage-<env>-operations` and its
 * subscriptions, every alarm and the `Stowage-<env>-health` composite (lib/constructs/operations-alarms.ts), the
 * `Stowage-<env>` dashboard, and the alarm-driven operations handler. It depends on Intake and Backups; nothing
 * depends on it (the verifier publishes to the topic by its fixed name).
 */
export class OperationsStack extends Stack {
  /** `stowage-<env>-operations`: every alarm, the verifier and the operations handler report here. */
  readonly topic: sns.Topic;
  /** Every alarm and the health alarm. */
  readonly alarms: OperationsAlarms;
  /** The dashboard. */
  readonly dashboard: OperationsDashboard;
  /** The alarm-driven operations handler, its queues and idempotency table. */
  readonly operations: OperationsHandler;

  constructor(scope: Construct, id: string, props: OperationsStackProps) {
    super(scope, id, props);
    const { config, intake, backups } = props;
    const keys = localKeys(this, props.keys);
    const removalPolicy = removalPolicyOf(config);

    this.topic = this.createTopic(config, keys.messaging);

    this.operations = new OperationsHandler(this, 'Operations', {
      ...config.operations.handler,
      logLevel: config.operations.logLevel,
      logRetentionDays: config.logRetentionDays,
      removalPolicy,
      envName: config.envName,
      alarmArnPrefix: alarmArnPrefix(config),
      redriveRoutes: [intake.intakeQueue, intake.quarantineQueue, intake.processQueue, backups.failures].map(
        (q) => ({ deadLetterQueue: q.deadLetterQueue, sourceQueue: q.queue }),
      ),
      redriveMaxMessages: config.operations.redriveMaxMessages,
      poisonMaxRedrives: config.operations.poisonMaxRedrives,
      holdingRetentionDays: config.operations.holdingRetentionDays,
      verifier: backups.verifier.function,
      verificationFailuresQueue: backups.failures.queue,
      backupSources: backupSourcesEnvironmentValue(config),
      topic: this.topic,
      messagingKey: keys.messaging,
      tableKey: keys.status,
      logsKey: keys.logs,
    });
    // The bucket policy lets only principals tagged `<env>:operations` read quarantined objects (access.ts): the
    // operations handler is the app's one such principal; staff roles get the tag outside the app.
    grantAccessByTag(this.operations.handler.role, config.envName, 'operations');
    this.acknowledgeHandler(config);

    const handlers = this.watchedHandlers(props);
    const messageQueues = this.messageQueues(props);
    const replications = this.watchedReplications(props);
    this.alarms = new OperationsAlarms(this, 'Alarms', {
      envName: config.envName,
      settings: config.alarms,
      topic: this.topic,
      handlers,
      messageQueues,
      intakeQueue: { name: 'IntakeQueue', queue: intake.intakeQueue.queue },
      backupSources: config.backups.sources,
      apiId: intake.api.api.apiId,
      replications,
    });

    this.dashboard = new OperationsDashboard(this, 'Dashboard', {
      dashboardName: dashboardName(config),
      envName: config.envName,
      handlers,
      workQueues: [
        { name: 'IntakeQueue', queue: intake.intakeQueue.queue },
        { name: 'QuarantineQueue', queue: intake.quarantineQueue.queue },
        { name: 'ProcessQueue', queue: intake.processQueue.queue },
      ],
      deadLetterQueues: messageQueues,
      backupSources: config.backups.sources,
      buckets: this.watchedBuckets(props),
      apiId: intake.api.api.apiId,
      replications,
      alarms: [this.alarms.health, ...this.alarms.alarms],
    });
    addStackOutput(this, 'Operations', 'DashboardUrl', dashboardUrl(this.region, dashboardName(config)));
  }

  /** The operations topic: KMS-encrypted with the messaging key, TLS only, CloudWatch alarms of this env publish. */
  private createTopic(config: StowageConfig, messagingKey: kms.IKey): sns.Topic {
    const topic = new sns.Topic(this, 'Topic', {
      topicName: operationsTopicName(config),
      displayName: `Stowage ${config.envName} operations`,
      masterKey: messagingKey,
      enforceSSL: true,
    });
    // The topic policy replaces SNS's default one: CloudWatch needs its own statement to publish alarm actions.
    topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [topic.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': this.account },
          ArnLike: { 'aws:SourceArn': `${alarmArnPrefix(config)}*` },
        },
      }),
    );
    // Subscription IDs derive from the endpoint, so adding or removing one never replaces (re-confirms) another.
    for (const email of config.alarms.emailSubscriptions) {
      new sns.Subscription(this, `Email${endpointId(email)}`, {
        topic,
        protocol: sns.SubscriptionProtocol.EMAIL,
        endpoint: email,
      });
    }
    for (const url of config.alarms.httpsSubscriptions) {
      new sns.Subscription(this, `Https${endpointId(url)}`, {
        topic,
        protocol: sns.SubscriptionProtocol.HTTPS,
        endpoint: url,
      });
    }
    return topic;
  }

  private acknowledgeHandler(config: StowageConfig): void {
    const { handler, holdingQueue, failureQueue, idempotencyTable } = this.operations;
    acknowledge(handler.function, 'handlersOutsideVpc');
    acknowledge(handler.policy, 'operationsRearmsOwnAlarms', { alarmArnPrefix: alarmArnPrefix(config) });
    acknowledge(handler.logGroup, 'crossStackKeyNotRecognised');
    if (config.logRetentionDays < 365) acknowledge(handler.logGroup, 'logRetentionByConfig');
    acknowledge(holdingQueue, 'holdingQueueIsTerminal');
    acknowledge(failureQueue, 'operationsFailureQueueIsTerminal');
    for (const queue of [holdingQueue, failureQueue]) acknowledge(queue, 'crossStackKeyNotRecognised');
    acknowledge(idempotencyTable, 'idempotencyTableCoveredByPitr');
  }

  /**
   * Every handler. Errors of the pipeline handlers (scan, quarantine, process) are critical; the API's show in its
   * 5xx rate, the verifier's in the backup alarms, the operations handler's in its failure queue.
   */
  private watchedHandlers(props: OperationsStackProps): WatchedHandler[] {
    const { config, intake, backups } = props;
    const { handlers } = config.intake;
    return [
      { name: 'ApiHandler', fn: intake.apiHandler, timeout: handlers.api.timeoutSeconds, critical: false },
      { name: 'ScanHandler', fn: intake.scanHandler, timeout: handlers.scan.timeoutSeconds, critical: true },
      {
        name: 'QuarantineHandler',
        fn: intake.quarantineHandler,
        timeout: handlers.quarantine.timeoutSeconds,
        critical: true,
      },
      {
        name: 'ProcessHandler',
        fn: intake.processHandler,
        timeout: handlers.process.timeoutSeconds,
        critical: true,
      },
      {
        name: 'BackupVerifier',
        fn: backups.verifier,
        timeout: config.backups.verifier.timeoutSeconds,
        critical: false,
      },
      {
        name: 'OperationsHandler',
        fn: this.operations.handler,
        timeout: config.operations.handler.timeoutSeconds,
        critical: false,
      },
    ].map((h) => ({
      name: h.name,
      function: h.fn.function,
      timeoutSeconds: h.timeout,
      critical: h.critical,
    }));
  }

  /** Queues that should stay empty: every DLQ, the backup failures queue, the handler's own failure queue, holding. */
  private messageQueues(props: OperationsStackProps): AlarmedQueue[] {
    const { intake, backups } = props;
    const redriven = (name: string, queue: WatchedQueue['queue'], what: string): AlarmedQueue => ({
      name,
      queue,
      meaning:
        `${what} failed every retry and wait in ${name}. The operations handler redrives them to their queue ` +
        '(a message redriven too often is parked in the holding queue); if this stays in ALARM, read them.',
    });
    return [
      redriven('IntakeDLQ', intake.intakeQueue.deadLetterQueue, 'Scans of uploads'),
      redriven(
        'QuarantineDLQ',
        intake.quarantineQueue.deadLetterQueue,
        'Moves of infected uploads into quarantine',
      ),
      redriven('ProcessDLQ', intake.processQueue.deadLetterQueue, 'Moves of clean uploads into processed'),
      {
        name: 'BackupFailuresDLQ',
        queue: backups.failures.deadLetterQueue,
        meaning:
          'Records of verification runs that never completed were received too often from the backup failures ' +
          'queue and moved to BackupFailuresDLQ. The operations handler redrives them to the failures queue (a ' +
          'record redriven too often is parked in the holding queue); read them for the cause.',
      },
      {
        name: 'BackupFailures',
        queue: backups.failures.queue,
        meaning:
          'A backup verification run never completed (a schedule delivery or an invocation failed after its ' +
          'retries): the records say why. The operations handler runs a full verification and, once it ' +
          'completes, deletes the records sent before it (its report says how many; each is in its log). If ' +
          'this stays in ALARM, the verifier itself fails: read the records and the handler reports.',
      },
      {
        name: 'OperationsFailures',
        queue: this.operations.failureQueue,
        meaning:
          'The operations handler could not act on an alarm (the event or the invocation failed after its ' +
          'retries). Read the record, then act on the alarm it names by hand.',
      },
      {
        name: 'HoldingQueue',
        queue: this.operations.holdingQueue,
        meaning:
          'Poison messages were parked after too many redrives: they need a human. Read them, fix the cause, ' +
          'then send them back to their source queue (their attributes name it) or delete them.',
      },
    ];
  }

  /** Replication of processed and backups, where it is on and reports metrics. */
  private watchedReplications(props: OperationsStackProps): WatchedReplication[] {
    const { config, storage } = props;
    const { replication } = config;
    if (!replication.enabled || !(replication.metrics || replication.replicationTimeControl)) return [];
    return [
      {
        name: 'Processed',
        sourceBucketName: storage.processed.bucketName,
        destinationBucketName: replicaBucketName(config, 'processed'),
      },
      {
        name: 'Backups',
        sourceBucketName: storage.backups.bucketName,
        destinationBucketName: replicaBucketName(config, 'backups'),
      },
    ];
  }

  /** The five buckets, each with its lifecycle's archive tier. */
  private watchedBuckets(props: OperationsStackProps): WatchedBucket[] {
    const { config, storage } = props;
    const bucket = (
      purpose: WatchedBucket['purpose'],
      bucketName: string,
      archive: keyof typeof ARCHIVE_STORAGE_TYPES | undefined,
    ): WatchedBucket => ({
      purpose,
      bucketName,
      ...(archive ? { archiveStorageType: ARCHIVE_STORAGE_TYPES[archive] } : {}),
    });
    const { lifecycle } = config;
    return [
      bucket('uploads', storage.uploads.bucketName, lifecycle.uploads.archiveStorageClass),
      bucket('processed', storage.processed.bucketName, lifecycle.processed.archiveStorageClass),
      bucket('quarantine', storage.quarantine.bucketName, lifecycle.quarantine.archiveStorageClass),
      bucket('backups', storage.backups.bucketName, lifecycle.backups.archiveStorageClass),
      bucket('access-logs', storage.accessLogs.bucketName, lifecycle.accessLogs.archiveStorageClass),
    ];
  }
}

/** A stable construct-id suffix for a subscription endpoint (hex: never contains an env name). */
function endpointId(endpoint: string): string {
  return createHash('sha256').update(endpoint).digest('hex').slice(0, 12);
}

/** The CloudWatch console URL of a dashboard (the console of the commercial partition). */
export function dashboardUrl(region: string, name: string): string {
  return `https://${region}.console.aws.amazon.com/cloudwatch/home?region=${region}#dashboards/dashboard/${encodeURIComponent(name)}`;
}
