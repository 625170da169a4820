/**
 * Load test of local mode: 2,000 uploads through the whole local runtime (`startLocalMode`: its own Ceph RGW on a
 * persistent store and clamd, the intake API over HTTP with local JWTs, RGW notifications → queues → scan →
 * quarantine / process) from concurrent clients, as a browser would send them: presign over HTTP, POST the form
 * straight to S3, poll `GET /uploads/{id}` until the status is final.
 *
 * The mix: clean PDFs; PDFs carrying the EICAR test string (→ quarantined, INFECTED); PNG-declared uploads whose
 * bytes are a PDF (→ quarantined, SUSPICIOUS); clean PDFs whose object-created event is delivered three times
 * (the at-least-once delivery SQS and RGW allow: → processed exactly once); and presigned forms used twice
 * ("form reused"): a clean PDF then an EICAR PDF of the same size POSTed one after the other (→ the first decides:
 * processed; the second quarantined as form-reused), or both POSTed at the same moment (→ whichever RGW stored first
 * decides; the other is quarantined as form-reused).
 *
 * Checks, failing the run (exit 1) when any does not hold: every upload reaches its expected final status (0 lost),
 * each processed or quarantined upload exists exactly once with exactly one version and every POSTed version in
 * exactly one final place (0 duplicated), the status record's status, verdict, SHA-256 and bound version match what
 * is stored (0 mismatches, test/integration/upload-audit.ts), the uploads prefix is empty, and no queue dead-lettered
 * anything.
 *
 *   npx tsx bench/local-load.ts [--uploads 2000] [--clients 16]
 *
 * Writes bench/results/local-load.json. This file is the run itself (start local mode, warm up, drive the clients,
 * check, report); the workload, the upload client, the checks and the report are in bench/support/local-load/.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { S3Client } from '@aws-sdk/client-s3';

import { createS3Client } from '../core/aws/s3-client';
import { startLocalMode, type LocalMode } from '../local/runtime/local-mode';
import {
  deadLetters,
  duplicates,
  leftovers,
  settle,
  statusMismatches,
  unexpectedOutcomes,
} from './support/local-load/checks';
import { loadReport } from './support/local-load/report';
import { runUpload } from './support/local-load/upload-client';
import { planUploads, USERS, type Upload } from './support/local-load/workload';
import { argument, round } from './support/random-stream';

async function main(): Promise<void> {
  const total = argument('uploads', 2000);
  const clients = argument('clients', 16);
  const dataDir = mkdtempSync(join(tmpdir(), 'stowage-bench-load-'));
  let local: LocalMode | undefined;
  let s3: S3Client | undefined;
  try {
    const startedAt = performance.now();
    local = await startLocalMode({
      dataDir,
      port: 0,
      verifyAtStart: false,
      preflight: false,
      logLevel: (process.env.STOWAGE_BENCH_LOG_LEVEL as 'ERROR' | undefined) ?? 'ERROR',
      out: () => undefined,
      err: (line) => console.error(`local mode: ${line}`),
    });
    const startMs = performance.now() - startedAt;
    // Interrupted (Ctrl-C, a timeout): stop the servers local mode started, which outlive this process otherwise.
    const running = local;
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.once(signal, () => {
        void running.stop().finally(() => {
          rmSync(dataDir, { recursive: true, force: true });
          process.exit(130);
        });
      });
    }
    console.log(`local mode ready in ${round(startMs)} ms at ${local.apiUrl}`);
    s3 = createS3Client(local.s3);
    const tokens = new Map<string, string>();
    for (let u = 0; u < USERS; u++)
      tokens.set(`load-user-${u}`, await local.mintToken(`load-user-${u}`, 3600));

    // Warm-up outside the measurement: the first writes to each bucket create RGW pools.
    const warmUp = Array.from({ length: 4 }, (_, index): Upload => ({
      index,
      kind: 'clean',
      user: 'load-user-0',
    }));
    await Promise.all(warmUp.map((upload) => runUpload(local!, tokens, upload)));

    const uploads = planUploads(total);
    let next = 0;
    const runStarted = performance.now();
    await Promise.all(
      Array.from({ length: clients }, async () => {
        while (next < uploads.length) {
          const upload = uploads[next++]!;
          await runUpload(local!, tokens, upload);
        }
      }),
    );
    const wallMs = performance.now() - runStarted;
    // A reused form's later version may still be on its way to quarantine after the owner saw the final status.
    await settle(s3, local);

    const problems = [
      ...unexpectedOutcomes(uploads),
      ...(await duplicates(s3, local, uploads)),
      ...(await leftovers(s3, local)),
      ...deadLetters(local),
    ];
    const mismatches = await statusMismatches(s3, local, uploads);
    problems.push(...mismatches);
    const report = loadReport(uploads, {
      total,
      clients,
      startMs,
      wallMs,
      mismatches: mismatches.length,
      problems,
    });
    mkdirSync(join(__dirname, 'results'), { recursive: true });
    writeFileSync(join(__dirname, 'results', 'local-load.json'), `${JSON.stringify(report, null, 2)}\n`);
    console.log(JSON.stringify(report, null, 2));
    if (problems.length > 0) {
      console.error(`FAILED: ${problems.length} problem(s), first: ${problems[0]}`);
      process.exitCode = 1;
    }
  } finally {
    s3?.destroy();
    await local?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
