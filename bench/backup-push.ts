/**
 * `stowage backup push` next to `aws s3 cp` for the same 1 GiB file of fresh random data, against the same Ceph RGW
 * (local/servers/rgw.ts, started for the run in a temporary directory), alternating the two tools (A B, B A, …),
 * 5 runs each, a fresh key every time, RGW garbage-collected after every run (deleted data otherwise stays in the
 * memstore OSD and makes every later run slower, favouring whichever tool runs first). Reports wall time (median),
 * the ratio stowage/awscli (target ≤ 1.0), the peak RSS and CPU time of each process (GNU time; target < 200 MB for
 * stowage), the server's CPU time during each run, plus what push's first pass over the file (SHA-256 before the
 * upload, because S3 takes the metadata before the first byte) costs on its own.
 *
 *   apt-get install -y --no-install-recommends awscli time     (Debian's AWS CLI v2 and GNU time)
 *   npx tsx bench/backup-push.ts [--bytes N] [--runs N] [--aws /usr/bin/aws]
 *
 * Needs RGW (`npm run servers:install`), about 1 GiB of free disk for the file and RAM for RGW's memstore (the
 * memstore is sized for every object written, 2 × runs × N, in case garbage collection leaves some behind).
 *
 * Both tools use their default multipart settings, written out: stowage 8 MiB parts, 4 in parallel; awscli
 * 8 MB threshold and parts, 10 requests in parallel (its s3 settings are set explicitly in a private config file,
 * so a user's ~/.aws/config cannot change them). awscli 2.9 (Debian bookworm) sends no CRC32 trailers and works
 * against RGW as is; newer ones (≥ 2.23, botocore ≥ 1.36) need AWS_REQUEST_CHECKSUM_CALCULATION=when_required,
 * which is set (stowage sends checksums only when required towards an S3-compatible endpoint too).
 *
 * Writes bench/results/backup-push.json.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';

import { DeleteObjectCommand } from '@aws-sdk/client-s3';

import { measureFileParts } from '../cli/commands/backup/file-parts-upload';
import {
  kibToMB,
  loadAverage,
  median,
  startBenchRgw,
  STOWAGE_BIN,
  timedRun,
  writeRandomFile,
  type TimedRun,
  AWSCLI_S3_DEFAULTS,
  configureAwsCli,
} from './support/backup-bench';
import { argument, MiB, round } from './support/random-stream';

const TARGET_RATIO = 1.0;
const TARGET_PEAK_RSS_MB = 200;

async function main(): Promise<void> {
  const totalBytes = argument('bytes', 1024 * MiB);
  const runs = argument('runs', 5);
  const loadAtStart = loadAverage();
  const awsIndex = process.argv.indexOf('--aws');
  const aws = awsIndex === -1 ? '/usr/bin/aws' : process.argv[awsIndex + 1]!;
  const dir = mkdtempSync(join(tmpdir(), 'stowage-bench-push-'));
  const file = join(dir, 'bench.bin');
  const server = await startBenchRgw(dir, Math.max(8 * 1024 * MiB, 2 * runs * totalBytes + 1024 * MiB));
  try {
    await writeRandomFile(file, totalBytes);
    const awsEnv = configureAwsCli(server);
    const awsVersion = timedRun(aws, ['--version'], awsEnv, dir);

    const remove = async (key: string): Promise<void> => {
      await server.s3.send(new DeleteObjectCommand({ Bucket: server.bucket, Key: key }));
      server.collectGarbage();
    };
    const stowageRuns: ServerTimedRun[] = [];
    const awsRuns: ServerTimedRun[] = [];
    const pushWithStowage = async (run: number): Promise<void> => {
      // stowage names the key after the second it starts: runs take seconds, so every key is fresh.
      const serverBefore = server.serverCpuSeconds();
      const pushed = timedRun(
        process.execPath,
        [STOWAGE_BIN, 'backup', 'push', file, '--source', 'bench', '--quiet'],
        server.cliEnv,
        dir,
      );
      const timed = { ...pushed, serverCpuSeconds: server.serverCpuSeconds() - serverBefore };
      stowageRuns.push(timed);
      await remove(pushed.stdout.trim());
      log('stowage', run, timed);
    };
    const copyWithAwscli = async (run: number): Promise<void> => {
      const key = `bench-awscli/run-${run}-${Date.now()}.bin`;
      const serverBefore = server.serverCpuSeconds();
      const copied = timedRun(
        aws,
        [
          's3',
          'cp',
          file,
          `s3://${server.bucket}/${key}`,
          '--endpoint-url',
          server.rgw.endpoint,
          '--only-show-errors',
          '--no-progress',
        ],
        awsEnv,
        dir,
      );
      const timed = { ...copied, serverCpuSeconds: server.serverCpuSeconds() - serverBefore };
      awsRuns.push(timed);
      await remove(key);
      log('awscli', run, timed);
    };
    for (let run = 1; run <= runs; run++) {
      // A B, B A, A B, …: neither tool always runs first on a server that has just been cleaned up.
      if (run % 2 === 1) {
        await pushWithStowage(run);
        await copyWithAwscli(run);
      } else {
        await copyWithAwscli(run);
        await pushWithStowage(run);
      }
    }

    // Start-up alone (process, module loading): part of every push's wall time. `backup push --help` loads what a
    // push loads before its action runs (the action then loads the push module and the S3 SDK, about 0.3 s).
    const startup = {
      stowageMs: median(
        [1, 2, 3].map(
          () =>
            timedRun(process.execPath, [STOWAGE_BIN, 'backup', 'push', '--help'], server.cliEnv, dir).wallMs,
        ),
      ),
      awscliMs: median([1, 2, 3].map(() => timedRun(aws, ['--version'], awsEnv, dir).wallMs)),
    };
    // push's first pass for an unencrypted multipart file (measureFileParts in file-parts-upload.ts): the
    // whole-file SHA-256 and every part's, in 8 MiB reads.
    const firstPassMs: number[] = [];
    for (let run = 0; run < 3; run++) {
      const started = process.hrtime.bigint();
      await measureFileParts(file, 8 * MiB);
      firstPassMs.push(Number(process.hrtime.bigint() - started) / 1e6);
    }

    const summary = (runsOf: readonly ServerTimedRun[]) => ({
      wallMs: runsOf.map((r) => round(r.wallMs)),
      medianWallMs: round(median(runsOf.map((r) => r.wallMs))),
      medianMiBps: round(totalBytes / MiB / (median(runsOf.map((r) => r.wallMs)) / 1000)),
      peakRssMB: runsOf.map((r) => kibToMB(r.peakRssKiB)),
      maxPeakRssMB: kibToMB(Math.max(...runsOf.map((r) => r.peakRssKiB))),
      cpuSeconds: runsOf.map((r) => round(r.userSeconds + r.systemSeconds)),
      medianCpuSeconds: round(median(runsOf.map((r) => r.userSeconds + r.systemSeconds))),
      serverCpuSeconds: runsOf.map((r) => round(r.serverCpuSeconds)),
      medianServerCpuSeconds: round(median(runsOf.map((r) => r.serverCpuSeconds))),
    });
    const stowage = summary(stowageRuns);
    const awscli = summary(awsRuns);
    const ratio = round(stowage.medianWallMs / awscli.medianWallMs);
    // Each run's two pushes ran back to back on the same server state: their ratio cancels most of the drift.
    const pairedRatios = stowageRuns.map((run, index) => round(run.wallMs / awsRuns[index]!.wallMs));
    const firstPass = round(median(firstPassMs));
    const result = {
      what:
        'one 1 GiB file of fresh random bytes (page cache) to Ceph RGW on 127.0.0.1, same machine, alternating ' +
        'A B, B A, …; RGW garbage-collected after every run',
      bytes: totalBytes,
      runsPerTool: runs,
      node: process.version,
      cpus: cpus().length,
      stowage: {
        command: 'node bin/stowage.js backup push FILE --source bench --quiet',
        settings: { partSizeBytes: 8 * MiB, concurrency: 4 },
        ...stowage,
      },
      awscli: {
        command: 'aws s3 cp FILE s3://bench-backups/KEY --endpoint-url URL --only-show-errors --no-progress',
        version: awsVersion.stdout.trim(),
        settings: AWSCLI_S3_DEFAULTS,
        ...awscli,
      },
      ratioStowageToAwscli: ratio,
      pairedRatios,
      medianPairedRatio: round(median(pairedRatios)),
      targetRatio: TARGET_RATIO,
      targetPeakRssMB: TARGET_PEAK_RSS_MB,
      startupMedianMs: { stowage: round(startup.stowageMs), awscli: round(startup.awscliMs) },
      stowageFirstPass: {
        what:
          'push reads the file twice: whole-file and per-part SHA-256 first (metadata before the upload), then ' +
          'uploads each part signed with that SHA-256, which the server checks',
        medianMs: firstPass,
        shareOfStowageWall: round(firstPass / stowage.medianWallMs),
        MiBps: round(totalBytes / MiB / (firstPass / 1000)),
      },
      loadAverage1m: { start: loadAtStart, end: loadAverage() },
      measuredAt: new Date().toISOString(),
    };
    mkdirSync(join(__dirname, 'results'), { recursive: true });
    writeFileSync(join(__dirname, 'results', 'backup-push.json'), `${JSON.stringify(result, null, 2)}\n`);
    console.log(JSON.stringify(result, null, 2));
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** One timed run and the CPU time the RGW, OSD and monitor spent meanwhile (they share the machine's cores). */
interface ServerTimedRun extends TimedRun {
  readonly serverCpuSeconds: number;
}

function log(tool: string, run: number, timed: ServerTimedRun): void {
  console.log(
    `${tool} run ${run}: ${round(timed.wallMs / 1000)} s, peak RSS ${kibToMB(timed.peakRssKiB)} MB, ` +
      `CPU ${round(timed.userSeconds + timed.systemSeconds)} s, server CPU ${round(timed.serverCpuSeconds)} s`,
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
