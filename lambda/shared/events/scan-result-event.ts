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
}
