import { METRIC_NAMES } from '../../core/backup/verify/verification-metrics';
import { METRICS_NAMESPACE } from '../../core/contracts/metrics';
import type { AlarmTransition } from './alarm-event';
import type { RedriveRoute } from './operations-config';

/** Metric names of the backup verifier (alarms on them re-run it). */
const BACKUP_METRICS: ReadonlySet<string> = new Set(Object.values(METRIC_NAMES));

/**
 * What an ALARM transition asks for:
 * - `redrive`: an AWS/SQS metric of a configured DLQ alarmed; move its messages back to the source queue.
 * - `settle-verification-failures`: an AWS/SQS metric of the verification failures queue alarmed; a full verifier
 *   run, then the records it supersedes are deleted.
 * - `reverify`: a Stowage backup metric with a `source` dimension alarmed; re-run the verifier for those sources.
 * - `reverify-all`: a Stowage backup metric without `source` alarmed; a full verifier run.
 * - `report-only`: anything else (another queue, another Stowage metric, a composite alarm); report, no action.
 */
export type OperationPlan =
  | { readonly kind: 'redrive'; readonly route: RedriveRoute }
  | { readonly kind: 'settle-verification-failures' }
  | { readonly kind: 'reverify'; readonly sources: readonly string[] }
  | { readonly kind: 'reverify-all' }
  | { readonly kind: 'report-only'; readonly note: string };

export interface PlanContext {
  readonly routes: readonly RedriveRoute[];
  /** Name of the verification failures queue (the `QueueName` dimension of its alarm). */
  readonly verificationFailuresQueueName: string;
  /** Names of the configured backup sources. */
  readonly backupSources: readonly string[];
}

/** Decides what an alarm transition asks for, from the metrics the alarm watches. Pure. */
export function planFor(transition: AlarmTransition, context: PlanContext): OperationPlan {
  if (transition.composite || transition.metrics.length === 0) {
    return {
      kind: 'report-only',
      note: transition.composite
        ? 'composite alarm: no automatic action'
        : 'the alarm names no metric: no automatic action',
    };
  }

  for (const metric of transition.metrics) {
    if (metric.namespace !== 'AWS/SQS') continue;
    const route = context.routes.find(
      (candidate) => candidate.deadLetterQueueName === metric.dimensions['QueueName'],
    );
    if (route) return { kind: 'redrive', route };
    if (metric.dimensions['QueueName'] === context.verificationFailuresQueueName) {
      return { kind: 'settle-verification-failures' };
    }
  }

  const backupMetrics = transition.metrics.filter(
    (metric) => metric.namespace === METRICS_NAMESPACE && BACKUP_METRICS.has(metric.name),
  );
  if (backupMetrics.length > 0) {
    const named = [...new Set(backupMetrics.flatMap((metric) => metric.dimensions['source'] ?? []))];
    if (named.length === 0) return { kind: 'reverify-all' };
    const unknown = named.filter((source) => !context.backupSources.includes(source));
    if (unknown.length > 0) {
      return {
        kind: 'report-only',
        note: `backup source ${unknown.map((source) => `'${source}'`).join(', ')} is not configured for the verifier (configured: ${context.backupSources.join(', ') || 'none'}): no re-verification`,
      };
    }
    return { kind: 'reverify', sources: named };
  }

  const queue = transition.metrics.find((metric) => metric.namespace === 'AWS/SQS')?.dimensions['QueueName'];
  return {
    kind: 'report-only',
    note: queue
      ? `queue ${queue} is not a configured dead-letter queue: no automatic action`
      : 'no automatic action for this alarm',
  };
}
