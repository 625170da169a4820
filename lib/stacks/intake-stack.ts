import { Duration, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import {
  RESULTS_EVENT_SOURCE,
  SCAN_RESULT_DETAIL_TYPE,
  verdictsRoutedTo,
} from '../../core/events/scan-result-event';
import { HANDLER_ENV } from '../../core/contracts/handler-env';
import { HANDLER_SERVICES } from '../../core/contracts/metrics';
import {
  STATUS_TABLE_PARTITION_KEY,
  STATUS_TABLE_PARTITION_KEY_TYPE,
  STATUS_TABLE_TTL_ATTRIBUTE,
} from '../../core/status/status-table';
import { acknowledge, acknowledgeResolved } from '../compliance/acknowledgements';
import type { StowageConfig } from '../config';
import type { KeyPurpose } from '../config/naming';
import { resultsBusName } from '../config/naming';
import { EncryptedQueue } from '../constructs/encrypted-queue';
import { IntakeHttpApi } from '../constructs/intake-http-api';
import { MalwareProtectionPlan } from '../constructs/malware-protection-plan';
import type { HandlerEnvironment } from '../constructs/stowage-function';
import { StowageFunction } from '../constructs/stowage-function';
import { grantAccessByTag } from '../security/access';
import { localKeys } from '../constructs/local-keys';
import type { StowageStackProps } from './stowage-stack-props';
import { removalPolicyOf } from './stowage-stack-props';

/** Key prefixes of the pipeline in each bucket (docs/architecture.md, buckets). */
export const UPLOADS_PREFIX = 'uploads/';
export const PROCESSED_PREFIX = 'processed/';
export const QUARANTINE_PREFIX = 'quarantine/';

/** detail-type of GuardDuty Malware Protection for S3 results on the default bus. */
export const GUARDDUTY_RESULT_DETAIL_TYPE = 'GuardDuty Malware Protection Object Scan Result';

/** Verdicts each results-bus consumer takes (detail.verdict.status), from the contract local mode routes by too. */
export const QUARANTINE_VERDICTS = verdictsRoutedTo('quarantine');
export const PROCESS_VERDICTS = verdictsRoutedTo('process');

/** SQS event sources need the visibility timeout to be at least this many times the function timeout. */
const VISIBILITY_TIMEOUT_FACTOR = 6;

/** The handlers' directories under lambda/. */
type HandlerDirectory = 'intake-api' | 'scan' | 'quarantine' | 'process';

type IntakeKeyPurpose = Extract<
  KeyPurpose,
  'uploads' | 'processed' | 'quarantine' | 'messaging' | 'status' | 'logs'
>;

export interface IntakeStackProps extends StowageStackProps {
  /** Keys from the Keys stack, by purpose. */
  readonly keys: Readonly<Record<IntakeKeyPurpose, kms.IKey>>;
  /** The uploads bucket (Storage stack). */
  readonly uploadsBucket: s3.IBucket;
  /** The processed bucket (Storage stack). */
  readonly processedBucket: s3.IBucket;
  /** The quarantine bucket (Storage stack). */
  readonly quarantineBucket: s3.IBucket;
}

/**
 * The intake pipeline (docs/architecture.md, upload flow): the presign/status HTTP API, the status table,
 * Object Created (and GuardDuty result) events → intake queue → scan handler → results bus → quarantine
 * and process queues → their handlers. Every queue is KMS-encrypted with a DLQ; every role is scoped to
 * its bucket prefixes.
 */
export class IntakeStack extends Stack {
  readonly statusTable: dynamodb.Table;
  readonly resultsBus: events.EventBus;
  readonly intakeQueue: EncryptedQueue;
  readonly quarantineQueue: EncryptedQueue;
  readonly processQueue: EncryptedQueue;
  readonly api: IntakeHttpApi;
  readonly apiHandler: StowageFunction;
  readonly scanHandler: StowageFunction;
  readonly quarantineHandler: StowageFunction;
  readonly processHandler: StowageFunction;
  /** Only when GuardDuty Malware Protection is on. */
  readonly malwareProtection?: MalwareProtectionPlan;

  private readonly config: StowageConfig;
  /**
   * Key references local to this stack: CDK would otherwise write service grants (bus, archive, queue
   * targets) into the Keys stack's key policies, which already name these services, and create a cycle.
   */
  private readonly keys: Readonly<Record<IntakeKeyPurpose, kms.IKey>>;

  constructor(scope: Construct, id: string, props: IntakeStackProps) {
    super(scope, id, props);
    const { config } = props;
    this.config = config;
    this.keys = localKeys(this, props.keys);
    const removalPolicy = removalPolicyOf(config);
    const { handlers } = config.intake;

    this.statusTable = new dynamodb.Table(this, 'StatusTable', {
      partitionKey: {
        name: STATUS_TABLE_PARTITION_KEY,
        type:
          STATUS_TABLE_PARTITION_KEY_TYPE === 'S'
            ? dynamodb.AttributeType.STRING
            : dynamodb.AttributeType.BINARY,
      },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: this.keys.status,
      timeToLiveAttribute: STATUS_TABLE_TTL_ATTRIBUTE,
      deletionProtection: config.removalPolicy === 'retain',
      removalPolicy,
    });
    acknowledge(this.statusTable, 'statusTableCoveredByPitr');

    this.resultsBus = new events.EventBus(this, 'ResultsBus', {
      eventBusName: resultsBusName(config),
      description: `Stowage ${config.envName}: scan verdicts (${RESULTS_EVENT_SOURCE} / ${SCAN_RESULT_DETAIL_TYPE})`,
      kmsKey: this.keys.messaging,
    });
    new events.Archive(this, 'ResultsArchive', {
      archiveName: resultsBusName(config),
      description: 'Every scan verdict, for replay to new subscribers and recovery',
      sourceEventBus: this.resultsBus,
      eventPattern: { source: [RESULTS_EVENT_SOURCE] },
      retention: Duration.days(config.intake.resultsArchiveRetentionDays),
      kmsKey: this.keys.messaging,
    });

    const queue = (queueId: string, consumerTimeoutSeconds: number) =>
      new EncryptedQueue(this, queueId, {
        encryptionKey: this.keys.messaging,
        maxReceiveCount: config.intake.dlqMaxReceiveCount,
        visibilityTimeout: Duration.seconds(VISIBILITY_TIMEOUT_FACTOR * consumerTimeoutSeconds),
        removalPolicy,
      });
    this.intakeQueue = queue('IntakeQueue', handlers.scan.timeoutSeconds);
    this.quarantineQueue = queue('QuarantineQueue', handlers.quarantine.timeoutSeconds);
    this.processQueue = queue('ProcessQueue', handlers.process.timeoutSeconds);

    this.routeUploadEvents(props.uploadsBucket);
    this.routeVerdicts();

    this.apiHandler = this.handler('ApiHandler', 'intake-api', 'Presigns uploads and reports their status', {
      [HANDLER_ENV.UPLOADS_BUCKET]: props.uploadsBucket.bucketName,
      [HANDLER_ENV.UPLOADS_KEY_ARN]: props.keys.uploads.keyArn,
      [HANDLER_ENV.STATUS_TABLE]: this.statusTable.tableName,
      [HANDLER_ENV.MAX_UPLOAD_BYTES]: String(config.uploads.maxSizeBytes),
      [HANDLER_ENV.ALLOWED_CONTENT_TYPES]: config.uploads.allowedContentTypes.join(','),
      [HANDLER_ENV.PRESIGN_EXPIRY_SECONDS]: String(config.uploads.presignExpirySeconds),
      [HANDLER_ENV.STATUS_RETENTION_DAYS]: String(config.intake.statusRetentionDays),
    });
    this.scanHandler = this.handler('ScanHandler', 'scan', 'Scans new uploads and publishes the verdict', {
      [HANDLER_ENV.UPLOADS_BUCKET]: props.uploadsBucket.bucketName,
      [HANDLER_ENV.STATUS_TABLE]: this.statusTable.tableName,
      [HANDLER_ENV.RESULTS_BUS]: this.resultsBus.eventBusName,
      [HANDLER_ENV.MAX_UPLOAD_BYTES]: String(config.uploads.maxSizeBytes),
      [HANDLER_ENV.ALLOWED_CONTENT_TYPES]: config.uploads.allowedContentTypes.join(','),
      [HANDLER_ENV.GUARDDUTY_INCONCLUSIVE_VERDICT]: config.intake.guardDuty.inconclusiveVerdict,
      // The intake queue's maxReceiveCount: the last failing delivery records the dead-letter reason.
      [HANDLER_ENV.DLQ_MAX_RECEIVE_COUNT]: String(config.intake.dlqMaxReceiveCount),
      ...(config.intake.clamdAddress ? { [HANDLER_ENV.CLAMD_ADDRESS]: config.intake.clamdAddress } : {}),
      ...(config.intake.scan.allowEncryptedArchiveEntries
        ? { [HANDLER_ENV.SCAN_ALLOW_ENCRYPTED_ENTRIES]: 'true' }
        : {}),
    });
    this.quarantineHandler = this.handler(
      'QuarantineHandler',
      'quarantine',
      'Moves infected uploads out of reach',
      {
        [HANDLER_ENV.UPLOADS_BUCKET]: props.uploadsBucket.bucketName,
        [HANDLER_ENV.QUARANTINE_BUCKET]: props.quarantineBucket.bucketName,
        [HANDLER_ENV.QUARANTINE_KEY_ARN]: props.keys.quarantine.keyArn,
        [HANDLER_ENV.STATUS_TABLE]: this.statusTable.tableName,
        [HANDLER_ENV.DLQ_MAX_RECEIVE_COUNT]: String(config.intake.dlqMaxReceiveCount),
      },
    );
    this.processHandler = this.handler('ProcessHandler', 'process', 'Moves clean uploads to processed', {
      [HANDLER_ENV.UPLOADS_BUCKET]: props.uploadsBucket.bucketName,
      [HANDLER_ENV.PROCESSED_BUCKET]: props.processedBucket.bucketName,
      [HANDLER_ENV.PROCESSED_KEY_ARN]: props.keys.processed.keyArn,
      [HANDLER_ENV.STATUS_TABLE]: this.statusTable.tableName,
      [HANDLER_ENV.DLQ_MAX_RECEIVE_COUNT]: String(config.intake.dlqMaxReceiveCount),
    });

    if (config.logRetentionDays < 365) {
      for (const fn of [this.apiHandler, this.scanHandler, this.quarantineHandler, this.processHandler]) {
        acknowledge(fn.logGroup, 'logRetentionByConfig');
      }
    }
    this.consume(this.scanHandler, this.intakeQueue, handlers.scan);
    this.consume(this.quarantineHandler, this.quarantineQueue, handlers.quarantine);
    this.consume(this.processHandler, this.processQueue, handlers.process);

    this.grantApi(props);
    this.grantScan(props);
    this.grantMove(
      this.quarantineHandler,
      props,
      props.quarantineBucket,
      QUARANTINE_PREFIX,
      this.keys.quarantine,
      false,
    );
    // Writes into processed are create-only; a 412 on a re-run is checked by reading the existing copy's metadata.
    this.grantMove(
      this.processHandler,
      props,
      props.processedBucket,
      PROCESSED_PREFIX,
      this.keys.processed,
      true,
    );
    // The uploads bucket policy denies reads of unscanned objects to every principal without this tag.
    for (const fn of [this.scanHandler, this.quarantineHandler, this.processHandler]) {
      grantAccessByTag(fn.role, config.envName, 'pipeline');
    }

    this.api = new IntakeHttpApi(this, 'HttpApi', {
      handler: this.apiHandler.function,
      jwtIssuer: config.intake.jwt.issuerUrl,
      jwtAudiences: config.intake.jwt.audiences,
      allowedOrigins: config.cors.allowedOrigins,
      throttlingRateLimit: config.intake.api.throttlingRateLimit,
      throttlingBurstLimit: config.intake.api.throttlingBurstLimit,
      logRetentionDays: config.logRetentionDays,
      logRemovalPolicy: removalPolicy,
      logEncryptionKey: this.keys.logs,
    });

    if (config.logRetentionDays < 365) acknowledge(this.api.accessLogs, 'logRetentionByConfig');
    for (const logGroup of [
      this.api.accessLogs,
      ...[this.apiHandler, this.scanHandler, this.quarantineHandler, this.processHandler].map(
        (f) => f.logGroup,
      ),
    ]) {
      acknowledge(logGroup, 'crossStackKeyNotRecognised');
    }

    if (config.intake.guardDuty.malwareProtection) {
      this.malwareProtection = new MalwareProtectionPlan(this, 'UploadsMalwareProtection', {
        bucket: props.uploadsBucket,
        bucketKey: props.keys.uploads,
        objectPrefix: UPLOADS_PREFIX,
      });
      // GuardDuty reads unscanned uploads: it needs the pipeline's way past the read gate.
      grantAccessByTag(this.malwareProtection.role, config.envName, 'pipeline');
      acknowledgeResolved(this.malwareProtection.policy, 'guardDutyDocumentedWildcards', {
        bucketArn: props.uploadsBucket.bucketArn,
        prefix: UPLOADS_PREFIX,
        region: this.region,
        account: this.account,
      });
    }
  }

  /**
   * What starts a scan → intake queue. Without GuardDuty: Object Created under uploads/. With GuardDuty: its
   * result for the object INSTEAD, because the scan handler treats GuardDuty's verdict as one more engine next
   * to its own: triggered by Object Created as well, it would scan first, publish, move the object, and
   * GuardDuty's later finding could only republish the first verdict (or find the object gone).
   */
  private routeUploadEvents(uploads: s3.IBucket): void {
    const defaultBus = events.EventBus.fromEventBusName(this, 'DefaultBus', 'default');
    const rules = this.config.intake.guardDuty.malwareProtection
      ? [
          new events.Rule(this, 'GuardDutyResultRule', {
            description: 'GuardDuty Malware Protection results for uploads/ → intake queue (starts the scan)',
            eventBus: defaultBus,
            eventPattern: {
              source: ['aws.guardduty'],
              detailType: [GUARDDUTY_RESULT_DETAIL_TYPE],
              detail: {
                s3ObjectDetails: {
                  bucketName: [uploads.bucketName],
                  objectKey: [{ prefix: UPLOADS_PREFIX }],
                },
              },
            },
          }),
        ]
      : [
          new events.Rule(this, 'UploadCreatedRule', {
            description: 'New uploads (Object Created under uploads/) → intake queue',
            eventBus: defaultBus,
            eventPattern: {
              source: ['aws.s3'],
              detailType: ['Object Created'],
              detail: {
                bucket: { name: [uploads.bucketName] },
                object: { key: [{ prefix: UPLOADS_PREFIX }] },
              },
            },
          }),
        ];
    this.deliver(rules, this.intakeQueue);
  }

  /** Verdicts on the results bus → quarantine (INFECTED, SUSPICIOUS) and process (CLEAN) queues. */
  private routeVerdicts(): void {
    const verdictRule = (ruleId: string, statuses: string[], description: string) =>
      new events.Rule(this, ruleId, {
        description,
        eventBus: this.resultsBus,
        eventPattern: {
          source: [RESULTS_EVENT_SOURCE],
          detailType: [SCAN_RESULT_DETAIL_TYPE],
          detail: { verdict: { status: statuses } },
        },
      });
    this.deliver(
      [
        verdictRule(
          'QuarantineVerdictRule',
          QUARANTINE_VERDICTS,
          'INFECTED and SUSPICIOUS uploads → quarantine',
        ),
      ],
      this.quarantineQueue,
    );
    this.deliver(
      [verdictRule('ProcessVerdictRule', PROCESS_VERDICTS, 'CLEAN uploads → process')],
      this.processQueue,
    );
  }

  /**
   * Targets `queue` from `rules`, with the queue's DLQ for events EventBridge cannot deliver. The queue
   * policy names the rules (aws:SourceArn); CDK's own grant for encrypted queues would only check the account.
   */
  private deliver(rules: readonly events.Rule[], queue: EncryptedQueue): void {
    queue.allowEventBridgeRules(rules.map((rule) => rule.ruleArn));
    // Same-stack references built with formatArn keep this stack's account and region resolved.
    const queueArn = (q: sqs.Queue) => this.formatArn({ service: 'sqs', resource: q.queueName });
    const target = sqs.Queue.fromQueueAttributes(this, `${queue.node.id}Target`, {
      queueArn: queueArn(queue.queue),
      queueUrl: queue.queue.queueUrl,
      queueName: queue.queue.queueName,
    });
    const deadLetterQueue = sqs.Queue.fromQueueAttributes(this, `${queue.node.id}DeadLetterTarget`, {
      queueArn: queueArn(queue.deadLetterQueue),
      queueUrl: queue.deadLetterQueue.queueUrl,
      queueName: queue.deadLetterQueue.queueName,
    });
    for (const rule of rules) {
      rule.addTarget(
        new targets.SqsQueue(target, {
          deadLetterQueue,
          retryAttempts: 185,
          maxEventAge: Duration.hours(24),
        }),
      );
    }
  }

  private handler(
    handlerId: string,
    directory: HandlerDirectory,
    description: string,
    environment: HandlerEnvironment,
  ): StowageFunction {
    const { config } = this;
    const settings = {
      'intake-api': config.intake.handlers.api,
      scan: config.intake.handlers.scan,
      quarantine: config.intake.handlers.quarantine,
      process: config.intake.handlers.process,
    }[directory];
    const fn = new StowageFunction(this, handlerId, {
      entry: `lambda/${directory}/index.ts`,
      description,
      memoryMb: settings.memoryMb,
      timeoutSeconds: settings.timeoutSeconds,
      reservedConcurrency: settings.reservedConcurrency,
      environment: { ...environment, [HANDLER_ENV.ENV_NAME]: config.envName },
      serviceName: {
        'intake-api': HANDLER_SERVICES.intakeApi,
        scan: HANDLER_SERVICES.scan,
        quarantine: HANDLER_SERVICES.quarantine,
        process: HANDLER_SERVICES.process,
      }[directory],
      logLevel: config.intake.logLevel,
      logRetentionDays: config.logRetentionDays,
      logRemovalPolicy: removalPolicyOf(config),
      logEncryptionKey: this.keys.logs,
    });
    acknowledge(fn.function, 'handlersOutsideVpc');
    return fn;
  }

  private consume(
    fn: StowageFunction,
    queue: EncryptedQueue,
    settings: { readonly batchSize: number; readonly reservedConcurrency: number },
  ): void {
    // addEventSourceMapping (not SqsEventSource, whose ID embeds the stack name and so the env).
    const mapping = fn.function.addEventSourceMapping(`${queue.node.id}Source`, {
      eventSourceArn: queue.queue.queueArn,
      batchSize: settings.batchSize,
      reportBatchItemFailures: true,
      maxConcurrency: settings.reservedConcurrency,
    });
    queue.queue.grantConsumeMessages(fn.role);
    acknowledge(mapping, 'sqsEventSourceUsesQueueDlq');
  }

  private grantApi(props: IntakeStackProps): void {
    const fn = this.apiHandler;
    this.grantStatus(fn.role, ['dynamodb:PutItem', 'dynamodb:GetItem']);
    // The presigned POST is signed with this role's credentials: S3 checks them when the client uploads.
    this.grantObjects(fn, 'PresignUploads', props.uploadsBucket, UPLOADS_PREFIX, ['s3:PutObject']);
    fn.role.addToPrincipalPolicy(
      this.s3KeyStatement('EncryptUploads', this.keys.uploads, ['kms:GenerateDataKey']),
    );
  }

  private grantScan(props: IntakeStackProps): void {
    const fn = this.scanHandler;
    this.grantStatus(fn.role, ['dynamodb:GetItem', 'dynamodb:UpdateItem']);
    this.grantObjects(fn, 'ReadAndTagUploads', props.uploadsBucket, UPLOADS_PREFIX, [
      's3:GetObject',
      's3:GetObjectVersion',
      's3:GetObjectTagging',
      's3:GetObjectVersionTagging',
      's3:PutObjectTagging',
      's3:PutObjectVersionTagging',
    ]);
    // An event without a version id names every version of its key: the scan lists them (ListObjectVersions).
    fn.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ListUploadVersions',
        actions: ['s3:ListBucketVersions'],
        resources: [props.uploadsBucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': `${UPLOADS_PREFIX}*` } },
      }),
    );
    fn.role.addToPrincipalPolicy(this.s3KeyStatement('DecryptUploads', this.keys.uploads, ['kms:Decrypt']));
    fn.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'PublishVerdicts',
        actions: ['events:PutEvents'],
        resources: [this.resultsBus.eventBusArn],
      }),
    );
  }

  /**
   * Quarantine and process: read the source version, write a verified copy, delete the source version.
   * `readCopies`: may also read the destination (process: verifies an existing copy after a create-only 412;
   * the quarantine bucket stays unreadable to the pipeline).
   */
  private grantMove(
    fn: StowageFunction,
    props: IntakeStackProps,
    destination: s3.IBucket,
    prefix: string,
    destinationKey: kms.IKey,
    readCopies: boolean,
  ): void {
    this.grantStatus(fn.role, ['dynamodb:GetItem', 'dynamodb:UpdateItem']);
    this.grantObjects(fn, 'ReadAndRemoveSourceVersions', props.uploadsBucket, UPLOADS_PREFIX, [
      's3:GetObject',
      's3:GetObjectVersion',
      's3:GetObjectTagging',
      's3:GetObjectVersionTagging',
      's3:DeleteObjectVersion',
    ]);
    this.grantObjects(fn, 'WriteAndVerifyCopies', destination, prefix, [
      's3:PutObject',
      's3:PutObjectTagging',
      's3:GetObjectAttributes',
      's3:GetObjectVersionAttributes',
      ...(readCopies ? ['s3:GetObject'] : []),
    ]);
    fn.role.addToPrincipalPolicy(this.s3KeyStatement('DecryptUploads', this.keys.uploads, ['kms:Decrypt']));
    fn.role.addToPrincipalPolicy(
      this.s3KeyStatement('EncryptCopies', destinationKey, [
        'kms:GenerateDataKey',
        'kms:Encrypt',
        'kms:Decrypt',
      ]),
    );
  }

  /** Object actions on one prefix of a bucket (the only wildcard a handler role holds). */
  private grantObjects(
    fn: StowageFunction,
    sid: string,
    bucket: s3.IBucket,
    prefix: string,
    actions: string[],
  ): void {
    fn.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ sid, actions, resources: [bucket.arnForObjects(`${prefix}*`)] }),
    );
    acknowledgeResolved(fn.policy, 'pipelineObjectPrefixWildcards', { bucketArn: bucket.bucketArn, prefix });
  }

  /** Status table actions, and its key only through DynamoDB. */
  private grantStatus(role: iam.IRole, actions: string[]): void {
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ sid: 'StatusRecords', actions, resources: [this.statusTable.tableArn] }),
    );
    const writes = actions.some((a) => a !== 'dynamodb:GetItem');
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'StatusRecordsKey',
        actions: writes
          ? ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:DescribeKey']
          : ['kms:Decrypt', 'kms:DescribeKey'],
        resources: [this.keys.status.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `dynamodb.${this.region}.amazonaws.com` } },
      }),
    );
  }

  /** A bucket key, usable only through S3 in this region. */
  private s3KeyStatement(sid: string, key: kms.IKey, actions: string[]): iam.PolicyStatement {
    return new iam.PolicyStatement({
      sid,
      actions,
      resources: [key.keyArn],
      conditions: { StringEquals: { 'kms:ViaService': `s3.${this.region}.amazonaws.com` } },
    });
  }
}
