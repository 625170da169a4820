import { MetricUnit } from '@aws-lambda-powertools/metrics';

import { isFailure, type VerificationReport } from './verification-report';

/**
 * The part of Powertools Metrics the verifier uses. Each source's metrics are flushed as one EMF document with
 * the `source` dimension added to the defaults (`env`, and Powertools' `service`).
 */
export interface VerificationMetrics {
  addDimension(name: string, value: string): unknown;
  addMetric(name: string, unit: (typeof MetricUnit)[keyof typeof MetricUnit], value: number): unknown;
  publishStoredMetrics(): unknown;
}

export const METRIC_NAMES = {
  AGE_HOURS: 'BackupAgeHours',
  SIZE_BYTES: 'BackupSizeBytes',
  VERIFIED: 'BackupVerified',
} as const;

/**
 * Per source: BackupVerified (1 when ok or archived, else 0), and when a backup was found BackupAgeHours and
 * BackupSizeBytes. A missing source emits no age: the staleness alarm treats missing data as breaching.
 */
export function emitVerificationMetrics(metrics: VerificationMetrics, report: VerificationReport): void {
  for (const source of report.sources) {
    metrics.addDimension('source', source.source);
    metrics.addMetric(METRIC_NAMES.VERIFIED, MetricUnit.Count, isFailure(source) ? 0 : 1);
    if (source.ageHours !== undefined)
      metrics.addMetric(METRIC_NAMES.AGE_HOURS, MetricUnit.NoUnit, source.ageHours);
    if (source.sizeBytes !== undefined)
      metrics.addMetric(METRIC_NAMES.SIZE_BYTES, MetricUnit.Bytes, source.sizeBytes);
    metrics.publishStoredMetrics();
  }
}
