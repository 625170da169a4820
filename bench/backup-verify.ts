/**
 * Throughput and memory of the nightly verification's content checks on a 1 GiB gzip backup in Ceph RGW
 * (local/servers/rgw.ts, started for the run in a temporary directory), next to plain SHA-256 passes over the same
 * bytes. The backup is fresh random data gzip-compressed at level 1 (random data does not compress: deflate stores
 * it, so inflating costs little and the gzip is about as large as the data), pushed with `stowage backup push`,
 * which writes the metadata the verifier checks.
 *
 *   npx tsx bench/backup-verify.ts [--bytes N] [--runs N] [--range-mib N] [--read-concurrency N] [--pg-dump]
 *
 * Defaults: 1 GiB, 3 runs of each pass, the verifier's own ranged-read settings (4 MiB ranges, 4 in flight).
 *
 * With `--pg-dump` the backup is instead a real `pg_dump -Fc` (zlib, level 6) of a table of random base64 text
 * (3/4 compressible) generated in a throwaway PostgreSQL 15 (local/servers/postgres.ts) until the dump is about
 * `--bytes`; `verify` and `file-content` then run the `pg-dump` source's checks: every data block inflated to its
 * end, next to the same SHA-256 passes. Writes bench/results/backup-verify-pg-dump.json.
 *
 * Needs RGW (`npm run servers:install`) and about 1 GiB of free disk. Every pass runs in a fresh child process
 * (its peak RSS is its own, plus Node and tsx), the passes alternate, the median of the runs is reported:
 *
 *   verify         verifyBackups for one `gzip` source: list, HeadObject, then the content checks (4 MiB ranged
 *                  GETs, 4 in flight, reassembled in order, each received into one of 5 reused shared buffers;
 *                  SHA-256 against `stored-sha256` and gunzip to the end, both on one worker thread that reads
 *                  those buffers in place and inflates into one reused output buffer)
 *   ranged-sha256  the same ranged reader (its ordinary iteration: the body's chunks), SHA-256 only
 *   get-sha256     one plain GetObject, its body stream hashed
 *   file-content   the content checks (SHA-256 + gunzip) over the local copy: the checks without the network
 *   file-sha256    SHA-256 of the local copy (page cache), read in 1 MiB chunks
 *
 * Writes bench/results/backup-verify.json.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  createReadStream,
  mkdirSync,
  mkdtempSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';

import { GetObjectCommand } from '@aws-sdk/client-s3';

import { startPostgres, stopPostgres } from '../local/servers/postgres';
import { createS3Client } from '../core/aws/s3-client';
import type { BackupSourceConfig } from '../core/backup/backup-source';
import { headBackup } from '../core/backup/verify/backup-object';
import { verifyContent } from '../core/backup/verify/content-verification';
import {
  DEFAULT_RANGED_READ,
  readObjectInOrder,
  type RangedReadOptions,
} from '../core/backup/verify/ranged-object-reader';
import { verifyBackups } from '../core/backup/verify/verify-backups';
import {
  kibToMB,
  loadAverage,
  median,
  startBenchRgw,
  STOWAGE_BIN,
  timedRun,
  writeRandomFile,
} from './support/backup-bench';
import { argument, MiB, round } from './support/random-stream';

const CHILD_FLAG = '--child';
const MODES = ['verify', 'ranged-sha256', 'get-sha256', 'file-content', 'file-sha256'] as const;
type Mode = (typeof MODES)[number];
const TARGET_RATIO = 0.7;
const TARGET_PEAK_RSS_MB = 200;
function sourceOf(format: 'gzip' | 'pg-dump'): BackupSourceConfig {
  return { name: 'bench-verify', format, maxAgeHours: 26, minBytes: 1, maxDropPercent: 50 };
}

/** What a child needs to reach the backup. */
interface Target {
  readonly endpoint: string;
  readonly region: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly bucket: string;
  readonly key: string;
  readonly file: string;
  readonly reads: RangedReadOptions;
  readonly format: 'gzip' | 'pg-dump';
}

interface ChildResult {
  readonly ms: number;
  readonly bytes: number;
  readonly baselineRssKiB: number;
  readonly peakRssKiB: number;
  readonly checks?: readonly { name: string; ok: boolean; detail?: string }[];
}

async function child(mode: Mode, target: Target): Promise<void> {
  const s3 = createS3Client({
    endpoint: target.endpoint,
    region: target.region,
    credentials: { accessKeyId: target.accessKeyId, secretAccessKey: target.secretAccessKey },
  });
  const object = await headBackup(s3, target.bucket, target.key);
  const baselineRssKiB = Math.round(process.memoryUsage().rss / 1024);
  const started = process.hrtime.bigint();
  let bytes = 0;
  let checks: ChildResult['checks'];
  const hashAll = async (chunks: AsyncIterable<Uint8Array>): Promise<string> => {
    const hash = createHash('sha256');
    for await (const chunk of chunks) {
      hash.update(chunk);
      bytes += chunk.length;
    }
    return hash.digest('hex');
  };
  const expectSha256 = (actual: string): void => {
    if (actual !== object.metadata['stored-sha256']) throw new Error(`${mode}: SHA-256 mismatch`);
  };
  switch (mode) {
    case 'verify': {
      const report = await verifyBackups(
        { s3, bucket: target.bucket, requireReplication: false, reads: target.reads },
        { env: 'bench', sources: [sourceOf(target.format)], at: new Date() },
      );
      const source = report.sources[0]!;
      checks = source.checks.map(({ name, ok, detail }) => ({ name, ok, detail }));
      // The bench bucket has no SSE-KMS (RGW would encrypt on the same 2 cores): only `encryption` may fail.
      const bad = source.checks.filter((check) => !check.ok && check.name !== 'encryption');
      if (bad.length > 0 || !source.checks.some((check) => check.name === 'format' && check.ok)) {
        throw new Error(`verification failed: ${JSON.stringify(source)}`);
      }
      bytes = object.storedBytes;
      break;
    }
    case 'ranged-sha256':
      expectSha256(
        await hashAll(
          readObjectInOrder(
            s3,
            { bucket: target.bucket, key: target.key, size: object.storedBytes },
            target.reads,
          ),
        ),
      );
      break;
    case 'get-sha256': {
      const response = await s3.send(new GetObjectCommand({ Bucket: target.bucket, Key: target.key }));
      expectSha256(await hashAll(response.Body as AsyncIterable<Uint8Array>));
      break;
    }
    case 'file-content': {
      const outcome = await verifyContent({
        stored: createReadStream(target.file, { highWaterMark: DEFAULT_RANGED_READ.chunkBytes }),
        object,
        format: target.format,
      });
      checks = outcome.checks.map(({ name, ok, detail }) => ({ name, ok, detail }));
      if (!outcome.checks.every((check) => check.ok))
        throw new Error(`content checks failed: ${JSON.stringify(checks)}`);
      bytes = object.storedBytes;
      break;
    }
    case 'file-sha256':
      expectSha256(
        await hashAll(createReadStream(target.file, { highWaterMark: DEFAULT_RANGED_READ.chunkBytes })),
      );
      break;
  }
  const result: ChildResult = {
    ms: Number(process.hrtime.bigint() - started) / 1e6,
    bytes,
    baselineRssKiB,
    peakRssKiB: process.resourceUsage().maxRSS,
    ...(checks ? { checks } : {}),
  };
  s3.destroy();
  process.stdout.write(JSON.stringify(result));
}

function runChild(mode: Mode, target: Target): ChildResult {
  const run = spawnSync(
    process.execPath,
    [...process.execArgv, __filename, CHILD_FLAG, mode, JSON.stringify(target)],
    { encoding: 'utf8' },
  );
  if (run.status !== 0) throw new Error(`${mode} child failed: ${run.stderr}`);
  return JSON.parse(run.stdout) as ChildResult;
}

async function main(): Promise<void> {
  const totalBytes = argument('bytes', 1024 * MiB);
  const runs = argument('runs', 3);
  const loadAtStart = loadAverage();
  const reads: RangedReadOptions = {
    rangeBytes: argument('range-mib', DEFAULT_RANGED_READ.rangeBytes / MiB) * MiB,
    concurrency: argument('read-concurrency', DEFAULT_RANGED_READ.concurrency),
    chunkBytes: DEFAULT_RANGED_READ.chunkBytes,
  };
  const format = process.argv.includes('--pg-dump') ? 'pg-dump' : 'gzip';
  const dir = mkdtempSync(join(tmpdir(), 'stowage-bench-verify-'));
  const file = join(dir, format === 'gzip' ? 'bench.gz' : 'bench.dump');
  const server = await startBenchRgw(dir, Math.max(4 * 1024 * MiB, 2 * totalBytes));
  try {
    if (format === 'gzip') await writeRandomFile(file, totalBytes, 1);
    else await writePgDump(dir, file, totalBytes);
    const storedBytes = statSync(file).size;
    const key = timedRun(
      process.execPath,
      [STOWAGE_BIN, 'backup', 'push', file, '--source', sourceOf(format).name, '--quiet'],
      server.cliEnv,
      dir,
    ).stdout.trim();
    const target: Target = {
      endpoint: server.rgw.endpoint,
      region: server.rgw.region,
      accessKeyId: server.rgw.accessKey,
      secretAccessKey: server.rgw.secretKey,
      bucket: server.bucket,
      key,
      file,
      reads,
      format,
    };

    const measured = new Map<Mode, ChildResult[]>(MODES.map((mode) => [mode, []]));
    for (let run = 1; run <= runs; run++) {
      for (const mode of MODES) {
        const result = runChild(mode, target);
        if (result.bytes !== storedBytes)
          throw new Error(`${mode} read ${result.bytes} of ${storedBytes} bytes`);
        measured.get(mode)!.push(result);
        console.log(
          `${mode} run ${run}: ${round(storedBytes / MiB / (result.ms / 1000))} MiB/s, ` +
            `peak RSS ${kibToMB(result.peakRssKiB)} MB`,
        );
      }
    }
    const summarize = (results: readonly ChildResult[]) => {
      const ms = median(results.map((r) => r.ms));
      return {
        ms: results.map((r) => round(r.ms)),
        medianMs: round(ms),
        medianMiBps: round(storedBytes / MiB / (ms / 1000)),
        peakRssMB: results.map((r) => kibToMB(r.peakRssKiB)),
        maxPeakRssMB: kibToMB(Math.max(...results.map((r) => r.peakRssKiB))),
        baselineRssMB: kibToMB(median(results.map((r) => r.baselineRssKiB))),
      };
    };
    const passes = {} as Record<Mode, ReturnType<typeof summarize>>;
    for (const mode of MODES) passes[mode] = summarize(measured.get(mode)!);
    const ratio = (mode: Mode) => round(passes[mode].medianMs / passes.verify.medianMs);
    const result = {
      what:
        format === 'gzip'
          ? '1 GiB gzip (fresh random data, level 1) in Ceph RGW on 127.0.0.1; each pass in a fresh child process'
          : `pg_dump -Fc (zlib) of ${round(storedBytes / MiB)} MiB from PostgreSQL 15 (random base64 text) in ` +
            'Ceph RGW on 127.0.0.1; each pass in a fresh child process',
      format,
      bytes: totalBytes,
      storedBytes,
      runsPerPass: runs,
      node: process.version,
      cpus: cpus().length,
      rangedRead: reads,
      passes,
      verifyChecks: measured.get('verify')![0]!.checks,
      ratioVerifyTo: {
        fileSha256: ratio('file-sha256'),
        getSha256: ratio('get-sha256'),
        rangedSha256: ratio('ranged-sha256'),
      },
      targetRatio: TARGET_RATIO,
      targetPeakRssMB: TARGET_PEAK_RSS_MB,
      loadAverage1m: { start: loadAtStart, end: loadAverage() },
      measuredAt: new Date().toISOString(),
    };
    mkdirSync(join(__dirname, 'results'), { recursive: true });
    const name = format === 'gzip' ? 'backup-verify.json' : 'backup-verify-pg-dump.json';
    writeFileSync(join(__dirname, 'results', name), `${JSON.stringify(result, null, 2)}\n`);
    console.log(JSON.stringify(result, null, 2));
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * A real custom-format dump of about `bytes`: a throwaway PostgreSQL 15 in `dir`, a table of random base64 text
 * (pgcrypto's gen_random_bytes) filled in batches until the table holds about 4/3 of `bytes`, dumped by pg_dump.
 */
async function writePgDump(dir: string, file: string, bytes: number): Promise<void> {
  const pgDir = join(dir, 'postgres');
  mkdirSync(pgDir, { mode: 0o755 });
  chmodSync(dir, 0o755);
  const server = await startPostgres({ dataDir: pgDir });
  const env = { ...process.env, PGHOST: server.host, PGPORT: String(server.port), PGUSER: server.user };
  const run = (tool: string, args: string[]): void => {
    const result = spawnSync(tool, args, { env, encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`${tool} ${args.join(' ')}: ${result.stderr}`);
  };
  try {
    run('psql', ['-X', '-q', '-d', 'postgres', '-c', 'create database bench']);
    const rowBytes = 1024; // 768 random bytes as base64
    const rows = Math.ceil(((bytes * 4) / 3 / rowBytes) * 1.05);
    run('psql', [
      '-X',
      '-q',
      '-v',
      'ON_ERROR_STOP=1',
      '-d',
      'bench',
      '-c',
      'create extension pgcrypto; create table filler (id bigint, body text);',
      '-c',
      `insert into filler select g, encode(gen_random_bytes(768), 'base64') from generate_series(1, ${rows}) g;`,
    ]);
    run('pg_dump', ['-Fc', '-Z6', '-f', file, 'bench']);
  } finally {
    await stopPostgres({ dataDir: pgDir });
  }
}

if (process.argv.includes(CHILD_FLAG)) {
  const index = process.argv.indexOf(CHILD_FLAG);
  child(process.argv[index + 1] as Mode, JSON.parse(process.argv[index + 2]!) as Target).catch(
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
} else {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
