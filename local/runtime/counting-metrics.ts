import type { HandlerMetrics } from '../../lambda/runtime/batch-metrics';

/**
 * HandlerMetrics for local mode: counts every Count metric a handler adds, by name, instead of emitting EMF.
 * Local mode shows them; tests assert on them (one `Processed`, no `ProcessFailures`, …).
 */
export class CountingMetrics implements HandlerMetrics {
  private readonly counts = new Map<string, number>();

  addMetric(name: string, _unit: unknown, value: number): void {
    this.counts.set(name, (this.counts.get(name) ?? 0) + value);
  }

  publishStoredMetrics(): void {
    // Nothing to flush: counts stay readable through `count` and `snapshot`.
  }

  /** The total of one metric (0 when never added). */
  count(name: string): number {
    return this.counts.get(name) ?? 0;
  }

  /** Every metric counted so far. */
  snapshot(): Readonly<Record<string, number>> {
    return Object.fromEntries(this.counts);
  }
}
