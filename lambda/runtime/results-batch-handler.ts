import { KeyedSerializer } from '../../core/intake/keyed-serializer';
import { sqsBatchHandler } from './sqs-batch-handler';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';

import { decodeScanResultMessage } from '../../core/events/scan-result-message';
import type { ScanResultDetail } from '../../core/events/scan-result-event';
import type { HandlerMetrics } from './batch-metrics';
import type { DeadLetterPolicy } from './dead-letter-reason';
import type { StatusStore } from '../../core/status/upload-status';

/**
 * An SQS batch handler for results-bus events (quarantine, process): each record's body is one EventBridge event
 * (`Stowage Scan Result`), decoded and passed to `handle`; failures are reported per record. `metricFor` names the
 * Count metric of each outcome; `failureMetric` counts failed records. With `deadLetter`, a record's last failing
 * delivery gives its upload the reason `dead-lettered after N attempts: <failure>` (dead-letter-reason.ts).
 */
export function createResultsBatchHandler<Outcome>(options: {
  readonly handle: (detail: ScanResultDetail) => Promise<Outcome>;
  readonly metrics: HandlerMetrics;
  readonly metricFor: (outcome: Outcome) => string;
  readonly failureMetric: string;
  readonly deadLetter?: {
    readonly policy: DeadLetterPolicy;
    readonly statusStore: StatusStore;
    /** The failure in words for the owner, e.g. `moving the file to processed failed`. */
    readonly failure: string;
  };
}): (event: SQSEvent, context?: Context) => Promise<SQSBatchResponse> {
  const { metrics } = options;
  // Two results for one upload in one batch run in turn: the second finds the move done and copies nothing.
  const perUpload = new KeyedSerializer();

  const recordHandler = async (record: SQSRecord): Promise<void> => {
    try {
      const detail = decodeScanResultMessage(record.body);
      const outcome = await perUpload.run(detail.uploadId, () => options.handle(detail));
      metrics.addMetric(options.metricFor(outcome), MetricUnit.Count, 1);
    } catch (error) {
      metrics.addMetric(options.failureMetric, MetricUnit.Count, 1);
      throw error;
    }
  };

  const { deadLetter } = options;
  return sqsBatchHandler(recordHandler, metrics, {
    ...(deadLetter
      ? {
          deadLetter: {
            policy: deadLetter.policy,
            statusStore: deadLetter.statusStore,
            uploadIdsOf: (record) => [decodeScanResultMessage(record.body).uploadId],
            describeFailure: () => deadLetter.failure,
          },
        }
      : {}),
  });
}
