import { z } from 'zod';

import type { EngineVerdict } from '../scan/verdict';
import { describeIssues, InvalidEventError } from './invalid-event-error';
import { decodePercentEncodedKey } from './object-key-encoding';
import type { ObjectRef } from './object-ref';

export const GUARDDUTY_EVENT_SOURCE = 'aws.guardduty';
export const GUARDDUTY_SCAN_RESULT_DETAIL_TYPE = 'GuardDuty Malware Protection Object Scan Result';
/** Engine name of GuardDuty verdicts in tags, status records and results. */
export const GUARDDUTY_ENGINE_NAME = 'guardduty';

export const GUARDDUTY_RESULT_STATUSES = [
  'NO_THREATS_FOUND',
  'THREATS_FOUND',
  'UNSUPPORTED',
  'ACCESS_DENIED',
  'FAILED',
] as const;
export type GuardDutyResultStatus = (typeof GUARDDUTY_RESULT_STATUSES)[number];

/** What an inconclusive GuardDuty result (UNSUPPORTED, ACCESS_DENIED, FAILED) becomes: the env's policy. */
export type InconclusivePolicy = 'ERROR' | 'SUSPICIOUS';

/**
 * The GuardDuty Malware Protection for S3 result event, as documented ("Monitoring S3 object scans with Amazon
 * EventBridge") and seen in samples:
 * `detail: { schemaVersion, scanStatus: COMPLETED|SKIPPED|FAILED, resourceType: 'S3_OBJECT',
 *   s3ObjectDetails: { bucketName, objectKey, eTag, versionId, s3Throttled },
 *   scanResultDetails: { scanResultStatus, threats: [{ name }] | null } }`.
 * Assumptions: `versionId` is absent on unversioned buckets (ours are versioned, an absent one is looked up);
 * `threats` may be null or missing; the object key is encoded like EventBridge S3 keys (decoded with the
 * tolerant `%XX`-only decoder, which is also a no-op on a raw key); unknown extra fields are ignored.
 */
const guardDutyResultSchema = z.object({
  source: z.literal(GUARDDUTY_EVENT_SOURCE),
  'detail-type': z.literal(GUARDDUTY_SCAN_RESULT_DETAIL_TYPE),
  detail: z.object({
    s3ObjectDetails: z.object({
      bucketName: z.string().min(1),
      objectKey: z.string().min(1),
      versionId: z.string().nullish(),
      eTag: z.string().nullish(),
    }),
    scanResultDetails: z.object({
      scanResultStatus: z.enum(GUARDDUTY_RESULT_STATUSES),
      threats: z
        .array(z.object({ name: z.string() }))
        .nullish()
        .transform((threats) => threats ?? []),
    }),
  }),
});

export interface GuardDutyScanResult {
  readonly object: ObjectRef;
  readonly resultStatus: GuardDutyResultStatus;
  /** Threat names, in the order GuardDuty reported them. */
  readonly threats: readonly string[];
}

/** Decodes a GuardDuty Malware Protection Object Scan Result event. */
export function decodeGuardDutyScanResult(event: unknown): GuardDutyScanResult {
  const parsed = guardDutyResultSchema.safeParse(event);
  if (!parsed.success) {
    throw new InvalidEventError(
      `invalid GuardDuty scan result event: ${describeIssues(parsed.error.issues)}`,
    );
  }
  const { s3ObjectDetails: object, scanResultDetails: result } = parsed.data.detail;
  return {
    object: {
      bucket: object.bucketName,
      key: decodePercentEncodedKey(object.objectKey),
      ...(object.versionId ? { versionId: object.versionId } : {}),
      ...(object.eTag ? { eTag: object.eTag } : {}),
      source: GUARDDUTY_EVENT_SOURCE,
    },
    resultStatus: result.scanResultStatus,
    threats: result.threats.map((threat) => threat.name),
  };
}

/**
 * GuardDuty's result as one engine's verdict: THREATS_FOUND → INFECTED (first threat name as signature),
 * NO_THREATS_FOUND → CLEAN, anything else → the env's inconclusive policy (ERROR retries, SUSPICIOUS quarantines).
 */
export function guardDutyVerdict(
  result: GuardDutyScanResult,
  inconclusive: InconclusivePolicy,
): EngineVerdict {
  switch (result.resultStatus) {
    case 'THREATS_FOUND': {
      const [signature] = result.threats;
      return {
        status: 'INFECTED',
        engine: GUARDDUTY_ENGINE_NAME,
        ...(signature !== undefined ? { signature } : {}),
        reason: `GuardDuty found ${result.threats.length > 0 ? result.threats.join(', ') : 'a threat'}`,
        bytesScanned: 0,
      };
    }
    case 'NO_THREATS_FOUND':
      return { status: 'CLEAN', engine: GUARDDUTY_ENGINE_NAME, bytesScanned: 0 };
    case 'UNSUPPORTED':
    case 'ACCESS_DENIED':
    case 'FAILED':
      return {
        status: inconclusive,
        engine: GUARDDUTY_ENGINE_NAME,
        reason: `GuardDuty scan inconclusive: ${result.resultStatus}`,
        bytesScanned: 0,
      };
  }
}
