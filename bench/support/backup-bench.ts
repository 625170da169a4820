import { spawnSync } from 'node:child_process';
import { createWriteStream, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';

import { CreateBucketCommand, type S3Client } from '@aws-sdk/client-s3';

import { createS3Client } from '../../core/aws/s3-client';
import { RGW_NAME, startRgw, type RgwServer } from '../../local/servers/rgw';
import { randomSource } from './random-stream';

export const REPO_ROOT = join(__dirname, '..', '..');
export const STOWAGE_BIN = join(REPO_ROOT, 'bin', 'stowage.js');
/** GNU time (Debian package `time`): wall time, peak RSS and CPU of one process. */
export const GNU_TIME = '/usr/bin/time';

export interface BenchRgw {
  readonly rgw: RgwServer;
  readonly s3: S3Client;
  readonly bucket: string;
  /** Environment for `node bin/stowage.js backup …` against this RGW (no user AWS config is read). */
  readonly cliEnv: NodeJS.ProcessEnv;
  /**
   * Frees what deleted objects still hold (`radosgw-admin gc process --include-all`): without it every run's data
   * stays in the memstore OSD and RGW needs more CPU for the same upload run after run (measured: 5.9 → 10 s of
   * server CPU per 1 GiB over six runs), which favours whichever tool runs first.
   */
  collectGarbage(): void;
  /** CPU seconds (user + system) the RGW, OSD and monitor processes have used so far. */
  serverCpuSeconds(): number;
  stop(): Promise<void>;
}

/**
 * A Ceph RGW (local/servers/rgw.ts) in `dataDir` with one empty bucket. RGW keeps deleted multipart data until its
 * garbage collection (hours), so `memstoreBytes` must hold every object a benchmark writes.
 */
export async function startBenchRgw(dataDir: string, memstoreBytes: number): Promise<BenchRgw> {
  const rgw = await startRgw({ dataDir: join(dataDir, 'rgw'), memstoreBytes, detached: false });
  const credentials = { accessKeyId: rgw.accessKey, secretAccessKey: rgw.secretKey };
  const s3 = createS3Client({ endpoint: rgw.endpoint, region: rgw.region, credentials });
  const bucket = 'bench-backups';
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  const cliEnv: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: dataDir,
    AWS_CONFIG_FILE: join(dataDir, 'aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(dataDir, 'aws-credentials'),
    AWS_ACCESS_KEY_ID: rgw.accessKey,
    AWS_SECRET_ACCESS_KEY: rgw.secretKey,
    AWS_REGION: rgw.region,
    STOWAGE_BACKUPS_BUCKET: bucket,
    STOWAGE_S3_ENDPOINT: rgw.endpoint,
  };
  return {
    rgw,
    s3,
    bucket,
    cliEnv,
    collectGarbage() {
      const run = spawnSync(
        'radosgw-admin',
        ['-c', join(rgw.dataDir, 'ceph.conf'), '-n', RGW_NAME, 'gc', 'process', '--include-all'],
        { encoding: 'utf8' },
      );
      if (run.status !== 0) throw new Error(`radosgw-admin gc process failed: ${run.stderr}`);
    },
    serverCpuSeconds() {
      let ticks = 0;
      for (const pid of rgw.pids) {
        const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
        ticks += Number(fields[11]) + Number(fields[12]);
      }
      return ticks / 100;
    },
    async stop() {
      s3.destroy();
      await rgw.stop();
    },
  };
}

/** Writes `totalBytes` of fresh random data to `path`, gzip-compressed at `gzipLevel` when given. */
export async function writeRandomFile(path: string, totalBytes: number, gzipLevel?: number): Promise<void> {
  const source = Readable.from(randomSource(totalBytes, 1024 * 1024).stream());
  if (gzipLevel === undefined) await pipeline(source, createWriteStream(path));
  else await pipeline(source, createGzip({ level: gzipLevel }), createWriteStream(path));
}

export interface TimedRun {
  readonly wallMs: number;
  /** Peak resident set of the process, as GNU time reports it (KiB). */
  readonly peakRssKiB: number;
  readonly userSeconds: number;
  readonly systemSeconds: number;
  readonly stdout: string;
}

/** Runs one command under GNU time; throws with its stderr unless it exits 0. */
export function timedRun(
  command: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  dir: string,
): TimedRun {
  const timeFile = join(dir, 'gnu-time.out');
  const started = process.hrtime.bigint();
  const run = spawnSync(GNU_TIME, ['-f', '%M %U %S', '-o', timeFile, command, ...args], {
    env,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  if (run.error) throw run.error;
  if (run.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} exited ${run.status}: ${run.stderr}${run.stdout}`);
  }
  const [rss, user, system] = readFileSync(timeFile, 'utf8').trim().split(/\s+/).map(Number);
  rmSync(timeFile, { force: true });
  return {
    wallMs,
    peakRssKiB: rss!,
    userSeconds: user!,
    systemSeconds: system!,
    stdout: run.stdout,
  };
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Kibibytes as decimal megabytes (the unit of the memory targets). */
export function kibToMB(kib: number): number {
  return Math.round((kib * 1024) / 1e4) / 100;
}

/**
 * The 1-minute load average: the machine has 2 cores that RGW and the measured process already share, so anything
 * else running (a test suite) shows in the numbers. Recorded at the start and the end of a run.
 */
export function loadAverage(): number {
  return Math.round(loadavg()[0]! * 100) / 100;
}

/** awscli's s3 transfer settings in the push benches: its defaults, but 8 MB parts like `stowage backup push`. */
export const AWSCLI_S3_DEFAULTS = {
  multipart_threshold: '8MB',
  multipart_chunksize: '8MB',
  max_concurrent_requests: 10,
  max_queue_size: 1000,
} as const;

/**
 * Points awscli at the bench RGW: writes its config file (path-style addressing, the transfer settings above) and
 * returns the environment `aws` runs with (checksums only where required, as RGW needs).
 */
export function configureAwsCli(server: BenchRgw): NodeJS.ProcessEnv {
  writeFileSync(
    server.cliEnv.AWS_CONFIG_FILE!,
    `[default]\nregion = ${server.rgw.region}\ns3 =\n` +
      Object.entries({ ...AWSCLI_S3_DEFAULTS, addressing_style: 'path' })
        .map(([name, value]) => `  ${name} = ${value}\n`)
        .join(''),
  );
  return {
    ...server.cliEnv,
    AWS_REQUEST_CHECKSUM_CALCULATION: 'when_required',
    AWS_RESPONSE_CHECKSUM_VALIDATION: 'when_required',
  };
}
