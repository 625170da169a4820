import { PutEventsCommand, type EventBridgeClient } from '@aws-sdk/client-eventbridge';

import {
  RESULTS_EVENT_SOURCE,
  SCAN_RESULT_DETAIL_TYPE,
  type ScanResultDetail,
} from '../events/scan-result-event';

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

/** Puts one scan result on the results bus; throws ResultPublishError when the entry failed. */
export async function publishScanResult(
  events: EventBridgeClient,
  busName: string,
  detail: ScanResultDetail,
): Promise<void> {
  const response = await events.send(
    new PutEventsCommand({
      Entries: [
        {
          EventBusName: busName,
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
