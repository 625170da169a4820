/**
 * End-to-end intake latency on real servers: presign → browser-style POST to Ceph RGW → RGW notification → scan
 * (built-in engine + clamd) → process → final status seen through `GET /uploads/{id}`, for clean WAV files of
 * 1 KiB, 1 MiB and 10 MiB. Starts its own RGW and clamd (local/servers) in a temporary directory.
 *
 *   npx tsx bench/intake-latency.ts [--uploads N]     (default 30 per size; run one at a time, then 3 at a time)
 *
 * Writes bench/results/intake-latency.json.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';

import { Logger } from '@aws-lambda-powertools/logger';

import type { UploadStatusView } from '../lambda/intake-api/get-upload-status';
import type { PresignedUpload } from '../lambda/intake-api/presign-upload';
import { createS3Client } from '../core/aws/s3-client';
import { MemoryStatusStore } from '../core/status/memory-status-store';
import { ensureIntakeBuckets } from '../local/runtime/intake-buckets';
import { createLocalIntake, type LocalIntake } from '../local/runtime/local-intake';
import { startClamd } from '../local/servers/clamd';
import { startRgw } from '../local/servers/rgw';
import { argument, MiB, round } from './support/random-stream';
import { wavFile } from './support/wav-file';

const SIZES = [
  { label: '1KiB', bytes: 1024 },
  { label: '1MiB', bytes: MiB },
  { label: '10MiB', bytes: 10 * MiB },
] as const;
const USER = 'bench-user';
const POLL_MS = 2;
/** Uploads in flight at once: one (latency of the path itself), then three (on 2 cores shared with RGW and clamd). */
const CONCURRENCY_LEVELS = [1, 3];
const TIMEOUT_MS = 60_000;

async function main(): Promise<void> {
  const uploads = argument('uploads', 30);
  const dataDir = mkdtempSync(join(tmpdir(), 'stowage-bench-intake-'));
  const [rgw, clamd] = await Promise.all([
    startRgw({ dataDir: join(dataDir, 'rgw'), detached: false }),
    startClamd({ dataDir: join(dataDir, 'clamd'), detached: false }),
  ]);
  const credentials = { accessKeyId: rgw.accessKey, secretAccessKey: rgw.secretKey };
  const s3 = createS3Client({ endpoint: rgw.endpoint, region: rgw.region, credentials });
  const keyId = rgw.kmsKeyIds[0]!;
  const buckets = { uploads: 'bench-uploads', processed: 'bench-processed', quarantine: 'bench-quarantine' };
  let intake: LocalIntake | undefined;
  try {
    await ensureIntakeBuckets(s3, buckets, { uploads: keyId, processed: keyId, quarantine: keyId });
    intake = await createLocalIntake({
      s3Endpoint: rgw.endpoint,
      region: rgw.region,
      credentials,
      buckets,
      kmsKeyIds: { uploads: keyId, processed: keyId, quarantine: keyId },
      clamd: { host: clamd.host, port: clamd.port },
      statusStore: new MemoryStatusStore(),
      allowedContentTypes: ['audio/wav'],
      maxUploadBytes: 16 * MiB,
      logger: new Logger({ serviceName: 'stowage-bench', logLevel: 'ERROR' }),
    });
    const run = intake;
    // Warm-up: first requests to new buckets create RGW pools and open connections.
    await Promise.all([1024, MiB].map((bytes) => uploadOnce(run, wavFile(bytes))));

    const results: Record<
      string,
      Record<string, { uploads: number; p50Ms: number; p95Ms: number; maxMs: number }>
    > = {};
    for (const concurrency of CONCURRENCY_LEVELS) {
      const level = (results[`concurrency${concurrency}`] = {} as (typeof results)[string]);
      for (const size of SIZES) {
        const files = Array.from({ length: uploads }, () => wavFile(size.bytes));
        const latencies: number[] = [];
        let next = 0;
        await Promise.all(
          Array.from({ length: concurrency }, async () => {
            while (next < files.length) {
              const file = files[next++]!;
              latencies.push(await uploadOnce(run, file));
            }
          }),
        );
        latencies.sort((a, b) => a - b);
        level[size.label] = {
          uploads,
          p50Ms: round(percentile(latencies, 0.5)),
          p95Ms: round(percentile(latencies, 0.95)),
          maxMs: round(latencies[latencies.length - 1]!),
        };
        console.log(
          `${concurrency} at a time, ${size.label}: p50 ${level[size.label]!.p50Ms} ms, p95 ${level[size.label]!.p95Ms} ms`,
        );
      }
    }
    const report = {
      what: 'presign → POST → RGW notification → scan (builtin+clamav) → process → final status, clean WAV',
      concurrencyLevels: CONCURRENCY_LEVELS,
      node: process.version,
      cpus: cpus().length,
      results,
      targetP50MsUpTo1MiB: 150,
      measuredAt: new Date().toISOString(),
    };
    mkdirSync(join(__dirname, 'results'), { recursive: true });
    writeFileSync(join(__dirname, 'results', 'intake-latency.json'), `${JSON.stringify(report, null, 2)}\n`);
    console.log(JSON.stringify(report, null, 2));
  } finally {
    await intake?.stop();
    s3.destroy();
    await Promise.all([rgw.stop(), clamd.stop()]);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** One upload, from presign to the final status; returns the milliseconds it took. Throws unless processed. */
async function uploadOnce(intake: LocalIntake, file: Buffer): Promise<number> {
  const started = performance.now();
  const presign = await intake.api({
    method: 'POST',
    path: '/uploads',
    userId: USER,
    body: JSON.stringify({ fileName: 'take.wav', contentType: 'audio/wav', size: file.length }),
  });
  if (presign.statusCode !== 201) throw new Error(`presign answered ${presign.statusCode}: ${presign.body}`);
  const { uploadId, url, fields } = JSON.parse(presign.body) as PresignedUpload;
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  form.append('file', new Blob([file]), 'take.wav');
  const posted = await fetch(url, { method: 'POST', body: form });
  if (posted.status !== 204) throw new Error(`POST answered ${posted.status}: ${await posted.text()}`);
  const deadline = started + TIMEOUT_MS;
  for (;;) {
    const response = await intake.api({ method: 'GET', path: `/uploads/${uploadId}`, userId: USER });
    const view = JSON.parse(response.body) as UploadStatusView;
    if (view.status === 'processed') return performance.now() - started;
    if (view.status === 'quarantined' || view.status === 'error') {
      throw new Error(`upload ${uploadId} ended ${view.status}: ${view.reason ?? ''}`);
    }
    if (performance.now() > deadline)
      throw new Error(`upload ${uploadId} not processed within ${TIMEOUT_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
