import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';

import type { HandlerMetrics } from './batch-metrics';
import { withDeadLetterReason, type DeadLetterReasonOptions } from './dead-letter-reason';

/**
 * An SQS-triggered handler with partial batch responses: every record goes through `recordHandler` (in parallel),
 * a record that throws is reported in `batchItemFailures` so only it is retried, and a whole batch that fails is
 * reported the same way rather than thrown. Metrics are flushed after every batch, whatever happened. With
 * `deadLetter`, a record's last failing delivery also records why its uploads reached the DLQ (dead-letter-reason.ts).
 */
export function sqsBatchHandler(
  handleRecord: (record: SQSRecord) => Promise<void>,
  metrics: HandlerMetrics,
  options: { readonly deadLetter?: DeadLetterReasonOptions } = {},
): (event: SQSEvent, context?: Context) => Promise<SQSBatchResponse> {
  const processor = new BatchProcessor(EventType.SQS);
  const recordHandler = options.deadLetter
    ? withDeadLetterReason(handleRecord, options.deadLetter)
    : handleRecord;
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
