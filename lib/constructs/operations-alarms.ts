import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { acknowledge } from '../compliance/acknowledgements';
import type { EnvName, StowageConfig } from '../config';
import { alarmName } from '../config/naming';
import type {
  WatchedBackupSource,
  WatchedHandler,
  WatchedQueue,
  WatchedReplication,
} from '../monitoring/operations-metrics';
import { HANDLER_METRICS, METRIC_SERVICES } from '../../core/contracts/metrics';
import {
  apiMetric,
  lambdaMetric,
  queueMetric,
  replicationMetric,
  stowageMetric,
} from '../monitoring/operations-metrics';

/** Name of the composite alarm over the critical alarms: `Stowage-<env>-health`. */
export const HEALTH_ALARM = 'health';

export interface OperationsAlarmsProps {
  /** The environment, in every alarm name (`Stowage-<env>-<what>`) and metric dimension. */
  readonly envName: EnvName;
  /** Thresholds, windows and whether alarm actions are on (config `alarms`). */
  readonly settings: StowageConfig['alarms'];
  /** Where every alarm (ALARM and OK) and the health alarm notify. */
  readonly topic: sns.ITopic;
  /** Handlers: errors, throttles, duration near the timeout. */
  readonly handlers: readonly WatchedHandler[];
  /**
   * Queues in which one visible message means work that failed for good or needs a human: every DLQ, the failure
   * queues, the holding queue. Each alarms on ≥ 1 visible message and counts towards the health alarm.
   */
  readonly messageQueues: readonly AlarmedQueue[];
  /** The intake queue: its oldest message's age is the scan backlog. */
  readonly intakeQueue: WatchedQueue;
  /** Backup sources: verification failed or missing, newest backup too old. */
  readonly backupSources: readonly WatchedBackupSource[];
  /** The intake HTTP API's id (5xx rate of its `$default` stage). */
  readonly apiId: string;
  /** Replication rules to watch (prod, where replication metrics are on). @default none */
  readonly replications?: readonly WatchedReplication[];
}

/** A queue that should stay empty, and what a message in it means (the alarm's description). */
export interface AlarmedQueue extends WatchedQueue {
  /** What a message in the queue means and what to do, shown in the notification. */
  readonly meaning: string;
}

/** One metric alarm of the catalogue. */
interface AlarmSpec {
  /** `<what>` in `Stowage-<env>-<what>`; also the construct id. */
  readonly what: string;
  /** What it means and what to do, shown in the notification. */
  readonly description: string;
  readonly metric: cloudwatch.IMetric;
  readonly threshold: number;
  readonly comparisonOperator: cloudwatch.ComparisonOperator;
  readonly evaluationPeriods: number;
  readonly treatMissingData: cloudwatch.TreatMissingData;
  /** Counts towards `Stowage-<env>-health`. */
  readonly critical: boolean;
}

/**
 * Every Stowage alarm, named `Stowage-<env>-<what>`, with ALARM and OK actions on the operations topic (enabled per
 * env by `alarms.actionsEnabled`), and the composite `Stowage-<env>-health` over the critical ones.
 *
 * Missing data: backup verification and staleness treat it as breaching, because a verifier that did not run emits
 * nothing. Everything else treats it as not breaching: Lambda, SQS, API Gateway and S3 publish those metrics whenever
 * there is something to report (a queue holding messages always reports its depth), and no data means no traffic.
 */
export class OperationsAlarms extends Construct {
  /** Every metric alarm, in creation order. */
  readonly alarms: readonly cloudwatch.Alarm[];
  /** The metric alarms the health alarm watches. */
  readonly criticalAlarms: readonly cloudwatch.Alarm[];
  /** `Stowage-<env>-health`: ALARM while any critical alarm is in ALARM. */
  readonly health: cloudwatch.CompositeAlarm;

  private readonly action: cloudwatchActions.SnsAction;

  constructor(scope: Construct, id: string, props: OperationsAlarmsProps) {
    super(scope, id);
    this.action = new cloudwatchActions.SnsAction(props.topic);
    const specs = [
      ...handlerAlarms(props),
      ...queueAlarms(props),
      ...pipelineAlarms(props),
      ...backupAlarms(props),
      ...replicationAlarms(props),
    ];
    const duplicates = specs.map((s) => s.what).filter((what, i, all) => all.indexOf(what) !== i);
    if (duplicates.length > 0) {
      throw new Error(`OperationsAlarms ${id}: duplicate alarm names ${[...new Set(duplicates)].join(', ')}`);
    }
    const created = specs.map((spec) => ({ spec, alarm: this.alarm(props, spec) }));
    this.alarms = created.map((c) => c.alarm);
    this.criticalAlarms = created.filter((c) => c.spec.critical).map((c) => c.alarm);

    this.health = new cloudwatch.CompositeAlarm(this, 'Health', {
      compositeAlarmName: alarmName({ envName: props.envName }, HEALTH_ALARM),
      alarmDescription:
        `Stowage ${props.envName} needs a human: a DLQ or the holding queue holds messages, a pipeline handler ` +
        'fails, a backup is unverified or stale, the API answers 5xx, or replication fails. The alarms in ALARM ' +
        'say which.',
      alarmRule: cloudwatch.AlarmRule.anyOf(
        ...this.criticalAlarms.map((alarm) =>
          cloudwatch.AlarmRule.fromAlarm(alarm, cloudwatch.AlarmState.ALARM),
        ),
      ),
      actionsEnabled: props.settings.actionsEnabled,
    });
    this.health.addAlarmAction(this.action);
    this.health.addOkAction(this.action);
    if (!props.settings.actionsEnabled) acknowledge(this, 'alarmActionsOffByConfig');
  }

  private alarm(props: OperationsAlarmsProps, spec: AlarmSpec): cloudwatch.Alarm {
    const alarm = new cloudwatch.Alarm(this, spec.what, {
      alarmName: alarmName({ envName: props.envName }, spec.what),
      alarmDescription: spec.description,
      metric: spec.metric,
      threshold: spec.threshold,
      comparisonOperator: spec.comparisonOperator,
      evaluationPeriods: spec.evaluationPeriods,
      datapointsToAlarm: spec.evaluationPeriods,
      treatMissingData: spec.treatMissingData,
      actionsEnabled: props.settings.actionsEnabled,
    });
    alarm.addAlarmAction(this.action);
    alarm.addOkAction(this.action);
    return alarm;
  }
}

const { GREATER_THAN_OR_EQUAL_TO_THRESHOLD: AT_LEAST, GREATER_THAN_THRESHOLD: ABOVE } =
  cloudwatch.ComparisonOperator;
const { NOT_BREACHING, BREACHING } = cloudwatch.TreatMissingData;

/** Errors ≥ 1, Throttles ≥ 1 and p99 Duration ≥ a share of the timeout, per handler. */
function handlerAlarms(props: OperationsAlarmsProps): AlarmSpec[] {
  const { handlers: window } = props.settings;
  const period = Duration.seconds(window.periodSeconds);
  const common = { evaluationPeriods: window.evaluationPeriods, treatMissingData: NOT_BREACHING };
  return props.handlers.flatMap((h) => {
    const durationMs = (h.timeoutSeconds * 1000 * window.durationPercentOfTimeout) / 100;
    return [
      {
        ...common,
        what: `${h.name}-Errors`,
        description:
          `The ${h.name} failed at least once. Its logs say why; failed messages are retried and land in its ` +
          'DLQ, failed asynchronous invocations in its failure queue.',
        metric: lambdaMetric(h.function, 'Errors', cloudwatch.Stats.SUM, period),
        threshold: 1,
        comparisonOperator: AT_LEAST,
        critical: h.critical,
      },
      {
        ...common,
        what: `${h.name}-Throttles`,
        description:
          `The ${h.name} was throttled: its reserved concurrency is exhausted. Work waits (queues) or is retried ` +
          '(asynchronous invocations); raise its reservedConcurrency if this persists.',
        metric: lambdaMetric(h.function, 'Throttles', cloudwatch.Stats.SUM, period),
        threshold: 1,
        comparisonOperator: AT_LEAST,
        critical: false,
      },
      {
        ...common,
        what: `${h.name}-Duration`,
        description:
          `p99 duration of the ${h.name} reached ${window.durationPercentOfTimeout} % of its ` +
          `${h.timeoutSeconds}-second timeout: invocations are about to time out.`,
        metric: lambdaMetric(h.function, 'Duration', cloudwatch.Stats.p(99), period),
        threshold: durationMs,
        comparisonOperator: AT_LEAST,
        critical: false,
      },
    ];
  });
}

/** ≥ 1 visible message in every queue that should stay empty; the intake backlog's age. */
function queueAlarms(props: OperationsAlarmsProps): AlarmSpec[] {
  const { queues, intakeQueueAge } = props.settings;
  const period = Duration.seconds(queues.periodSeconds);
  return [
    ...props.messageQueues.map((q): AlarmSpec => ({
      what: `${q.name}-NotEmpty`,
      description: q.meaning,
      metric: queueMetric(q.queue, 'ApproximateNumberOfMessagesVisible', period),
      threshold: 1,
      comparisonOperator: AT_LEAST,
      evaluationPeriods: queues.evaluationPeriods,
      treatMissingData: NOT_BREACHING,
      critical: true,
    })),
    {
      what: `${props.intakeQueue.name}-Backlog`,
      description:
        `The oldest upload waiting for its scan is older than ${intakeQueueAge.thresholdSeconds} seconds: the scan ` +
        'handler is not keeping up, failing, or throttled.',
      metric: queueMetric(
        props.intakeQueue.queue,
        'ApproximateAgeOfOldestMessage',
        Duration.seconds(intakeQueueAge.periodSeconds),
      ),
      threshold: intakeQueueAge.thresholdSeconds,
      comparisonOperator: ABOVE,
      evaluationPeriods: intakeQueueAge.evaluationPeriods,
      treatMissingData: NOT_BREACHING,
      critical: false,
    },
  ];
}

/** ERROR verdicts, the quarantine rate and the API's 5xx rate. */
function pipelineAlarms(props: OperationsAlarmsProps): AlarmSpec[] {
  const { scanErrors, quarantinedPerHour, api5xx } = props.settings;
  const api5xxPeriod = Duration.seconds(api5xx.periodSeconds);
  return [
    {
      what: 'Scan-ErrorVerdicts',
      description:
        `At least ${scanErrors.threshold} scans could not complete (verdict ERROR) in ${scanErrors.periodSeconds} ` +
        'seconds: an engine (clamd) or S3 is failing. Those uploads are retried and wait in uploads/.',
      metric: stowageMetric(props.envName, METRIC_SERVICES.scan, 'ScanERROR', {
        statistic: cloudwatch.Stats.SUM,
        period: Duration.seconds(scanErrors.periodSeconds),
      }),
      threshold: scanErrors.threshold,
      comparisonOperator: AT_LEAST,
      evaluationPeriods: scanErrors.evaluationPeriods,
      treatMissingData: NOT_BREACHING,
      critical: false,
    },
    {
      what: 'Quarantined-PerHour',
      description:
        `More than ${quarantinedPerHour.threshold} uploads were quarantined in an hour: an outbreak or a ` +
        'misdetection. Review quarantine/ (stowage report).',
      metric: stowageMetric(props.envName, METRIC_SERVICES.quarantine, HANDLER_METRICS.quarantined, {
        statistic: cloudwatch.Stats.SUM,
        period: Duration.hours(1),
      }),
      threshold: quarantinedPerHour.threshold,
      comparisonOperator: ABOVE,
      evaluationPeriods: quarantinedPerHour.evaluationPeriods,
      treatMissingData: NOT_BREACHING,
      critical: false,
    },
    {
      what: 'Api-5xxRate',
      description:
        `More than ${api5xx.ratePercent} % of intake API requests were answered 5xx: the API handler or its ` +
        'integration is failing.',
      metric: new cloudwatch.MathExpression({
        expression: 'IF(requests > 0, 100 * errors / requests, 0)',
        usingMetrics: {
          errors: apiMetric(props.apiId, '5xx', api5xxPeriod),
          requests: apiMetric(props.apiId, 'Count', api5xxPeriod),
        },
        period: api5xxPeriod,
        label: '5xx rate (%)',
      }),
      threshold: api5xx.ratePercent,
      comparisonOperator: ABOVE,
      evaluationPeriods: api5xx.evaluationPeriods,
      treatMissingData: NOT_BREACHING,
      critical: true,
    },
  ];
}

/**
 * Per source: no successful verification, and no fresh enough backup, in the last `windowHours` (hourly datapoints,
 * all must breach; missing data breaches). A sliding one-day period would alarm whenever a run finishes later than
 * the day before; hourly datapoints over a window longer than a day do not.
 */
function backupAlarms(props: OperationsAlarmsProps): AlarmSpec[] {
  const { windowHours } = props.settings.backups;
  const metric = (metricName: string, statistic: string, source: string) =>
    stowageMetric(props.envName, METRIC_SERVICES.backupVerify, metricName, {
      statistic,
      period: Duration.hours(1),
      extraDimensions: { source },
    });
  return props.backupSources.flatMap((source): AlarmSpec[] => [
    {
      what: `Backup-${source.name}-NotVerified`,
      description:
        `No successful verification of backup source ${source.name} in ${windowHours} hours: the newest backup ` +
        'failed a check, or the verifier did not run. The operations handler re-verifies it and publishes the ' +
        'report; reports/<yyyymmdd>.json has the details.',
      metric: metric(HANDLER_METRICS.backupVerified, cloudwatch.Stats.MINIMUM, source.name),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      evaluationPeriods: windowHours,
      treatMissingData: BREACHING,
      critical: true,
    },
    {
      what: `Backup-${source.name}-Stale`,
      description:
        `The newest backup of ${source.name} was older than ${source.maxAgeHours} hours at every check in ` +
        `${windowHours} hours, or no check reported its age (no backup found, verifier not run). Check the job ` +
        'that writes it.',
      metric: metric(HANDLER_METRICS.backupAgeHours, cloudwatch.Stats.MAXIMUM, source.name),
      threshold: source.maxAgeHours,
      comparisonOperator: ABOVE,
      evaluationPeriods: windowHours,
      treatMissingData: BREACHING,
      critical: true,
    },
  ]);
}

/** Failed replication operations ≥ 1 and replication latency above the threshold, per replication rule. */
function replicationAlarms(props: OperationsAlarmsProps): AlarmSpec[] {
  const { replication } = props.settings;
  const period = Duration.seconds(replication.periodSeconds);
  const common = { evaluationPeriods: replication.evaluationPeriods, treatMissingData: NOT_BREACHING };
  return (props.replications ?? []).flatMap((r) => [
    {
      ...common,
      what: `Replication-${r.name}-Failed`,
      description:
        `S3 failed to replicate objects of the ${r.name.toLowerCase()} bucket to ${r.destinationBucketName}: ` +
        'the replica region lacks them. Check the replication role, the replica key and the replica bucket.',
      metric: replicationMetric(r, 'OperationsFailedReplication', cloudwatch.Stats.SUM, period),
      threshold: 1,
      comparisonOperator: AT_LEAST,
      critical: true,
    },
    {
      ...common,
      what: `Replication-${r.name}-Latency`,
      description:
        `Replication of the ${r.name.toLowerCase()} bucket to ${r.destinationBucketName} lags more than ` +
        `${replication.latencySeconds} seconds (Replication Time Control promises 900).`,
      metric: replicationMetric(r, 'ReplicationLatency', cloudwatch.Stats.MAXIMUM, period),
      threshold: replication.latencySeconds,
      comparisonOperator: ABOVE,
      critical: false,
    },
  ]);
}
