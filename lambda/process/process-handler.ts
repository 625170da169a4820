import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';

import { HANDLER_METRICS } from '../../core/contracts/metrics';
import type { HandlerMetrics } from '../runtime/batch-metrics';
import type { DeadLetterPolicy } from '../runtime/dead-letter-reason';
import { processUpload, type ProcessDependencies } from '../../core/intake/process-upload';
import { createResultsBatchHandler } from '../runtime/results-batch-handler';

const OUTCOME_METRICS = {
  processed: 'Processed',
  'already-processed': 'ProcessDuplicate',
  'source-missing': 'ProcessSourceMissing',
} as const;

/** SQS batch of CLEAN results → verified move into the processed bucket with a manifest, per-record failures. */
export function createProcessHandler(
  deps: ProcessDependencies & { readonly metrics: HandlerMetrics; readonly deadLetter?: DeadLetterPolicy },
): (event: SQSEvent, context?: Context) => Promise<SQSBatchResponse> {
  const now = deps.now ?? (() => new Date());
  return createResultsBatchHandler({
    handle: async (detail) => {
      const outcome = await processUpload(detail, deps);
      if (outcome.kind === 'processed') {
        // From the upload landing in S3 (its LastModified, else its record's creation) to the end of the move.
        const latency = now().getTime() - Date.parse(outcome.manifest.uploadedAt);
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
            failure: 'moving the file to processed failed',
          },
        }
      : {}),
    failureMetric: 'ProcessFailures',
  });
}
