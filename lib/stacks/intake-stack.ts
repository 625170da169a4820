import type { CfnElement } from 'aws-cdk-lib';
import { Stack } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { HANDLER_ENV } from '../../core/contracts/handler-env';
import { HANDLER_SERVICES } from '../../core/contracts/metrics';
import { PROCESSED_PREFIX, QUARANTINE_PREFIX, UPLOADS_PREFIX } from '../../core/contracts/upload-key';
import {
  RESULTS_EVENT_SOURCE,
  SCAN_RESULT_DETAIL_TYPE,
  verdictsRoutedTo,
} from '../../core/events/scan-result-event';
import { acknowledge, acknowledgeResolved } from '../compliance/acknowledgements';
import type { StowageConfig } from '../config';
import type { KeyPurpose } from '../config/naming';
import { resultsBusName } from '../config/naming';
import type { EncryptedQueue } from '../constructs/encrypted-queue';
import { IntakeHttpApi } from '../constructs/intake-http-api';
import { localKeys } from '../constructs/local-keys';
import { outsideGroups } from '../constructs/logical-id-group';
import { MalwareProtectionPlan } from '../constructs/malware-protection-plan';
import { QueueFedConsumer } from '../constructs/queue-fed-consumer';
import { ResultsBus } from '../constructs/results-bus';
import { StatusTable } from '../constructs/status-table';
import type { HandlerEnvironment, StowageFunctionProps } from '../constructs/stowage-function';
import { StowageFunction } from '../constructs/stowage-function';
import { grantAccessByTag } from '../security/access';
import type { IntakeResources } from '../security/intake-grants';
import {
  allowMovingUploads,
  allowPresigningUploads,
  allowScanningUploads,
  allowSigningDownloads,
} from '../security/intake-grants';
import { addStackOutput } from './stack-outputs';
import type { StowageStackProps } from './stowage-stack-props';
import { removalPolicyOf } from './stowage-stack-props';

/** detail-type of GuardDuty Malware Protection for S3 results on the default bus. */
export const GUARDDUTY_RESULT_DETAIL_TYPE = 'GuardDuty Malware Protection Object Scan Result';

/** Verdicts each results-bus consumer takes (detail.verdict.status), from the contract local mode routes by too. */
export const QUARANTINE_VERDICTS = verdictsRoutedTo('quarantine');
export const PROCESS_VERDICTS = verdictsRoutedTo('process');

/** The intake handlers by their directory under lambda/, with their settings in config.intake.handlers. */
const HANDLERS = {
  'intake-api': { service: HANDLER_SERVICES.intakeApi, settings: 'api' },
  scan: { service: HANDLER_SERVICES.scan, settings: 'scan' },
  quarantine: { service: HANDLER_SERVICES.quarantine, settings: 'quarantine' },
  process: { service: HANDLER_SERVICES.process, settings: 'process' },
} as const;
type HandlerDirectory = keyof typeof HANDLERS;

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

    this.statusTable = new StatusTable(this, 'StatusTable', {
      encryptionKey: this.keys.status,
      deletionProtection: config.removalPolicy === 'retain',
      removalPolicy,
    }).table;
    this.resultsBus = new ResultsBus(this, 'Results', {
      busName: resultsBusName(config),
      envName: config.envName,
      archiveRetentionDays: config.intake.resultsArchiveRetentionDays,
      encryptionKey: this.keys.messaging,
    }).bus;

    this.apiHandler = new StowageFunction(
      this,
      'ApiHandler',
      this.handlerProps('intake-api', 'Presigns uploads and reports their status', {
        [HANDLER_ENV.UPLOADS_BUCKET]: props.uploadsBucket.bucketName,
        [HANDLER_ENV.UPLOADS_KEY_ARN]: props.keys.uploads.keyArn,
        [HANDLER_ENV.STATUS_TABLE]: this.statusTable.tableName,
        [HANDLER_ENV.MAX_UPLOAD_BYTES]: String(config.uploads.maxSizeBytes),
        [HANDLER_ENV.ALLOWED_CONTENT_TYPES]: config.uploads.allowedContentTypes.join(','),
        [HANDLER_ENV.PRESIGN_EXPIRY_SECONDS]: String(config.uploads.presignExpirySeconds),
        [HANDLER_ENV.STATUS_RETENTION_DAYS]: String(config.intake.statusRetentionDays),
        [HANDLER_ENV.PROCESSED_BUCKET]: props.processedBucket.bucketName,
        [HANDLER_ENV.DOWNLOAD_EXPIRY_SECONDS]: String(config.uploads.downloadExpirySeconds),
      }),
    );
    acknowledge(this.apiHandler.function, 'handlersOutsideVpc');
    const scan = this.consumer(
      'Scan',
      'IntakeQueue',
      'ScanHandler',
      {
        ...this.handlerProps('scan', 'Scans new uploads and publishes the verdict', {
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
        }),
      },
      handlers.scan.batchSize,
    );
    const quarantine = this.consumer(
      'Quarantine',
      'QuarantineQueue',
      'QuarantineHandler',
      {
        ...this.handlerProps('quarantine', 'Moves infected uploads out of reach', {
          [HANDLER_ENV.UPLOADS_BUCKET]: props.uploadsBucket.bucketName,
          [HANDLER_ENV.QUARANTINE_BUCKET]: props.quarantineBucket.bucketName,
          [HANDLER_ENV.QUARANTINE_KEY_ARN]: props.keys.quarantine.keyArn,
          [HANDLER_ENV.STATUS_TABLE]: this.statusTable.tableName,
          [HANDLER_ENV.DLQ_MAX_RECEIVE_COUNT]: String(config.intake.dlqMaxReceiveCount),
        }),
      },
      handlers.quarantine.batchSize,
    );
    const process = this.consumer(
      'Process',
      'ProcessQueue',
      'ProcessHandler',
      {
        ...this.handlerProps('process', 'Moves clean uploads to processed', {
          [HANDLER_ENV.UPLOADS_BUCKET]: props.uploadsBucket.bucketName,
          [HANDLER_ENV.PROCESSED_BUCKET]: props.processedBucket.bucketName,
          [HANDLER_ENV.PROCESSED_KEY_ARN]: props.keys.processed.keyArn,
          [HANDLER_ENV.STATUS_TABLE]: this.statusTable.tableName,
          [HANDLER_ENV.DLQ_MAX_RECEIVE_COUNT]: String(config.intake.dlqMaxReceiveCount),
        }),
      },
      handlers.process.batchSize,
    );
    this.intakeQueue = scan.queue;
    this.scanHandler = scan.handler;
    this.quarantineQueue = quarantine.queue;
    this.quarantineHandler = quarantine.handler;
    this.processQueue = process.queue;
    this.processHandler = process.handler;

    scan.deliverFrom(this.uploadEventRules(props.uploadsBucket));
    quarantine.deliverFrom([
      this.verdictRule(
        'QuarantineVerdictRule',
        QUARANTINE_VERDICTS,
        'INFECTED and SUSPICIOUS uploads → quarantine',
      ),
    ]);
    process.deliverFrom([
      this.verdictRule('ProcessVerdictRule', PROCESS_VERDICTS, 'CLEAN uploads → process'),
    ]);

    if (config.logRetentionDays < 365) {
      for (const fn of [this.apiHandler, this.scanHandler, this.quarantineHandler, this.processHandler]) {
        acknowledge(fn.logGroup, 'logRetentionByConfig');
      }
    }

    const resources: IntakeResources = {
      uploadsBucket: props.uploadsBucket,
      uploadsKey: this.keys.uploads,
      statusTable: this.statusTable,
      statusKey: this.keys.status,
    };
    allowPresigningUploads(this.apiHandler, resources);
    allowSigningDownloads(this.apiHandler, props.processedBucket, this.keys.processed);
    allowScanningUploads(this.scanHandler, resources, this.resultsBus);
    allowMovingUploads(this.quarantineHandler, resources, {
      bucket: props.quarantineBucket,
      prefix: QUARANTINE_PREFIX,
      key: this.keys.quarantine,
      readCopies: false,
    });
    // Writes into processed are create-only; a 412 on a re-run is checked by reading the existing copy's metadata.
    allowMovingUploads(this.processHandler, resources, {
      bucket: props.processedBucket,
      prefix: PROCESSED_PREFIX,
      key: this.keys.processed,
      readCopies: true,
    });
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

    addStackOutput(this, 'Intake', 'HttpApiUrl', this.api.url);
    addStackOutput(this, 'Intake', 'ResultsBusName', this.resultsBus.eventBusName);
    addStackOutput(this, 'Intake', 'ResultsBusArn', this.resultsBus.eventBusArn);

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

  /** Resources of the grouping constructs (ResultsBus, QueueFedConsumer) keep the logical IDs the stack gave them. */
  protected override allocateLogicalId(element: CfnElement): string {
    return super.allocateLogicalId(outsideGroups(element));
  }

  /**
   * What starts a scan → intake queue. Without GuardDuty: Object Created under uploads/. With GuardDuty: its
   * result for the object INSTEAD, because the scan handler treats GuardDuty's verdict as one more engine next
   * to its own: triggered by Object Created as well, it would scan first, publish, move the object, and
   * GuardDuty's later finding could only republish the first verdict (or find the object gone).
   */
  private uploadEventRules(uploads: s3.IBucket): events.Rule[] {
    const defaultBus = events.EventBus.fromEventBusName(this, 'DefaultBus', 'default');
    return this.config.intake.guardDuty.malwareProtection
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
  }

  /** Verdicts on the results bus with one of `statuses` (detail.verdict.status). */
  private verdictRule(ruleId: string, statuses: string[], description: string): events.Rule {
    return new events.Rule(this, ruleId, {
      description,
      eventBus: this.resultsBus,
      eventPattern: {
        source: [RESULTS_EVENT_SOURCE],
        detailType: [SCAN_RESULT_DETAIL_TYPE],
        detail: { verdict: { status: statuses } },
      },
    });
  }

  /** A queue-fed handler with the intake queue settings from config. */
  private consumer(
    id: string,
    queueId: string,
    handlerId: string,
    handler: StowageFunctionProps,
    batchSize: number,
  ): QueueFedConsumer {
    return new QueueFedConsumer(this, id, {
      queueId,
      handlerId,
      handler,
      encryptionKey: this.keys.messaging,
      maxReceiveCount: this.config.intake.dlqMaxReceiveCount,
      removalPolicy: removalPolicyOf(this.config),
      batchSize,
    });
  }

  /** The StowageFunction props of an intake handler: its settings, service name and logs from config. */
  private handlerProps(
    directory: HandlerDirectory,
    description: string,
    environment: HandlerEnvironment,
  ): StowageFunctionProps {
    const { config } = this;
    const { service, settings } = HANDLERS[directory];
    const { memoryMb, timeoutSeconds, reservedConcurrency } = config.intake.handlers[settings];
    return {
      entry: `lambda/${directory}/index.ts`,
      description,
      memoryMb,
      timeoutSeconds,
      reservedConcurrency,
      environment: { ...environment, [HANDLER_ENV.ENV_NAME]: config.envName },
      serviceName: service,
      logLevel: config.intake.logLevel,
      logRetentionDays: config.logRetentionDays,
      logRemovalPolicy: removalPolicyOf(config),
      logEncryptionKey: this.keys.logs,
    };
  }
}
