import { randomUUID } from 'node:crypto';

import { Logger } from '@aws-lambda-powertools/logger';
import type { S3Client } from '@aws-sdk/client-s3';

import type { ApiResponse } from '../../lambda/intake-api/api-types';
import { createIntakeApi } from '../../lambda/intake-api/routes';
import { createProcessHandler } from '../../lambda/process/process-handler';
import { createQuarantineHandler } from '../../lambda/quarantine/quarantine-handler';
import { createScanHandler } from '../../lambda/scan/scan-handler';
import { createS3Client, type S3Endpoint } from '../../core/aws/s3-client';
import { HANDLER_SERVICES } from '../../core/contracts/metrics';
import { UPLOADS_PREFIX } from '../../core/contracts/upload-key';
import type { InconclusivePolicy } from '../../core/events/guardduty-scan-result';
import { createBuiltinEngine } from '../../core/scan/builtin-engine';
import { createClamdEngine, type ClamdEngineOptions } from '../../core/scan/clamd-engine';
import type { StatusStore } from '../../core/status/upload-status';
import { DEFAULT_MAX_RECEIVE_COUNT, LocalQueue, type LocalQueueOptions } from '../events/local-queue';
import { startNotificationReceiver, subscribeObjectCreated } from '../events/rgw-notifications';
import { CountingMetrics } from './counting-metrics';
import type { IntakeBucketNames, IntakeKmsKeyIds } from './intake-buckets';
import { LocalResultsPublisher } from './local-results-publisher';

/** The pipeline steps that talk to S3, each of which can be given its own client. */
export type IntakeStep = 'api' | 'scan' | 'quarantine' | 'process';

export interface LocalIntakeOptions {
  /** S3 endpoint of the local server, e.g. `http://127.0.0.1:7480` (Ceph RGW). */
  readonly s3Endpoint: string;
  /** Region clients sign for. Default `us-east-1`. */
  readonly region?: string;
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /** The buckets, already created and versioned (ensureIntakeBuckets). */
  readonly buckets: IntakeBucketNames;
  /** SSE-KMS key id of each bucket, as the server's KMS knows them. */
  readonly kmsKeyIds: IntakeKmsKeyIds;
  /** clamd address; unset = built-in engine only. */
  readonly clamd?: { readonly host: string; readonly port: number };
  /** How long clamd may take for a verdict (floor + size at a throughput). Default: the clamd engine's. */
  readonly clamdScanTimeout?: Pick<ClamdEngineOptions, 'scanTimeoutFloorMs' | 'scanThroughputBytesPerSecond'>;
  /** Where upload status records live. */
  readonly statusStore: StatusStore;
  /** Exact, lower-case content types accepted (each needs a key extension). */
  readonly allowedContentTypes: readonly string[];
  /** Largest upload accepted, in bytes. */
  readonly maxUploadBytes: number;
  /** Lifetime of a presigned POST, in seconds. Default 900. */
  readonly presignExpirySeconds?: number;
  /** Lifetime of a presigned download URL, in seconds. Default 300. */
  readonly downloadExpirySeconds?: number;
  /** Accept encrypted archive entries uninspected (config intake.scan). Default false: SUSPICIOUS. */
  readonly allowEncryptedArchiveEntries?: boolean;
  /** What an inconclusive GuardDuty result becomes. Default `ERROR`. */
  readonly guardDutyInconclusive?: InconclusivePolicy;
  /**
   * Retry behaviour and scale of the three queues (SQS maxReceiveCount, batch size, backoff, batches at once).
   * Defaults: LocalQueue's.
   */
  readonly queues?: Pick<LocalQueueOptions, 'maxReceiveCount' | 'batchSize' | 'retryDelayMs' | 'concurrency'>;
  /** S3 clients per step (fault injection, instrumentation). Default: one client for every step. */
  readonly s3Clients?: Partial<Record<IntakeStep, S3Client>>;
  /** Port of the notification receiver on 127.0.0.1. Default: a free port. */
  readonly notificationPort?: number;
  /** Called with each notification body RGW pushed, once it is queued (logging, tests). */
  readonly onNotification?: (body: string) => void;
  /** Logger of every step. Default: a Powertools Logger at WARN, service `stowage-local`. */
  readonly logger?: Logger;
}

/** A request to the intake API without API Gateway: the caller names the user (no JWT in local mode yet). */
export interface LocalApiRequest {
  readonly method: string;
  /** e.g. `/uploads` or `/uploads/<uploadId>`. */
  readonly path: string;
  readonly body?: string;
  /** The user id that stands in for the JWT `sub`. */
  readonly userId: string;
}

export interface LocalIntakeQueues {
  /** Object-created notifications → scan handler (the intake queue). */
  readonly intake: LocalQueue;
  /** INFECTED/SUSPICIOUS results → quarantine handler. */
  readonly quarantine: LocalQueue;
  /** CLEAN results → process handler. */
  readonly process: LocalQueue;
}

export interface LocalIntake {
  /** The intake HTTP API core (`POST /uploads`, `GET /uploads/{uploadId}`). */
  readonly api: (request: LocalApiRequest) => Promise<ApiResponse>;
  /** The queues, with their depth and dead letters. */
  readonly queues: LocalIntakeQueues;
  /** Count metrics each handler added. */
  readonly metrics: Readonly<Record<Exclude<IntakeStep, 'api'>, CountingMetrics>>;
  /** URL RGW pushes object-created notifications to. */
  readonly notificationUrl: string;
  /** Stops receiving notifications, lets batches in flight finish, and closes the clients it created. */
  stop(): Promise<void>;
}

/**
 * Runs the whole intake flow on one machine against an S3-compatible server (Ceph RGW): the intake API core, RGW's
 * object-created notifications for `uploads/` pushed to an in-process receiver → intake LocalQueue → the scan
 * handler → a results publisher routing like the results bus's rules → quarantine / process LocalQueues → their
 * handlers. Every handler is the one Lambda runs (`create…Handler`), fed SQS events; only the transport is local.
 */
export async function createLocalIntake(options: LocalIntakeOptions): Promise<LocalIntake> {
  const endpoint: S3Endpoint = {
    endpoint: options.s3Endpoint,
    region: options.region ?? 'us-east-1',
    credentials: options.credentials,
  };
  const shared = createS3Client(endpoint);
  const clientFor = (step: IntakeStep): S3Client => options.s3Clients?.[step] ?? shared;
  const logger = options.logger ?? new Logger({ serviceName: 'stowage-local', logLevel: 'WARN' });
  const { buckets, kmsKeyIds, statusStore } = options;
  const metrics = {
    scan: new CountingMetrics(),
    quarantine: new CountingMetrics(),
    process: new CountingMetrics(),
  };

  const api = createIntakeApi({
    config: {
      uploadsBucket: buckets.uploads,
      uploadsKeyId: kmsKeyIds.uploads,
      maxUploadBytes: options.maxUploadBytes,
      allowedContentTypes: options.allowedContentTypes,
      presignExpirySeconds: options.presignExpirySeconds ?? 900,
      processedBucket: buckets.processed,
      downloadExpirySeconds: options.downloadExpirySeconds ?? 300,
    },
    s3: clientFor('api'),
    statusStore,
    logger: logger.createChild({ serviceName: HANDLER_SERVICES.intakeApi }),
  });

  // As on AWS: a message's last failing delivery says its upload was dead-lettered.
  const deadLetter = { maxReceiveCount: options.queues?.maxReceiveCount ?? DEFAULT_MAX_RECEIVE_COUNT };
  const quarantineQueue = new LocalQueue(
    createQuarantineHandler({
      s3: clientFor('quarantine'),
      statusStore,
      config: {
        uploadsBucket: buckets.uploads,
        quarantineBucket: buckets.quarantine,
        quarantineKeyId: kmsKeyIds.quarantine,
      },
      logger: logger.createChild({ serviceName: HANDLER_SERVICES.quarantine }),
      metrics: metrics.quarantine,
      deadLetter,
    }),
    { ...options.queues, name: 'stowage-local-quarantine' },
  );
  const processQueue = new LocalQueue(
    createProcessHandler({
      s3: clientFor('process'),
      statusStore,
      config: {
        uploadsBucket: buckets.uploads,
        processedBucket: buckets.processed,
        processedKeyId: kmsKeyIds.processed,
      },
      logger: logger.createChild({ serviceName: HANDLER_SERVICES.process }),
      metrics: metrics.process,
      deadLetter,
    }),
    { ...options.queues, name: 'stowage-local-process' },
  );
  const intakeQueue = new LocalQueue(
    createScanHandler({
      s3: clientFor('scan'),
      results: new LocalResultsPublisher({ quarantine: quarantineQueue, process: processQueue }),
      statusStore,
      engines: [
        createBuiltinEngine({
          allowedTypes: options.allowedContentTypes,
          allowEncryptedArchiveEntries: options.allowEncryptedArchiveEntries ?? false,
        }),
        ...(options.clamd
          ? [
              createClamdEngine({
                host: options.clamd.host,
                port: options.clamd.port,
                ...options.clamdScanTimeout,
              }),
            ]
          : []),
      ],
      config: {
        uploadsBucket: buckets.uploads,
        guardDutyInconclusive: options.guardDutyInconclusive ?? 'ERROR',
      },
      logger: logger.createChild({ serviceName: HANDLER_SERVICES.scan }),
      metrics: metrics.scan,
      deadLetter,
    }),
    { ...options.queues, name: 'stowage-local-intake' },
  );
  const queues: LocalIntakeQueues = {
    intake: intakeQueue,
    quarantine: quarantineQueue,
    process: processQueue,
  };
  const stopQueues = () => Promise.all(Object.values(queues).map((queue: LocalQueue) => queue.stop()));

  const receiver = await startNotificationReceiver(
    (body) => {
      intakeQueue.send(body);
      options.onNotification?.(body);
    },
    options.notificationPort === undefined ? {} : { port: options.notificationPort },
  );
  try {
    await subscribeObjectCreated({
      endpoint,
      s3: shared,
      bucket: buckets.uploads,
      prefix: UPLOADS_PREFIX,
      pushEndpoint: receiver.url,
    });
  } catch (error) {
    await receiver.close();
    await stopQueues();
    shared.destroy();
    throw error;
  }

  return {
    api: (request) =>
      api({
        method: request.method.toUpperCase(),
        path: request.path,
        ...(request.body === undefined ? {} : { body: request.body }),
        subject: request.userId,
        requestId: randomUUID(),
      }),
    queues,
    metrics,
    notificationUrl: receiver.url,
    async stop() {
      await receiver.close();
      await stopQueues();
      shared.destroy();
    },
  };
}
