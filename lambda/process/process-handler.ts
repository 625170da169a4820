import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';

import type { HandlerMetrics } from '../shared/pipeline/batch-metrics';
import { processUpload, type ProcessDependencies } from '../shared/pipeline/process-upload';
import { createResultsBatchHandler } from '../shared/pipeline/results-batch-handler';

const OUTCOME_METRICS = {
  processed: 'Processed',
  'already-processed': 'ProcessDuplicate',
  'source-missing': 'ProcessSourceMissing',
} as const;

/** SQS batch of CLEAN results → verified move into the processed bucket with a manifest, per-record failures. */
export function createProcessHandler(
  deps: ProcessDependencies & { readonly metrics: HandlerMetrics },
): (event: SQSEvent, context?: Context) => Promise<SQSBatchResponse> {
  return createResultsBatchHandler({
    handle: (detail) => processUpload(detail, deps),
    metrics: deps.metrics,
    metricFor: (outcome) => OUTCOME_METRICS[outcome.kind],
    failureMetric: 'ProcessFailures',
  });
}
