import { failed, passed, type CheckResult } from './verification-report';

/** How many earlier backups the size is compared against. */
export const SIZE_HISTORY = 7;

/** Median of a non-empty list. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/**
 * Size plausibility: at least `minBytes`, and not more than `maxDropPercent` below the median of the previous
 * (up to SIZE_HISTORY) backups. Sizes are original sizes (before client-side encryption).
 */
export function checkSize(
  sizeBytes: number,
  history: readonly number[],
  expectations: { readonly minBytes: number; readonly maxDropPercent: number },
): CheckResult {
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
