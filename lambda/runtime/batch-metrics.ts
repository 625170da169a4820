import type { MetricUnit } from '@aws-lambda-powertools/metrics';

/**
 * The part of Powertools Metrics the batch handlers use: Count metrics per outcome, flushed once per invocation.
 * Powertools' Metrics satisfies it; tests pass a recording stand-in.
 */
export interface HandlerMetrics {
  addMetric(name: string, unit: (typeof MetricUnit)[keyof typeof MetricUnit], value: number): unknown;
  publishStoredMetrics(): unknown;
}
