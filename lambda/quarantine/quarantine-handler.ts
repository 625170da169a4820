import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';

import { HANDLER_METRICS } from '../../core/contracts/metrics';
import type { HandlerMetrics } from '../runtime/batch-metrics';
import type { DeadLetterPolicy } from '../runtime/dead-letter-reason';
import { quarantineUpload, type QuarantineDependencies } from '../../core/intake/quarantine-upload';
import { createResultsBatchHandler } from '../runtime/results-batch-handler';

const OUTCOME_METRICS = {
  quarantined: HANDLER_METRICS.quarantined,
  'already-quarantined': 'QuarantineDuplicate',
  'source-missing': 'QuarantineSourceMissing',
} as const;

/** SQS batch of INFECTED/SUSPICIOUS results → verified move into the quarantine bucket, per-record failures. */
export function createQuarantineHandler(
  deps: QuarantineDependencies & {
    readonly metrics: HandlerMetrics;
    readonly now?: () => Date;
    readonly deadLetter?: DeadLetterPolicy;
  },
): (event: SQSEvent, context?: Context) => Promise<SQSBatchResponse> {
  const now = deps.now ?? (() => new Date());
  return createResultsBatchHandler({
    handle: async (detail) => {
      const outcome = await quarantineUpload(detail, deps);
      if (outcome.kind === 'quarantined') {
        // From the upload landing in S3 (its LastModified, else its scan's `scannedAt`) to the end of the move.
        const uploadedAt = outcome.uploadedAt ?? new Date(detail.verdict.scannedAt);
        const latency = now().getTime() - uploadedAt.getTime();
        deps.metrics.addMetric(HANDLER_METRICS.endToEndLatency, MetricUnit.Milliseconds, latency);
      }
      return outcome;
    },
    metrics: deps.metrics,
    metricFor: (outcome) => OUTCOME_METRICS[outcome.kind],
    ...(deps.deadLetter
      ? {
          deadLetter: {
            policy: deps.deadLetter,
            statusStore: deps.statusStore,
            failure: 'moving the file to quarantine failed',
          },
        }
      : {}),
    failureMetric: 'QuarantineFailures',
  });
}
