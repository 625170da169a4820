import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import type { EnvName } from '../config';
import type {
  WatchedBackupSource,
  WatchedBucket,
  WatchedHandler,
  WatchedQueue,
  WatchedReplication,
} from '../monitoring/operations-metrics';
import { HANDLER_METRICS, METRIC_SERVICES, SCAN_VERDICTS } from '../../core/contracts/metrics';
import {
  apiMetric,
  bucketStorageMetric,
  lambdaMetric,
  queueMetric,
  replicationMetric,
  stowageMetric,
} from '../monitoring/operations-metrics';

export interface OperationsDashboardProps {
  /** Name of the dashboard, e.g. `Stowage-prod`. */
  readonly dashboardName: string;
  /** The environment (the `env` dimension of Stowage metrics). */
  readonly envName: EnvName;
  /** Handlers: errors and durations. */
  readonly handlers: readonly WatchedHandler[];
  /** Work queues: depth and age of the oldest message. */
  readonly workQueues: readonly WatchedQueue[];
  /** Queues that should stay empty (DLQs, failure and holding queues): depth. */
  readonly deadLetterQueues: readonly WatchedQueue[];
  /** Backup sources: age, size, verified. */
  readonly backupSources: readonly WatchedBackupSource[];
  /** Buckets: size and object count. */
  readonly buckets: readonly WatchedBucket[];
  /** The intake HTTP API's id: requests, 4xx and 5xx. */
  readonly apiId: string;
  /** Replication rules: latency and failed operations. @default none (no replication widgets) */
  readonly replications?: readonly WatchedReplication[];
  /** Alarms shown in the alarm status widget. */
  readonly alarms: readonly cloudwatch.IAlarm[];
}

const FULL = 24;
const HALF = 12;
const THIRD = 8;
const HEIGHT = 6;

/**
 * `Stowage-<env>`: the one dashboard operators start from. Alarm status first, then the upload flow (verdicts per
 * hour, end-to-end latency, queues, DLQs), the handlers, the API, backups per source, storage per bucket and, where
 * buckets replicate, replication.
 */
export class OperationsDashboard extends Construct {
  /** The dashboard. */
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: OperationsDashboardProps) {
    super(scope, id);
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: props.dashboardName,
      defaultInterval: Duration.days(1),
    });
    const fiveMinutes = Duration.minutes(5);
    const hourly = Duration.hours(1);
    const stowage = (
      service: Parameters<typeof stowageMetric>[1],
      name: string,
      statistic: string,
      label: string,
    ) => stowageMetric(props.envName, service, name, { statistic, period: fiveMinutes, label });

    this.dashboard.addWidgets(
      new cloudwatch.AlarmStatusWidget({
        title: 'Alarms',
        alarms: [...props.alarms],
        width: FULL,
        height: HEIGHT,
        sortBy: cloudwatch.AlarmStatusWidgetSortBy.STATE_UPDATED_TIMESTAMP,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Uploads per hour by verdict',
        width: HALF,
        height: HEIGHT,
        stacked: true,
        left: SCAN_VERDICTS.map((verdict) =>
          stowageMetric(props.envName, METRIC_SERVICES.scan, `Scan${verdict}`, {
            statistic: cloudwatch.Stats.SUM,
            period: hourly,
            label: verdict,
          }),
        ),
      }),
      new cloudwatch.GraphWidget({
        title: 'End-to-end latency: upload to processed / quarantined (ms)',
        width: HALF,
        height: HEIGHT,
        left: (['process', 'quarantine'] as const).flatMap((service) =>
          (['p50', 'p95', 'p99'] as const).map((statistic) =>
            stowage(service, HANDLER_METRICS.endToEndLatency, statistic, `${service} ${statistic}`),
          ),
        ),
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Queue depth (visible messages)',
        width: THIRD,
        height: HEIGHT,
        left: props.workQueues.map((q) =>
          queueMetric(q.queue, 'ApproximateNumberOfMessagesVisible', fiveMinutes, q.name),
        ),
      }),
      new cloudwatch.GraphWidget({
        title: 'Age of the oldest message (s)',
        width: THIRD,
        height: HEIGHT,
        left: props.workQueues.map((q) =>
          queueMetric(q.queue, 'ApproximateAgeOfOldestMessage', fiveMinutes, q.name),
        ),
      }),
      new cloudwatch.GraphWidget({
        title: 'DLQ, failure and holding queue depth',
        width: THIRD,
        height: HEIGHT,
        left: props.deadLetterQueues.map((q) =>
          queueMetric(q.queue, 'ApproximateNumberOfMessagesVisible', fiveMinutes, q.name),
        ),
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Handler errors',
        width: THIRD,
        height: HEIGHT,
        left: props.handlers.map((h) =>
          lambdaMetric(h.function, 'Errors', cloudwatch.Stats.SUM, fiveMinutes, h.name),
        ),
      }),
      new cloudwatch.GraphWidget({
        title: 'Handler duration p99 (ms)',
        width: THIRD,
        height: HEIGHT,
        left: props.handlers.map((h) =>
          lambdaMetric(h.function, 'Duration', cloudwatch.Stats.p(99), fiveMinutes, h.name),
        ),
      }),
      new cloudwatch.GraphWidget({
        title: 'Intake API requests and errors',
        width: THIRD,
        height: HEIGHT,
        left: (['Count', '4xx', '5xx'] as const).map((name) => apiMetric(props.apiId, name, fiveMinutes)),
      }),
    );
    const perSource = (name: string, statistic: string) =>
      props.backupSources.map((source) =>
        stowageMetric(props.envName, METRIC_SERVICES.backupVerify, name, {
          statistic,
          period: hourly,
          label: source.name,
          extraDimensions: { source: source.name },
        }),
      );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Backup age per source (hours)',
        width: THIRD,
        height: HEIGHT,
        left: perSource(HANDLER_METRICS.backupAgeHours, cloudwatch.Stats.MAXIMUM),
        leftAnnotations: props.backupSources.map((source) => ({
          value: source.maxAgeHours,
          label: `${source.name} max age`,
        })),
      }),
      new cloudwatch.GraphWidget({
        title: 'Backup size per source (bytes)',
        width: THIRD,
        height: HEIGHT,
        left: perSource(HANDLER_METRICS.backupSizeBytes, cloudwatch.Stats.MAXIMUM),
      }),
      new cloudwatch.GraphWidget({
        title: 'Backup verified per source (1 = ok)',
        width: THIRD,
        height: HEIGHT,
        left: perSource(HANDLER_METRICS.backupVerified, cloudwatch.Stats.MINIMUM),
        leftYAxis: { min: 0, max: 1 },
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Bucket size (bytes, daily)',
        width: HALF,
        height: HEIGHT,
        left: props.buckets.flatMap((bucket) => [
          bucketStorageMetric(bucket, 'BucketSizeBytes', 'StandardStorage'),
          ...(bucket.archiveStorageType
            ? [bucketStorageMetric(bucket, 'BucketSizeBytes', bucket.archiveStorageType)]
            : []),
        ]),
      }),
      new cloudwatch.GraphWidget({
        title: 'Objects per bucket (daily)',
        width: HALF,
        height: HEIGHT,
        left: props.buckets.map((bucket) =>
          bucketStorageMetric(bucket, 'NumberOfObjects', 'AllStorageTypes'),
        ),
      }),
    );
    const replications = props.replications ?? [];
    if (replications.length > 0) {
      this.dashboard.addWidgets(
        new cloudwatch.GraphWidget({
          title: 'Replication latency (s)',
          width: HALF,
          height: HEIGHT,
          left: replications.map((r) =>
            replicationMetric(r, 'ReplicationLatency', cloudwatch.Stats.MAXIMUM, fiveMinutes, r.name),
          ),
        }),
        new cloudwatch.GraphWidget({
          title: 'Failed replication operations',
          width: HALF,
          height: HEIGHT,
          left: replications.map((r) =>
            replicationMetric(r, 'OperationsFailedReplication', cloudwatch.Stats.SUM, fiveMinutes, r.name),
          ),
        }),
      );
    }
  }
}
