/**
 * Local mode's intake pipeline: RGW notifications → local queues → the scan, quarantine and process Lambda
 * handlers, status records on disk, handler metrics in the data directory's metrics log. Registers the `queues`,
 * `dead-letters` and `metrics` steps: the queues stop, then their last dead letters and metric totals go out.
 */
import path from 'node:path';

import type { Logger } from '@aws-lambda-powertools/logger';
import type { S3Client } from '@aws-sdk/client-s3';

import type { StowageConfig } from '../../../lib/config';
import { watchDeadLetters } from '../dead-letter-watch';
import { FileStatusStore } from '../file-status-store';
import type { LocalBucketSetup, LocalKmsKeyIds } from '../local-buckets';
import { createLocalIntake, type LocalIntake, type LocalIntakeOptions } from '../local-intake';
import { MetricsLog } from '../metrics-log';
import { requeueLeftoverUploads } from '../requeue-uploads';
import type { ShutdownPlan } from '../shutdown-order';
import { messageOf } from './message-of';
import type { LocalServers } from './servers';

/** Most batches one local queue handles at once (Lambda's reserved concurrency, capped for one machine). */
const LOCAL_MAX_BATCHES_AT_ONCE = 4;

export interface LocalPipelineInput {
  /** The S3 server. */
  readonly s3: LocalServers['s3'];
  /** The buckets, as set up. */
  readonly buckets: LocalBucketSetup;
  /** SSE-KMS key id of each data bucket. */
  readonly kmsKeyIds: LocalKmsKeyIds;
  /** The env's config: upload rules, scan policy, queue settings. */
  readonly config: StowageConfig;
  /** The data directory's status records and logs. */
  readonly paths: { readonly status: string; readonly logs: string };
  /** clamd's address; absent: the built-in engine only. */
  readonly clamd?: { readonly host: string; readonly port: number };
  /** How long clamd may take for a verdict. Default: the clamd engine's. */
  readonly clamdScanTimeout?: LocalIntakeOptions['clamdScanTimeout'];
  /** Where dead letters are reported. */
  readonly err: (line: string) => void;
  readonly logger: Logger;
}

/** The running pipeline. */
export interface LocalPipeline {
  readonly intake: LocalIntake;
  /** Upload status records (the intake API reads them too). */
  readonly statusStore: FileStatusStore;
  /** The data directory's metrics log (the verifier writes to it too). */
  readonly metricsLog: MetricsLog;
  /** Hands uploads that landed while local mode was down (no notification) to the pipeline; resolves with how many. */
  requeueLeftovers(s3: S3Client): Promise<number>;
}

/** Starts the pipeline and registers its steps; see the module comment. */
export async function startLocalPipeline(
  input: LocalPipelineInput,
  shutdown: ShutdownPlan,
): Promise<LocalPipeline> {
  const { s3, buckets, kmsKeyIds, config, paths } = input;
  const statusStore = new FileStatusStore({ dir: paths.status });
  let intake: LocalIntake;
  try {
    intake = await createLocalIntake({
      s3Endpoint: s3.endpoint,
      region: s3.region,
      credentials: s3.credentials,
      buckets: {
        uploads: buckets.names.uploads,
        processed: buckets.names.processed,
        quarantine: buckets.names.quarantine,
      },
      kmsKeyIds: {
        uploads: kmsKeyIds.uploads,
        processed: kmsKeyIds.processed,
        quarantine: kmsKeyIds.quarantine,
      },
      ...(input.clamd ? { clamd: input.clamd } : {}),
      ...(input.clamdScanTimeout ? { clamdScanTimeout: input.clamdScanTimeout } : {}),
      statusStore,
      allowedContentTypes: config.uploads.allowedContentTypes,
      maxUploadBytes: config.uploads.maxSizeBytes,
      presignExpirySeconds: config.uploads.presignExpirySeconds,
      downloadExpirySeconds: config.uploads.downloadExpirySeconds,
      guardDutyInconclusive: config.intake.guardDuty.inconclusiveVerdict,
      allowEncryptedArchiveEntries: config.intake.scan.allowEncryptedArchiveEntries,
      queues: {
        maxReceiveCount: config.intake.dlqMaxReceiveCount,
        batchSize: config.intake.handlers.scan.batchSize,
        // Batches at once, as Lambda scales out to the reserved concurrency, capped for one machine.
        concurrency: Math.min(config.intake.handlers.scan.reservedConcurrency, LOCAL_MAX_BATCHES_AT_ONCE),
      },
      logger: input.logger,
    });
  } catch (error) {
    throw new Error(
      `could not start the intake pipeline on ${s3.endpoint}: it subscribes to object-created ` +
        `notifications of ${buckets.names.uploads} through Ceph RGW's SNS-compatible topics (HTTP push): ` +
        messageOf(error),
      { cause: error },
    );
  }
  const metricsLog = new MetricsLog({
    file: path.join(paths.logs, 'metrics.jsonl'),
    service: 'stowage-local',
    defaultDimensions: { env: config.envName },
  });
  // Stopping: the queues stop, then their last dead letters and metric totals go out (shutdown-order.ts).
  shutdown.add('metrics', () => {
    for (const [step, metrics] of Object.entries(intake.metrics)) {
      for (const [name, value] of Object.entries(metrics.snapshot()))
        metricsLog.addMetric(name, 'Count', value);
      metricsLog.addDimension('handler', step);
      metricsLog.publishStoredMetrics();
    }
  });
  shutdown.add('dead-letters', watchDeadLetters(intake, input.err));
  shutdown.add('queues', () => intake.stop());
  return {
    intake,
    statusStore,
    metricsLog,
    requeueLeftovers: (client) =>
      requeueLeftoverUploads(client, buckets.names.uploads, (body) => intake.queues.intake.send(body)),
  };
}
