import { z } from 'zod';

import { SCAN_STATUSES } from '../scan/verdict';
import { describeIssues, InvalidEventError } from './invalid-event-error';
import { RESULTS_EVENT_SOURCE, SCAN_RESULT_DETAIL_TYPE, type ScanResultDetail } from './scan-result-event';

const recordedVerdictSchema = z.object({
  status: z.enum(SCAN_STATUSES),
  engine: z.string().min(1),
  signature: z.string().optional(),
  reason: z.string().optional(),
  detectedType: z.string().optional(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/, 'lower-case hex SHA-256'),
  size: z.number().int().nonnegative(),
  scannedAt: z.string().min(1),
});

const scanResultEventSchema = z.object({
  source: z.literal(RESULTS_EVENT_SOURCE),
  'detail-type': z.literal(SCAN_RESULT_DETAIL_TYPE),
  detail: z.object({
    uploadId: z.string().min(1),
    owner: z.string().min(1),
    bucket: z.string().min(1),
    key: z.string().min(1),
    versionId: z.string().min(1),
    verdict: recordedVerdictSchema,
    formReused: z.literal(true).optional(),
  }),
});

/**
 * Decodes the body of a results-queue message: the EventBridge event the scan handler put on the results bus
 * (`source: stowage.intake`, `detail-type: Stowage Scan Result`, detail `ScanResultDetail`).
 * The key in the detail is already decoded: it is Stowage's own event, no further decoding.
 */
export function decodeScanResultMessage(body: string): ScanResultDetail {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (error) {
    if (!(error instanceof SyntaxError)) throw error;
    throw new InvalidEventError('message body is not JSON', { cause: error });
  }
  const parsed = scanResultEventSchema.safeParse(json);
  if (!parsed.success) {
    throw new InvalidEventError(`invalid scan result event: ${describeIssues(parsed.error.issues)}`);
  }
  const { formReused, ...detail } = parsed.data.detail;
  return formReused ? { ...detail, formReused } : detail;
}
