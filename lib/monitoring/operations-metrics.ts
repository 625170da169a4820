import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { METRICS_NAMESPACE, type MetricService } from '../../core/contracts/metrics';
import type { EnvName } from '../config';
import type { BucketPurpose } from '../config/naming';

/**
 * What the Operations stack watches, and the CloudWatch metrics it reads them by: one place for the alarms
 * (lib/constructs/operations-alarms.ts) and the dashboard (lib/constructs/operations-dashboard.ts), so both always
 * show the same series. The names the handlers emit (namespace, services, metric names) are the contract in
 * core/contracts/metrics.ts.
 */

/** Id of the replication rule of every replicating bucket (lib/constructs/secure-bucket.ts; a test pins it). */
export const REPLICATION_RULE_ID = 'replicate-all';

/** The stage of the intake HTTP API (its CloudWatch `Stage` dimension). */
export const API_STAGE = '$default';

/** A handler the Operations stack watches. */
export interface WatchedHandler {
  /** Name in alarm names and on the dashboard, e.g. `ScanHandler`. */
  readonly name: string;
  /** The function. */
  readonly function: lambda.IFunction;
  /** Its timeout in seconds (the duration alarm fires near it). */
  readonly timeoutSeconds: number;
  /** Part of the upload pipeline or the backup checks: its errors count towards the health alarm. */
  readonly critical: boolean;
}

/** A queue the Operations stack watches. */
export interface WatchedQueue {
  /** Name in alarm names and on the dashboard, e.g. `IntakeDLQ`. */
  readonly name: string;
  /** The queue. */
  readonly queue: sqs.IQueue;
}

/** A bucket whose size and object count the dashboard shows. */
export interface WatchedBucket {
  /** What the bucket holds. */
  readonly purpose: BucketPurpose;
  /** The bucket's name. */
  readonly bucketName: string;
  /** S3 storage-metrics StorageType of its archive tier, if its lifecycle archives. @default none */
  readonly archiveStorageType?: string;
}

/** One replication rule whose failures and latency are watched (S3 replication metrics). */
export interface WatchedReplication {
  /** Name in alarm names, e.g. `Processed`. */
  readonly name: string;
  /** The source bucket's name. */
  readonly sourceBucketName: string;
  /** The replica bucket's name. */
  readonly destinationBucketName: string;
}

/** A backup source and its staleness limit. */
export interface WatchedBackupSource {
  /** The source's name (the `source` dimension). */
  readonly name: string;
  /** The newest backup must be younger than this. */
  readonly maxAgeHours: number;
}

/** S3 storage-metrics `StorageType` of each archive tier a lifecycle rule may use. */
export const ARCHIVE_STORAGE_TYPES = {
  GLACIER_IR: 'GlacierInstantRetrievalStorage',
  GLACIER: 'GlacierStorage',
  DEEP_ARCHIVE: 'DeepArchiveStorage',
} as const;

/** A Stowage handler metric (namespace `Stowage`, dimensions `service` and `env`, plus `extra`). */
export function stowageMetric(
  envName: EnvName,
  service: MetricService,
  metricName: string,
  options: {
    readonly statistic: string;
    readonly period: Duration;
    readonly label?: string;
    readonly extraDimensions?: Readonly<Record<string, string>>;
  },
): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: METRICS_NAMESPACE,
    metricName,
    dimensionsMap: { service, env: envName, ...options.extraDimensions },
    statistic: options.statistic,
    period: options.period,
    label: options.label,
  });
}

/** An AWS/Lambda metric of one function. */
export function lambdaMetric(
  fn: lambda.IFunction,
  metricName: 'Errors' | 'Throttles' | 'Duration' | 'Invocations',
  statistic: string,
  period: Duration,
  label?: string,
): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: 'AWS/Lambda',
    metricName,
    dimensionsMap: { FunctionName: fn.functionName },
    statistic,
    period,
    label,
  });
}

/** An AWS/SQS metric of one queue. */
export function queueMetric(
  queue: sqs.IQueue,
  metricName: 'ApproximateNumberOfMessagesVisible' | 'ApproximateAgeOfOldestMessage',
  period: Duration,
  label?: string,
): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: 'AWS/SQS',
    metricName,
    dimensionsMap: { QueueName: queue.queueName },
    statistic: cloudwatch.Stats.MAXIMUM,
    period,
    label,
  });
}

/** An AWS/ApiGateway metric of the intake HTTP API's stage (`5xx`, `Count`: HTTP API names). */
export function apiMetric(
  apiId: string,
  metricName: '5xx' | '4xx' | 'Count',
  period: Duration,
): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: 'AWS/ApiGateway',
    metricName,
    dimensionsMap: { ApiId: apiId, Stage: API_STAGE },
    statistic: cloudwatch.Stats.SUM,
    period,
    label: metricName,
  });
}

/** An AWS/S3 replication metric of one rule (published only where the rule has replication metrics on). */
export function replicationMetric(
  replication: WatchedReplication,
  metricName: 'OperationsFailedReplication' | 'ReplicationLatency',
  statistic: string,
  period: Duration,
  label?: string,
): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: 'AWS/S3',
    metricName,
    dimensionsMap: {
      SourceBucket: replication.sourceBucketName,
      DestinationBucket: replication.destinationBucketName,
      RuleId: REPLICATION_RULE_ID,
    },
    statistic,
    period,
    label,
  });
}

/** An AWS/S3 daily storage metric of one bucket. */
export function bucketStorageMetric(
  bucket: WatchedBucket,
  metricName: 'BucketSizeBytes' | 'NumberOfObjects',
  storageType: string,
): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: 'AWS/S3',
    metricName,
    dimensionsMap: { BucketName: bucket.bucketName, StorageType: storageType },
    statistic: cloudwatch.Stats.AVERAGE,
    // S3 reports storage metrics once a day.
    period: Duration.days(1),
    label:
      storageType === 'StandardStorage' || storageType === 'AllStorageTypes'
        ? bucket.purpose
        : `${bucket.purpose} (${storageType})`,
  });
}
