import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';

import type { HandlerMetrics } from './batch-metrics';

/**
 * An SQS-triggered handler with partial batch responses: every record goes through `recordHandler` (in parallel),
 * a record that throws is reported in `batchItemFailures` so only it is retried, and a whole batch that fails is
 * reported the same way rather than thrown. Metrics are flushed after every batch, whatever happened.
 */
export function sqsBatchHandler(
  recordHandler: (record: SQSRecord) => Promise<void>,
  metrics: HandlerMetrics,
): (event: SQSEvent, context?: Context) => Promise<SQSBatchResponse> {
  const processor = new BatchProcessor(EventType.SQS);
  return async (event, context) => {
    try {
      return await processPartialResponse(event, recordHandler, processor, {
        ...(context ? { context } : {}),
        throwOnFullBatchFailure: false,
      });
    } finally {
      metrics.publishStoredMetrics();
    }
  };
}
