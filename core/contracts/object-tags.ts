import type { Tag } from '@aws-sdk/client-s3';

import type { ScanStatus } from '../scan/verdict';

/** The four contract tags (docs/architecture.md "Object tags"); S3 allows ten, Stowage keeps to these. */
export const TAG_KEYS = {
  status: 'scan-status',
  engine: 'scan-engine',
  signature: 'scan-signature',
  scannedAt: 'scanned-at',
} as const;

/**
 * The `scan-status` value that makes an upload readable: the uploads bucket policy denies reads of every other object
 * to all but the pipeline (lib/stacks/storage-stack.ts).
 */
export const READABLE_SCAN_STATUS: ScanStatus = 'CLEAN';

/** Final statuses: a version tagged with one of these has a verdict that a re-run re-uses. ERROR is not final. */
export const FINAL_SCAN_STATUSES: ReadonlySet<string> = new Set<ScanStatus>([
  'CLEAN',
  'INFECTED',
  'SUSPICIOUS',
]);

export interface TagVerdict {
  readonly status: ScanStatus;
  readonly engine: string;
  readonly signature?: string;
  readonly scannedAt: string;
}

const MAX_TAG_VALUE = 256;

/**
 * S3 tag values allow letters, digits, spaces and `+ - = . _ : / @` (up to 256 characters). Signature names from
 * ClamAV or GuardDuty may contain others (`EICAR-Test-File (not a virus)`): those become `_`.
 */
export function sanitizeTagValue(value: string): string {
  return value.replace(/[^\p{L}\p{N} +\-=._:/@]/gu, '_').slice(0, MAX_TAG_VALUE);
}

/** The contract tags for a verdict: exactly `scan-status`, `scan-engine`, `scan-signature` when present, `scanned-at`. */
export function verdictTags(verdict: TagVerdict): Tag[] {
  return [
    { Key: TAG_KEYS.status, Value: verdict.status },
    { Key: TAG_KEYS.engine, Value: sanitizeTagValue(verdict.engine) },
    ...(verdict.signature !== undefined
      ? [{ Key: TAG_KEYS.signature, Value: sanitizeTagValue(verdict.signature) }]
      : []),
    { Key: TAG_KEYS.scannedAt, Value: verdict.scannedAt },
  ];
}
