import {
  RESULTS_EVENT_SOURCE,
  SCAN_RESULT_DETAIL_TYPE,
  VERDICT_ROUTES,
  type ScanResultDetail,
} from '../../core/events/scan-result-event';
import type { ResultsPublisher } from '../../core/events/results-publisher';
import { toEventBridgeEvent } from './eventbridge-envelope';

/** A queue a result can be sent to (LocalQueue). */
export interface ResultsTarget {
  send(body: string): unknown;
}

export interface LocalResultsPublisherProps {
  readonly quarantine: ResultsTarget;
  readonly process: ResultsTarget;
  /** Clock for the envelope's `time`. Default: the system clock. */
  readonly now?: () => Date;
}

/**
 * The results bus of local mode: routes each verdict like the Intake stack's EventBridge rules (INFECTED and
 * SUSPICIOUS → quarantine queue, CLEAN → process queue) and sends the same EventBridge event envelope the AWS
 * queues receive, so the quarantine and process handlers decode exactly what they decode on AWS. A verdict no
 * rule matches (ERROR, never published by the scan core) is dropped, as EventBridge drops it.
 */
export class LocalResultsPublisher implements ResultsPublisher {
  constructor(private readonly props: LocalResultsPublisherProps) {}

  async publish(detail: ScanResultDetail): Promise<void> {
    const route = VERDICT_ROUTES[detail.verdict.status];
    if (route === undefined) return;
    const event = toEventBridgeEvent(
      RESULTS_EVENT_SOURCE,
      SCAN_RESULT_DETAIL_TYPE,
      detail,
      this.props.now?.() ?? new Date(),
    );
    this.props[route].send(JSON.stringify(event));
  }
}
