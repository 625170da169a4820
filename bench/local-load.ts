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
 * Writes bench/results/local-load.json.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';

import { ListObjectsV2Command, ListObjectVersionsCommand, type S3Client } from '@aws-sdk/client-s3';

import type { UploadStatusView } from '../lambda/intake-api/get-upload-status';
import type { PresignedUpload } from '../lambda/intake-api/presign-upload';
import { createS3Client } from '../core/aws/s3-client';
import { PROCESSED_PREFIX, QUARANTINE_PREFIX, UPLOADS_PREFIX } from '../core/contracts/upload-key';
import type { LocalQueue } from '../local/events/local-queue';
import { FileStatusStore } from '../local/runtime/file-status-store';
import { dataDirPaths } from '../local/runtime/local-data-dir';
import { startLocalMode, type LocalMode } from '../local/runtime/local-mode';
import { auditUpload } from '../test/integration/upload-audit';
import { argument, round } from './support/random-stream';

type Kind = 'clean' | 'eicar' | 'disguised' | 'duplicate-event' | 'form-reused' | 'form-reused-concurrent';
type FinalStatus = 'processed' | 'quarantined' | 'error';

/** Share of each kind in the mix (sums to 1). */
const MIX: readonly (readonly [Kind, number])[] = [
  ['clean', 0.5],
  ['eicar', 0.15],
  ['disguised', 0.15],
  ['duplicate-event', 0.1],
  ['form-reused', 0.05],
  ['form-reused-concurrent', 0.05],
];
/** The final status an upload of each kind may reach (at the same moment, either POST may be stored first). */
const EXPECTED: Record<Kind, readonly FinalStatus[]> = {
  clean: ['processed'],
  eicar: ['quarantined'],
  disguised: ['quarantined'],
  'duplicate-event': ['processed'],
  'form-reused': ['processed'],
  'form-reused-concurrent': ['processed', 'quarantined'],
};
/** How many times the form of an upload of each kind is POSTed. */
const POSTS: Record<Kind, number> = {
  clean: 1,
  eicar: 1,
  disguised: 1,
  'duplicate-event': 1,
  'form-reused': 2,
  'form-reused-concurrent': 2,
};
/** Deliveries of the object-created event for a duplicate-event upload (RGW's own plus these). */
const EXTRA_DELIVERIES = 2;
const EICAR = 'X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*';
const USERS = 8;
const POLL_START_MS = 20;
const POLL_MAX_MS = 250;
const TIMEOUT_MS = 180_000;

interface Upload {
  readonly index: number;
  readonly kind: Kind;
  readonly user: string;
  uploadId?: string;
  key?: string;
  final?: FinalStatus;
  verdict?: string;
  latencyMs?: number;
  failure?: string;
}

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
      ...uploads
        .filter((u) => u.failure !== undefined || !reachedExpected(u))
        .map(
          (u) =>
            `upload ${u.index} (${u.kind}): ${u.failure ?? `ended ${u.final}, expected ${EXPECTED[u.kind].join(' or ')}`}`,
        ),
      ...(await duplicates(s3, local, uploads)),
      ...(await leftovers(s3, local)),
      ...deadLetters(local),
    ];
    const mismatches = await statusMismatches(s3, local, uploads);
    problems.push(...mismatches);
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
    const report = {
      what:
        'uploads through local mode (HTTP API + JWT, presigned POST to Ceph RGW, RGW notifications, scan with the ' +
        'built-in engine and clamd, quarantine / process), latency from presign to the final status seen by polling',
      uploads: total,
      clients,
      mix: Object.fromEntries(MIX),
      extraDeliveriesPerDuplicateEvent: EXTRA_DELIVERIES,
      node: process.version,
      cpus: cpus().length,
      localModeStartMs: round(startMs),
      wallMs: round(wallMs),
      uploadsPerSecond: round((total / wallMs) * 1000),
      latencyMs: {
        p50: round(percentile(latencies, 0.5)),
        p95: round(percentile(latencies, 0.95)),
        p99: round(percentile(latencies, 0.99)),
        max: round(latencies[latencies.length - 1] ?? NaN),
      },
      byKind,
      lost: uploads.filter((u) => u.final === undefined).length,
      statusStorageMismatches: mismatches.length,
      problems: problems.slice(0, 50),
      problemCount: problems.length,
      measuredAt: new Date().toISOString(),
    };
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

/** The mix in a fixed interleaving, so every stretch of the run carries every kind. */
function planUploads(total: number): Upload[] {
  const uploads: Upload[] = [];
  const counts = MIX.map(([kind, share]) => [kind, Math.round(share * total)] as const);
  const remaining = new Map(counts);
  let index = 0;
  while (uploads.length < total) {
    for (const [kind] of counts) {
      const left = remaining.get(kind) ?? 0;
      if (left <= 0 && kind !== 'clean') continue;
      remaining.set(kind, left - 1);
      uploads.push({ index, kind, user: `load-user-${index % USERS}` });
      index += 1;
      if (uploads.length === total) break;
    }
  }
  return uploads;
}

function reachedExpected(upload: Upload): boolean {
  return upload.final !== undefined && EXPECTED[upload.kind].includes(upload.final);
}

/** Presign → POST to S3 (→ extra event deliveries) → poll to the final status. Records, never throws. */
async function runUpload(local: LocalMode, tokens: Map<string, string>, upload: Upload): Promise<void> {
  const started = performance.now();
  try {
    const { body, second, contentType, fileName } = contentFor(upload.kind);
    const token = tokens.get(upload.user)!;
    const presign = await fetch(`${local.apiUrl}/uploads`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ fileName, contentType, size: body.length }),
    });
    if (presign.status !== 201)
      throw new Error(`presign answered ${presign.status}: ${await presign.text()}`);
    const presigned = (await presign.json()) as PresignedUpload;
    upload.uploadId = presigned.uploadId;
    upload.key = presigned.key;
    const post = async (bytes: Buffer): Promise<void> => {
      const form = new FormData();
      for (const [name, value] of Object.entries(presigned.fields)) form.append(name, value);
      form.append('file', new Blob([bytes], { type: contentType }), fileName);
      const posted = await fetch(presigned.url, { method: 'POST', body: form });
      if (posted.status !== 204) throw new Error(`S3 POST answered ${posted.status}: ${await posted.text()}`);
    };
    if (upload.kind === 'form-reused-concurrent') {
      await Promise.all([post(body), post(second!)]);
    } else {
      await post(body);
      if (second) await post(second);
    }
    if (upload.kind === 'duplicate-event') {
      for (let i = 0; i < EXTRA_DELIVERIES; i++) {
        local.intake.queues.intake.send(
          objectCreatedEvent(local.buckets.uploads, presigned.key, body.length),
        );
      }
    }
    let wait = POLL_START_MS;
    for (;;) {
      const response = await fetch(`${local.apiUrl}/uploads/${presigned.uploadId}`, {
        headers: { authorization: `Bearer ${token}` },
      });
      if (response.status !== 200) throw new Error(`status answered ${response.status}`);
      const view = (await response.json()) as UploadStatusView;
      if (view.status === 'processed' || view.status === 'quarantined' || view.status === 'error') {
        upload.final = view.status;
        upload.verdict = view.verdict?.status;
        upload.latencyMs = performance.now() - started;
        if (view.status === 'error') upload.failure = `error: ${view.reason ?? 'no reason'}`;
        return;
      }
      if (performance.now() - started > TIMEOUT_MS)
        throw new Error(`still ${view.status} after ${TIMEOUT_MS} ms`);
      await new Promise((resolve) => setTimeout(resolve, wait));
      wait = Math.min(POLL_MAX_MS, wait * 1.5);
    }
  } catch (error) {
    upload.failure = error instanceof Error ? error.message : String(error);
  }
}

function contentFor(kind: Kind): { body: Buffer; second?: Buffer; contentType: string; fileName: string } {
  const length = 1024 + Math.floor(Math.random() * 31 * 1024);
  const filler = randomBytes(length).toString('base64');
  switch (kind) {
    case 'clean':
    case 'duplicate-event':
      return { body: pdf(filler), contentType: 'application/pdf', fileName: 'report.pdf' };
    case 'form-reused':
    case 'form-reused-concurrent':
      // The form pins the size: a clean PDF with a comment as long as EICAR, then an EICAR PDF of the same size.
      return {
        body: pdf(filler, 'x'.repeat(EICAR.length)),
        second: pdf(randomBytes(length).toString('base64'), EICAR),
        contentType: 'application/pdf',
        fileName: 'form.pdf',
      };
    case 'eicar':
      return { body: pdf(filler, EICAR), contentType: 'application/pdf', fileName: 'invoice.pdf' };
    case 'disguised':
      return { body: pdf(filler), contentType: 'image/png', fileName: 'photo.png' };
  }
}

/** A small well-formed PDF carrying `text` (base64: no PDF string escapes needed) and an optional comment line. */
function pdf(text: string, comment?: string): Buffer {
  const stream = `BT /F1 12 Tf 72 720 Td (${text}) Tj ET`;
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>',
    `<< /Length ${Buffer.byteLength(stream)} >>\nstream\n${stream}\nendstream`,
  ];
  let out = comment === undefined ? '%PDF-1.4\n' : `%PDF-1.4\n%${comment}\n`;
  const offsets: number[] = [];
  objects.forEach((object, i) => {
    offsets.push(Buffer.byteLength(out));
    out += `${i + 1} 0 obj\n${object}\nendobj\n`;
  });
  const xref = Buffer.byteLength(out);
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const offset of offsets) out += `${String(offset).padStart(10, '0')} 00000 n \n`;
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out);
}

/** An object-created notification as RGW pushes it (raw key, empty versionId). */
function objectCreatedEvent(bucket: string, key: string, size: number): string {
  return JSON.stringify({
    Records: [
      {
        eventVersion: '2.2',
        eventSource: 'ceph:s3',
        eventName: 'ObjectCreated:Post',
        eventTime: new Date().toISOString(),
        s3: { s3SchemaVersion: '1.0', bucket: { name: bucket }, object: { key, size, versionId: '' } },
      },
    ],
  });
}

/** Every version under a prefix: key → number of versions (delete markers excluded). */
async function versionCounts(s3: S3Client, bucket: string, prefix: string): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  let keyMarker: string | undefined;
  let versionIdMarker: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectVersionsCommand({
        Bucket: bucket,
        Prefix: prefix,
        KeyMarker: keyMarker,
        VersionIdMarker: versionIdMarker,
      }),
    );
    for (const version of page.Versions ?? []) counts.set(version.Key!, (counts.get(version.Key!) ?? 0) + 1);
    keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
    versionIdMarker = page.IsTruncated ? page.NextVersionIdMarker : undefined;
  } while (keyMarker);
  return counts;
}

/** Each processed / quarantined upload must be there exactly once, as exactly one version. */
async function duplicates(s3: S3Client, local: LocalMode, uploads: readonly Upload[]): Promise<string[]> {
  const problems: string[] = [];
  const processed = await versionCounts(s3, local.buckets.processed, PROCESSED_PREFIX);
  const quarantined = await versionCounts(s3, local.buckets.quarantine, QUARANTINE_PREFIX);
  for (const upload of uploads) {
    if (!upload.uploadId || !upload.final || upload.final === 'error') continue;
    const where = upload.final === 'processed' ? processed : quarantined;
    const keys = [...where.keys()].filter(
      // A reused form's later versions have their own keys under form-reused/ (checked by the audit).
      (key) =>
        key.includes(upload.uploadId!) && !key.endsWith('.manifest.json') && !key.includes('/form-reused/'),
    );
    if (keys.length !== 1) problems.push(`upload ${upload.index}: ${keys.length} objects in ${upload.final}`);
    for (const key of keys) {
      if (where.get(key) !== 1)
        problems.push(`upload ${upload.index}: ${key} has ${where.get(key)} versions`);
    }
  }
  return problems;
}

/** Waits (up to 60 s) until nothing is left under uploads/ and every queue is idle. */
async function settle(s3: S3Client, local: LocalMode): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    await Promise.all(Object.values(local.intake.queues).map((queue: LocalQueue) => queue.idle()));
    const page = await s3.send(
      new ListObjectVersionsCommand({ Bucket: local.buckets.uploads, Prefix: UPLOADS_PREFIX, MaxKeys: 1 }),
    );
    if ((page.Versions ?? []).length === 0 || Date.now() > deadline) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Each upload's status record against storage (auditUpload): nothing left in uploads, every POSTed version in exactly
 * one final place, processed/<id> only the bound version's bytes, and status, verdict, SHA-256 and bound version the
 * same in the record as in the bucket. Records are read from local mode's own status store (its data directory).
 */
async function statusMismatches(
  s3: S3Client,
  local: LocalMode,
  uploads: readonly Upload[],
): Promise<string[]> {
  const store = new FileStatusStore({ dir: dataDirPaths(local.dataDir).status });
  const problems: string[] = [];
  for (const upload of uploads) {
    if (!upload.uploadId) continue;
    const record = await store.get(upload.uploadId);
    if (!record) {
      problems.push(`upload ${upload.index}: no status record`);
      continue;
    }
    const audit = await auditUpload(s3, local.buckets, {
      uploadId: record.uploadId,
      uploadKey: record.uploadKey,
      status: record.status,
      ...(record.verdict
        ? { verdictStatus: record.verdict.status, verdictSha256: record.verdict.sha256 }
        : {}),
      ...(record.manifest ? { manifestSha256: record.manifest.sha256 } : {}),
      ...(record.processedKey ? { processedKey: record.processedKey } : {}),
      ...(record.quarantineKey ? { quarantineKey: record.quarantineKey } : {}),
      ...(record.sourceVersionId ? { sourceVersionId: record.sourceVersionId } : {}),
    });
    if (audit.versionsPlaced !== POSTS[upload.kind]) {
      audit.problems.push(`${audit.versionsPlaced} version(s) placed, ${POSTS[upload.kind]} POSTed`);
    }
    problems.push(...audit.problems.map((problem) => `upload ${upload.index} (${upload.kind}): ${problem}`));
  }
  return problems;
}

/** Uploads the pipeline did not move: every one of them is stranded. */
async function leftovers(s3: S3Client, local: LocalMode): Promise<string[]> {
  const page = await s3.send(
    new ListObjectsV2Command({ Bucket: local.buckets.uploads, Prefix: UPLOADS_PREFIX }),
  );
  return (page.Contents ?? []).map((object) => `left in uploads: ${object.Key}`);
}

function deadLetters(local: LocalMode): string[] {
  return Object.entries(local.intake.queues).flatMap(([name, queue]: [string, LocalQueue]) =>
    queue.deadLettered.map((letter) => `dead letter in ${name}: ${letter.lastError}`),
  );
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
