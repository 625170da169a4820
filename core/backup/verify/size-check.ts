import { failed, passed, type CheckResult } from './verification-report';

/** How many earlier backups the size is compared against. */
export const SIZE_HISTORY = 7;

/** Median of a non-empty list. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** The sizes of a backup the size check looks at. */
export interface BackupSize {
  /** The object's real size (HeadObject Content-Length). */
  readonly storedBytes: number;
  /** The `original-size` metadata, when present. */
  readonly declaredBytes?: number;
  /** Client-side encrypted: the stored size is the envelope's, larger than `original-size` by design. */
  readonly encrypted: boolean;
}

/**
 * Size plausibility of the object as stored (its Content-Length, never only what the metadata claims): an
 * unencrypted object must be as large as its `original-size` metadata says (both are named when they differ), at
 * least `minBytes`, and not more than `maxDropPercent` below the median stored size of the previous (up to
 * SIZE_HISTORY) backups.
 */
export function checkSize(
  size: BackupSize,
  history: readonly number[],
  expectations: { readonly minBytes: number; readonly maxDropPercent: number },
): CheckResult {
  const sizeBytes = size.storedBytes;
  if (!size.encrypted && size.declaredBytes !== undefined && size.declaredBytes !== sizeBytes) {
    return failed(
      'size',
      `the object is ${sizeBytes} bytes (Content-Length), its original-size metadata says ${size.declaredBytes}`,
    );
  }
  if (sizeBytes < expectations.minBytes) {
    return failed('size', `${sizeBytes} bytes is below the minimum of ${expectations.minBytes} bytes`);
  }
  if (history.length === 0) return passed('size', `${sizeBytes} bytes (no earlier backups to compare with)`);
  const typical = median(history);
  const floor = typical * (1 - expectations.maxDropPercent / 100);
  const dropPercent = typical > 0 ? Math.round(((typical - sizeBytes) / typical) * 1000) / 10 : 0;
  const versus = `median of the previous ${history.length}: ${typical} bytes`;
  if (sizeBytes < floor) {
    return failed(
      'size',
      `${sizeBytes} bytes is ${dropPercent}% below the ${versus} (max drop ${expectations.maxDropPercent}%)`,
    );
  }
  return passed('size', `${sizeBytes} bytes (${versus})`);
}
