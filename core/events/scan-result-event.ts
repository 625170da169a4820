import type { ScanStatus } from '../scan/verdict';
import type { RecordedVerdict } from '../status/upload-status';

/** EventBridge `source` of every event Stowage publishes on its results bus. */
export const RESULTS_EVENT_SOURCE = 'stowage.intake';
/** EventBridge `detail-type` of a scan verdict. */
export const SCAN_RESULT_DETAIL_TYPE = 'Stowage Scan Result';

/**
 * `detail` of a scan verdict on the results bus: what other teams subscribe to, and what the quarantine
 * (INFECTED, SUSPICIOUS) and process (CLEAN) handlers consume. Rules match on `verdict.status`.
 */
export interface ScanResultDetail {
  readonly uploadId: string;
  readonly owner: string;
  readonly bucket: string;
  /** The decoded object key. */
  readonly key: string;
  /** The scanned version; always set (looked up with HeadObject when the event lacks it). */
  readonly versionId: string;
  readonly verdict: RecordedVerdict;
  /**
   * Set when this version is a LATER version under the upload's key (its presigned form was used again): it is
   * quarantined as `form-reused` whatever its verdict and never changes the upload's status record
   * (core/intake/upload-versions.ts). Its verdict is never CLEAN.
   */
  readonly formReused?: true;
}

/**
 * Which consumer takes which verdict (`detail.verdict.status`): the Intake stack's results-bus rules and local
 * mode's in-process bus both route from this one table. ERROR matches no rule (the scan core never publishes it).
 */
export const VERDICT_ROUTES: Readonly<Record<ScanStatus, 'quarantine' | 'process' | undefined>> = {
  INFECTED: 'quarantine',
  SUSPICIOUS: 'quarantine',
  CLEAN: 'process',
  ERROR: undefined,
};

/** The verdicts routed to `consumer`, for event patterns. */
export function verdictsRoutedTo(consumer: 'quarantine' | 'process'): ScanStatus[] {
  return (Object.keys(VERDICT_ROUTES) as ScanStatus[]).filter(
    (status) => VERDICT_ROUTES[status] === consumer,
  );
}
