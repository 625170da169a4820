import { PutEventsCommand, type EventBridgeClient } from '@aws-sdk/client-eventbridge';

import {
  RESULTS_EVENT_SOURCE,
  SCAN_RESULT_DETAIL_TYPE,
  type ScanResultDetail,
} from '../../core/events/scan-result-event';
import type { ResultsPublisher } from '../../core/events/results-publisher';

/** PutEvents accepted the request but not the entry (throttled entry, internal failure): the record is retried. */
export class ResultPublishError extends Error {
  constructor(
    readonly errorCode: string | undefined,
    errorMessage: string | undefined,
  ) {
    super(`results bus refused the scan result: ${errorCode ?? 'unknown'} ${errorMessage ?? ''}`.trim());
    this.name = 'ResultPublishError';
  }
}

export interface EventBridgeResultsPublisherProps {
  /** The EventBridge client (created once per cold start). */
  readonly client: EventBridgeClient;
  /** Name or ARN of the results bus. */
  readonly busName: string;
}

/** Puts each scan result on the results bus (`stowage.intake` / `Stowage Scan Result`), one entry per call. */
export class EventBridgeResultsPublisher implements ResultsPublisher {
  constructor(private readonly props: EventBridgeResultsPublisherProps) {}

  /** Throws ResultPublishError when PutEvents reports the entry as failed. */
  async publish(detail: ScanResultDetail): Promise<void> {
    const response = await this.props.client.send(
      new PutEventsCommand({
        Entries: [
          {
            EventBusName: this.props.busName,
            Source: RESULTS_EVENT_SOURCE,
            DetailType: SCAN_RESULT_DETAIL_TYPE,
            Detail: JSON.stringify(detail),
          },
        ],
      }),
    );
    if ((response.FailedEntryCount ?? 0) > 0) {
      const failed = response.Entries?.find((entry) => entry.ErrorCode !== undefined);
      throw new ResultPublishError(failed?.ErrorCode, failed?.ErrorMessage);
    }
  }
}
