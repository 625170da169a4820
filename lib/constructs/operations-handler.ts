import { Duration, Stack } from 'aws-cdk-lib';
import type { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { HANDLER_ENV } from '../../core/contracts/handler-env';
import { HANDLER_SERVICES } from '../../core/contracts/metrics';
import type { StowageLogLevel } from './stowage-function';
import { StowageFunction } from './stowage-function';

/** EventBridge `detail-type` of a CloudWatch alarm's state change on the default bus. */
export const ALARM_STATE_CHANGE_DETAIL_TYPE = 'CloudWatch Alarm State Change';

/** Partition key and TTL attribute of the idempotency table: what Powertools' DynamoDBPersistenceLayer expects. */
export const IDEMPOTENCY_TABLE_PARTITION_KEY = 'id';
export const IDEMPOTENCY_TABLE_TTL_ATTRIBUTE = 'expiration';

/**
 * EventBridge retries delivering an alarm event to the function for up to this long (185 attempts, its maximum),
 * then dead-letters it into the failure queue. Lambda then retries a failing invocation twice more.
 */
export const ALARM_EVENT_RETRY_ATTEMPTS = 185;
export const ALARM_EVENT_MAX_AGE = Duration.hours(24);

/** A DLQ the operations handler may redrive, and the queue its messages came from. */
export interface RedriveRoute {
  /** The dead-letter queue (a DLQ alarm names it by its `QueueName` dimension). */
  readonly deadLetterQueue: sqs.IQueue;
  /** The queue its messages go back to. */
  readonly sourceQueue: sqs.IQueue;
}

export interface OperationsHandlerProps {
  /** Memory in MB. */
  readonly memoryMb: number;
  /** Timeout in seconds: long enough to wait for a re-verification. */
  readonly timeoutSeconds: number;
  /** Reserved concurrency. */
  readonly reservedConcurrency: number;
  /** Log level of the handler. */
  readonly logLevel: StowageLogLevel;
  /** Retention of the handler's log group, in days. */
  readonly logRetentionDays: number;
  /** Removal policy of the log group, the queues and the idempotency table. */
  readonly removalPolicy: RemovalPolicy;
  /** Environment name (handler env ENV_NAME). */
  readonly envName: string;
  /**
   * ARN prefix of the alarms whose ALARM transitions invoke the handler, e.g. `arn:…:alarm:Stowage-dev-`; it may set
   * them back to OK (after a bounded run that left messages behind) and no other alarm.
   */
  readonly alarmArnPrefix: string;
  /** The DLQs it may redrive, with their source queues. */
  readonly redriveRoutes: readonly RedriveRoute[];
  /** Most messages one redrive (or one settling of verification failure records) receives. */
  readonly redriveMaxMessages: number;
  /** Redrives of one message after which it is parked in the holding queue. */
  readonly poisonMaxRedrives: number;
  /** Days the holding queue keeps parked messages. */
  readonly holdingRetentionDays: number;
  /** The backup verification function it re-invokes. */
  readonly verifier: lambda.IFunction;
  /**
   * The verifier's failures queue (runs that never completed): when its alarm fires, the handler runs a full
   * verification, then receives and deletes the records it supersedes.
   */
  readonly verificationFailuresQueue: sqs.IQueue;
  /** The BACKUP_SOURCES value the verifier gets (backupSourcesEnvironmentValue). */
  readonly backupSources: string;
  /** The operations topic it reports to. */
  readonly topic: sns.ITopic;
  /** Key of the queues (DLQs, source queues, holding and failure queues) and of the topic. */
  readonly messagingKey: kms.IKey;
  /** Key of the idempotency table (a key DynamoDB may create grants on). */
  readonly tableKey: kms.IKey;
  /** Key of the handler's log group. */
  readonly logsKey: kms.IKey;
}

/**
 * The alarm-driven operations handler (lambda/operations): an EventBridge rule on the default bus sends every ALARM
 * transition of this env's alarms to it (asynchronous invoke: EventBridge retries, then Lambda's two retries, then
 * the encrypted failure queue). It redrives DLQs into their source queues, parks poison messages in the holding
 * queue, re-invokes the verifier, settles the verifier's failure records once a full verification completed, sets an
 * alarm back to OK when a bounded run left messages behind, and reports to the operations topic; the idempotency
 * table makes a repeated event for one alarm transition a no-op. Its role may do exactly that.
 */
export class OperationsHandler extends Construct {
  /** The handler. */
  readonly handler: StowageFunction;
  /** Poison messages parked after too many redrives: a human reads them. */
  readonly holdingQueue: sqs.Queue;
  /** Alarm events the handler never handled: undeliverable events and failed asynchronous invocations. */
  readonly failureQueue: sqs.Queue;
  /** Handled alarm transitions (Powertools idempotency records). */
  readonly idempotencyTable: dynamodb.Table;
  /** The rule that sends ALARM transitions to the handler. */
  readonly rule: events.Rule;

  constructor(scope: Construct, id: string, props: OperationsHandlerProps) {
    super(scope, id);
    if (props.redriveRoutes.length === 0) throw new Error(`OperationsHandler ${id}: redriveRoutes is empty`);
    const retention = Duration.days(14);
    const encryption = {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: props.messagingKey,
      dataKeyReuse: Duration.minutes(5),
      enforceSSL: true,
      removalPolicy: props.removalPolicy,
    };
    this.failureQueue = new sqs.Queue(this, 'FailureQueue', { ...encryption, retentionPeriod: retention });
    this.holdingQueue = new sqs.Queue(this, 'HoldingQueue', {
      ...encryption,
      retentionPeriod: Duration.days(props.holdingRetentionDays),
    });

    this.idempotencyTable = new dynamodb.Table(this, 'IdempotencyTable', {
      partitionKey: { name: IDEMPOTENCY_TABLE_PARTITION_KEY, type: dynamodb.AttributeType.STRING },
      timeToLiveAttribute: IDEMPOTENCY_TABLE_TTL_ATTRIBUTE,
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: props.tableKey,
      removalPolicy: props.removalPolicy,
    });

    this.handler = new StowageFunction(this, 'OperationsHandler', {
      entry: 'lambda/operations/index.ts',
      description:
        'Acts on Stowage alarms: redrives DLQs, parks poison messages, re-verifies backups, reports',
      memoryMb: props.memoryMb,
      timeoutSeconds: props.timeoutSeconds,
      reservedConcurrency: props.reservedConcurrency,
      environment: {
        [HANDLER_ENV.REDRIVE_ROUTES]: Stack.of(this).toJsonString(
          props.redriveRoutes.map((route) => ({
            deadLetterQueueName: route.deadLetterQueue.queueName,
            deadLetterQueueUrl: route.deadLetterQueue.queueUrl,
            sourceQueueUrl: route.sourceQueue.queueUrl,
          })),
        ),
        [HANDLER_ENV.HOLDING_QUEUE_URL]: this.holdingQueue.queueUrl,
        [HANDLER_ENV.REDRIVE_MAX_MESSAGES]: String(props.redriveMaxMessages),
        [HANDLER_ENV.POISON_MAX_REDRIVES]: String(props.poisonMaxRedrives),
        [HANDLER_ENV.VERIFIER_FUNCTION]: props.verifier.functionArn,
        [HANDLER_ENV.IDEMPOTENCY_TABLE]: this.idempotencyTable.tableName,
        [HANDLER_ENV.VERIFICATION_FAILURES_QUEUE_URL]: props.verificationFailuresQueue.queueUrl,
        [HANDLER_ENV.OPERATIONS_TOPIC_ARN]: props.topic.topicArn,
        [HANDLER_ENV.ENV_NAME]: props.envName,
        [HANDLER_ENV.BACKUP_SOURCES]: props.backupSources,
      },
      serviceName: HANDLER_SERVICES.operations,
      logLevel: props.logLevel,
      logRetentionDays: props.logRetentionDays,
      logRemovalPolicy: props.removalPolicy,
      logEncryptionKey: props.logsKey,
      asyncFailureQueue: this.failureQueue,
    });
    this.grant(props);

    this.rule = new events.Rule(this, 'AlarmStateChangeRule', {
      description: 'ALARM transitions of this env’s alarms → the operations handler',
      eventPattern: {
        source: ['aws.cloudwatch'],
        detailType: [ALARM_STATE_CHANGE_DETAIL_TYPE],
        resources: events.Match.prefix(props.alarmArnPrefix),
        detail: { state: { value: ['ALARM'] } },
      },
    });
    this.target(this.rule);
  }

  /**
   * The rule invokes the handler; events it cannot deliver go to the failure queue. The target, its invoke permission
   * and the queue policy are written here, with stable ids: aws-events-targets' LambdaFunction would embed the stack
   * name (and so the env) in the ids of the permission and the statement.
   */
  private target(rule: events.Rule): void {
    const stack = Stack.of(this);
    rule.addTarget({
      bind: () => ({
        arn: this.handler.function.functionArn,
        deadLetterConfig: { arn: this.failureQueue.queueArn },
        retryPolicy: {
          maximumRetryAttempts: ALARM_EVENT_RETRY_ATTEMPTS,
          maximumEventAgeInSeconds: ALARM_EVENT_MAX_AGE.toSeconds(),
        },
      }),
    });
    this.handler.function.addPermission('AlarmRuleInvoke', {
      principal: new iam.ServicePrincipal('events.amazonaws.com'),
      action: 'lambda:InvokeFunction',
      sourceArn: rule.ruleArn,
      sourceAccount: stack.account,
    });
    this.failureQueue.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'EventBridgeRuleDeadLetter',
        principals: [new iam.ServicePrincipal('events.amazonaws.com')],
        actions: ['sqs:SendMessage'],
        resources: [this.failureQueue.queueArn],
        conditions: { ArnEquals: { 'aws:SourceArn': rule.ruleArn } },
      }),
    );
  }

  /**
   * Redrive the DLQs, park, settle the verification failure records, re-verify, re-arm this env's alarms, report,
   * record handled transitions: nothing else.
   */
  private grant(props: OperationsHandlerProps): void {
    const { role } = this.handler;
    const { region } = Stack.of(this);
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ReadDeadLetterQueues',
        actions: [
          'sqs:ReceiveMessage',
          'sqs:DeleteMessage',
          'sqs:ChangeMessageVisibility',
          'sqs:GetQueueAttributes',
        ],
        resources: props.redriveRoutes.map((route) => route.deadLetterQueue.queueArn),
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'RedriveAndPark',
        actions: ['sqs:SendMessage'],
        resources: [
          ...props.redriveRoutes.map((route) => route.sourceQueue.queueArn),
          this.holdingQueue.queueArn,
        ],
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        // Receive and delete only: a record leaves the queue once a full verification supersedes it.
        sid: 'SettleVerificationFailures',
        actions: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'],
        resources: [props.verificationFailuresQueue.queueArn],
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        // Queues and the topic are encrypted with the messaging key: usable through SQS and SNS only.
        sid: 'MessagingKey',
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: [props.messagingKey.keyArn],
        conditions: {
          StringEquals: { 'kms:ViaService': [`sqs.${region}.amazonaws.com`, `sns.${region}.amazonaws.com`] },
        },
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ReverifyBackups',
        actions: ['lambda:InvokeFunction'],
        resources: [props.verifier.functionArn],
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        // Set to OK after a bounded run left messages in the queue its alarm watches, so that the alarm fires again.
        sid: 'RearmAlarms',
        actions: ['cloudwatch:SetAlarmState'],
        resources: [`${props.alarmArnPrefix}*`],
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'Report',
        actions: ['sns:Publish'],
        resources: [props.topic.topicArn],
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'IdempotencyRecords',
        actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
        resources: [this.idempotencyTable.tableArn],
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'IdempotencyRecordsKey',
        actions: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:DescribeKey'],
        resources: [props.tableKey.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `dynamodb.${region}.amazonaws.com` } },
      }),
    );
  }
}
