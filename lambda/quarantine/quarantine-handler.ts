import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';

import type { HandlerMetrics } from '../shared/pipeline/batch-metrics';
import { quarantineUpload, type QuarantineDependencies } from '../shared/pipeline/quarantine-upload';
import { createResultsBatchHandler } from '../shared/pipeline/results-batch-handler';

const OUTCOME_METRICS = {
  quarantined: 'Quarantined',
  'already-quarantined': 'QuarantineDuplicate',
  'source-missing': 'QuarantineSourceMissing',
} as const;

/** SQS batch of INFECTED/SUSPICIOUS results → verified move into the quarantine bucket, per-record failures. */
export function createQuarantineHandler(
  deps: QuarantineDependencies & { readonly metrics: HandlerMetrics },
): (event: SQSEvent, context?: Context) => Promise<SQSBatchResponse> {
  return createResultsBatchHandler({
    handle: (detail) => quarantineUpload(detail, deps),
    metrics: deps.metrics,
    metricFor: (outcome) => OUTCOME_METRICS[outcome.kind],
    failureMetric: 'QuarantineFailures',
  });
}
