import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';

import { decodeIntakeMessage } from '../../core/events/intake-message';
import type { HandlerMetrics } from '../runtime/batch-metrics';
import { KeyedSerializer } from '../../core/intake/keyed-serializer';
import { sqsBatchHandler } from '../runtime/sqs-batch-handler';
import type { DeadLetterPolicy } from '../runtime/dead-letter-reason';
import { scanObject, ScanIncompleteError, type ScanDependencies } from '../../core/intake/scan-object';
import { parseUploadKey } from '../../core/contracts/upload-key';

const OUTCOME_METRICS = {
  republished: 'ScanRepublished',
  'form-reused': 'ScanFormReused',
  rejected: 'ScanRejected',
  gone: 'ScanObjectGone',
  ignored: 'ScanIgnored',
} as const;

/**
 * The scan handler for an SQS batch of intake messages: every record is handled (in parallel) and failures are
 * reported per record (`batchItemFailures`), so only the failed ones are retried. A record fails when its message
 * is invalid, a scan could not complete (ERROR verdict), or anything unexpected happened (throttling, KMS
 * AccessDenied, PutEvents entry failure); it is acknowledged otherwise, including objects already gone or rejected.
 * With `deadLetter` (the intake queue's maxReceiveCount), a record's last failing delivery gives its uploads the
 * reason `dead-lettered after N attempts: …` instead of "retrying".
 */
export function createScanHandler(
  deps: ScanDependencies & { readonly metrics: HandlerMetrics; readonly deadLetter?: DeadLetterPolicy },
): (event: SQSEvent, context?: Context) => Promise<SQSBatchResponse> {
  const { metrics } = deps;
  // Two deliveries of one object in one batch run in turn: the second finds the first's verdict.
  const perObject = new KeyedSerializer();

  const recordHandler = async (record: SQSRecord): Promise<void> => {
    const triggers = decodeIntakeMessage(record.body);
    for (const trigger of triggers) {
      try {
        const { bucket, key } = trigger.object;
        const outcomes = await perObject.run(`${bucket}/${key}`, () => scanObject(trigger, deps));
        for (const outcome of outcomes) {
          metrics.addMetric(
            outcome.kind === 'published' ? `Scan${outcome.status}` : OUTCOME_METRICS[outcome.kind],
            MetricUnit.Count,
            1,
          );
        }
      } catch (error) {
        metrics.addMetric('ScanFailures', MetricUnit.Count, 1);
        throw error;
      }
    }
  };

  return sqsBatchHandler(recordHandler, metrics, {
    ...(deps.deadLetter
      ? {
          deadLetter: {
            policy: deps.deadLetter,
            statusStore: deps.statusStore,
            uploadIdsOf: (record) =>
              decodeIntakeMessage(record.body).flatMap((trigger) => {
                const upload = parseUploadKey(trigger.object.key);
                return upload ? [upload.uploadId] : [];
              }),
            describeFailure: (error) =>
              error instanceof ScanIncompleteError ? 'scan could not complete' : 'scanning failed',
            onRecordFailure: (uploadId, error) =>
              deps.logger.error('could not record the dead-letter reason', {
                uploadId,
                error: error as Error,
              }),
          },
        }
      : {}),
  });
}
