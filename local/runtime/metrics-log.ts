import { appendFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';

import { METRICS_NAMESPACE } from '../../core/contracts/metrics';

/** Entries kept in memory; the file keeps them all. */
export const MAX_KEPT_ENTRIES = 1000;

/** One published group of metrics: a line of the metrics log. */
export interface MetricsLogEntry {
  /** ISO 8601. */
  readonly time: string;
  readonly namespace: string;
  readonly service: string;
  readonly dimensions: Readonly<Record<string, string>>;
  readonly metrics: Readonly<Record<string, { readonly unit: string; readonly value: number }>>;
}

export interface MetricsLogOptions {
  /** JSON Lines file the entries are appended to; its directory is created. Required. */
  readonly file: string;
  /** CloudWatch namespace the handler would publish in. Default METRICS_NAMESPACE (core/contracts/metrics.ts). */
  readonly namespace?: string;
  /** Powertools `service` dimension. Required. */
  readonly service: string;
  /** Dimensions of every entry (e.g. `env`). Default: none. */
  readonly defaultDimensions?: Readonly<Record<string, string>>;
  /** Clock. Default: the system clock. */
  readonly now?: () => Date;
}

/**
 * The local sink for handler metrics (the part of Powertools Metrics the handlers use): what Lambda would send to
 * CloudWatch as EMF is appended to a JSON Lines file instead, one line per `publishStoredMetrics`, and the entries
 * stay readable through `entries`. Dimensions added with `addDimension` apply to the next publish only, as in
 * Powertools.
 */
export class MetricsLog {
  private readonly namespace: string;
  private readonly now: () => Date;
  private dimensions: Record<string, string> = {};
  private stored: Record<string, { unit: string; value: number }> = {};
  private readonly published: MetricsLogEntry[] = [];

  constructor(private readonly options: MetricsLogOptions) {
    this.namespace = options.namespace ?? METRICS_NAMESPACE;
    this.now = options.now ?? (() => new Date());
    mkdirSync(path.dirname(options.file), { recursive: true });
  }

  addDimension(name: string, value: string): void {
    this.dimensions[name] = value;
  }

  addMetric(name: string, unit: string, value: number): void {
    const current = this.stored[name];
    this.stored[name] = { unit, value: current ? current.value + value : value };
  }

  publishStoredMetrics(): void {
    if (Object.keys(this.stored).length === 0) {
      this.dimensions = {};
      return;
    }
    const entry: MetricsLogEntry = {
      time: this.now().toISOString(),
      namespace: this.namespace,
      service: this.options.service,
      dimensions: { ...this.options.defaultDimensions, ...this.dimensions },
      metrics: this.stored,
    };
    this.stored = {};
    this.dimensions = {};
    appendFileSync(this.options.file, `${JSON.stringify(entry)}\n`);
    this.published.push(entry);
    if (this.published.length > MAX_KEPT_ENTRIES) this.published.shift();
  }

  /**
   * A log into the same file for another `service`, with the same namespace, dimensions and clock: what a second
   * handler publishes (its Powertools service name, core/contracts/metrics.ts HANDLER_SERVICES).
   */
  forService(service: string): MetricsLog {
    return new MetricsLog({ ...this.options, service });
  }

  /** The entries published by this instance (the latest MAX_KEPT_ENTRIES), oldest first. */
  get entries(): readonly MetricsLogEntry[] {
    return this.published;
  }
}
