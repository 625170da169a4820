/**
 * The load test's report (bench/results/local-load.json): the run's settings, throughput, latency percentiles
 * overall and per kind, how many uploads of each kind reached their expected final status, and the problems found.
 */
import { cpus } from 'node:os';

import { round } from '../random-stream';
import { EXTRA_DELIVERIES } from './upload-client';
import { EXPECTED, MIX, POSTS, reachedExpected, type Upload } from './workload';

/** What the run measured besides the uploads themselves. */
export interface LoadRun {
  /** Uploads planned (--uploads). */
  readonly total: number;
  /** Concurrent clients (--clients). */
  readonly clients: number;
  /** Start of local mode, in ms. */
  readonly startMs: number;
  /** Wall time of the measured uploads, in ms. */
  readonly wallMs: number;
  /** Uploads whose status record disagrees with storage. */
  readonly mismatches: number;
  /** Every problem the checks found. */
  readonly problems: readonly string[];
}

/** The report written to bench/results/local-load.json, keys in the order of earlier results. */
export function loadReport(uploads: readonly Upload[], run: LoadRun) {
  const latencies = uploads
    .map((u) => u.latencyMs)
    .filter((ms): ms is number => ms !== undefined)
    .sort((a, b) => a - b);
  const byKind = Object.fromEntries(
    MIX.map(([kind]) => {
      const ofKind = uploads.filter((u) => u.kind === kind);
      const ms = ofKind
        .map((u) => u.latencyMs)
        .filter((v): v is number => v !== undefined)
        .sort((a, b) => a - b);
      return [
        kind,
        {
          uploads: ofKind.length,
          expected: EXPECTED[kind].join(' or '),
          reachedExpected: ofKind.filter(reachedExpected).length,
          ...(POSTS[kind] > 1
            ? {
                finals: Object.fromEntries(
                  EXPECTED[kind].map((f) => [f, ofKind.filter((u) => u.final === f).length]),
                ),
              }
            : {}),
          p50Ms: round(percentile(ms, 0.5)),
          p95Ms: round(percentile(ms, 0.95)),
        },
      ];
    }),
  );
  return {
    what:
      'uploads through local mode (HTTP API + JWT, presigned POST to Ceph RGW, RGW notifications, scan with the ' +
      'built-in engine and clamd, quarantine / process), latency from presign to the final status seen by polling',
    uploads: run.total,
    clients: run.clients,
    mix: Object.fromEntries(MIX),
    extraDeliveriesPerDuplicateEvent: EXTRA_DELIVERIES,
    node: process.version,
    cpus: cpus().length,
    localModeStartMs: round(run.startMs),
    wallMs: round(run.wallMs),
    uploadsPerSecond: round((run.total / run.wallMs) * 1000),
    latencyMs: {
      p50: round(percentile(latencies, 0.5)),
      p95: round(percentile(latencies, 0.95)),
      p99: round(percentile(latencies, 0.99)),
      max: round(latencies[latencies.length - 1] ?? NaN),
    },
    byKind,
    lost: uploads.filter((u) => u.final === undefined).length,
    statusStorageMismatches: run.mismatches,
    problems: run.problems.slice(0, 50),
    problemCount: run.problems.length,
    measuredAt: new Date().toISOString(),
  };
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!;
}
