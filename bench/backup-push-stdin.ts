/**
 * `pg_dump … | stowage backup push -` next to `pg_dump … | aws s3 cp - s3://…`, against the same Ceph RGW
 * (local/servers/rgw.ts, started for the run in a temporary directory): both fed by the same kind of pipe, from
 * one fixed pg_dump custom-format file through `cat` (regenerating a 1 GiB dump for every run would measure
 * PostgreSQL, not the upload). Alternating the two tools (A B, B A, …), a fresh key every time, RGW
 * garbage-collected after every run. Reports wall time (median, and each run's paired ratio stowage/awscli, target
 * ≤ 1.0) and peak RSS (GNU time over `sh -c 'cat … | tool'`: the largest process of the pipe; target < 200 MB).
 *
 * stowage checks the dump's format while streaming (pg-dump validator; the head before the first part, the whole
 * before completing) and hashes it (SHA-256 of the bytes, written to the digest manifest): awscli does neither.
 *
 *   pg_dump -Fc -Z0 DATABASE > appdb.dump          (the file used, about 1 GiB; see BENCHMARKS.md)
 *   npx tsx bench/backup-push-stdin.ts --dump appdb.dump [--runs N] [--aws PATH]
 *
 * Writes bench/results/backup-push-stdin.json.
 */
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { DeleteObjectCommand } from '@aws-sdk/client-s3';

import {
  kibToMB,
  loadAverage,
  median,
  startBenchRgw,
  STOWAGE_BIN,
  timedRun,
  type TimedRun,
  AWSCLI_S3_DEFAULTS,
  configureAwsCli,
} from './support/backup-bench';
import { argument, MiB, round } from './support/random-stream';

const TARGET_RATIO = 1.0;
const TARGET_PEAK_RSS_MB = 200;

/** Single-quotes a word for sh. */
const sh = (word: string): string => `'${word.replace(/'/g, `'\\''`)}'`;

async function main(): Promise<void> {
  const dumpIndex = process.argv.indexOf('--dump');
  if (dumpIndex === -1) throw new Error('--dump FILE (a pg_dump -Fc file) is required');
  const dump = resolve(process.argv[dumpIndex + 1]!);
  const totalBytes = statSync(dump).size;
  const runs = argument('runs', 5);
  const awsIndex = process.argv.indexOf('--aws');
  const aws = awsIndex === -1 ? '/usr/bin/aws' : process.argv[awsIndex + 1]!;
  const loadAtStart = loadAverage();
  const dir = mkdtempSync(join(tmpdir(), 'stowage-bench-push-stdin-'));
  const server = await startBenchRgw(dir, Math.max(8 * 1024 * MiB, 2 * runs * totalBytes + 1024 * MiB));
  try {
    const awsEnv = configureAwsCli(server);
    const awsVersion = timedRun(aws, ['--version'], awsEnv, dir);
    const remove = async (keys: readonly string[]): Promise<void> => {
      for (const key of keys)
        await server.s3.send(new DeleteObjectCommand({ Bucket: server.bucket, Key: key }));
      server.collectGarbage();
    };
    const stowageRuns: TimedRun[] = [];
    const noCheckRuns: TimedRun[] = [];
    const awsRuns: TimedRun[] = [];
    const pushWithStowage = async (run: number, check: boolean): Promise<void> => {
      const pushed = timedRun(
        '/bin/sh',
        [
          '-c',
          `cat ${sh(dump)} | ${sh(process.execPath)} ${sh(STOWAGE_BIN)} backup push - --source main-db ` +
            `--name appdb.dump --quiet${check ? '' : ' --no-check'}`,
        ],
        server.cliEnv,
        dir,
      );
      (check ? stowageRuns : noCheckRuns).push(pushed);
      const key = pushed.stdout.trim();
      await remove([key, `${key}.stowage-digest.json`]);
      log(check ? 'stowage' : 'stowage --no-check', run, pushed);
    };
    const copyWithAwscli = async (run: number): Promise<void> => {
      const key = `bench-awscli/run-${run}-${Date.now()}.dump`;
      const copied = timedRun(
        '/bin/sh',
        [
          '-c',
          `cat ${sh(dump)} | ${sh(aws)} s3 cp - ${sh(`s3://${server.bucket}/${key}`)} --endpoint-url ` +
            `${sh(server.rgw.endpoint)} --only-show-errors --no-progress`,
        ],
        awsEnv,
        dir,
      );
      awsRuns.push(copied);
      await remove([key]);
      log('awscli', run, copied);
    };
    for (let run = 1; run <= runs; run++) {
      // A B C, C B A, …: no tool always runs first.
      if (run % 2 === 1) {
        await pushWithStowage(run, true);
        await pushWithStowage(run, false);
        await copyWithAwscli(run);
      } else {
        await copyWithAwscli(run);
        await pushWithStowage(run, false);
        await pushWithStowage(run, true);
      }
    }
    const summary = (runsOf: readonly TimedRun[]) => ({
      wallMs: runsOf.map((r) => round(r.wallMs)),
      medianWallMs: round(median(runsOf.map((r) => r.wallMs))),
      medianMiBps: round(totalBytes / MiB / (median(runsOf.map((r) => r.wallMs)) / 1000)),
      peakRssMB: runsOf.map((r) => kibToMB(r.peakRssKiB)),
      maxPeakRssMB: kibToMB(Math.max(...runsOf.map((r) => r.peakRssKiB))),
      cpuSeconds: runsOf.map((r) => round(r.userSeconds + r.systemSeconds)),
    });
    const stowage = summary(stowageRuns);
    const noCheck = summary(noCheckRuns);
    const awscli = summary(awsRuns);
    const pairedRatios = stowageRuns.map((run, index) => round(run.wallMs / awsRuns[index]!.wallMs));
    const noCheckPairedRatios = noCheckRuns.map((run, index) => round(run.wallMs / awsRuns[index]!.wallMs));
    const result = {
      what:
        'one pg_dump -Fc file piped through cat into each tool, to Ceph RGW on 127.0.0.1, same machine, ' +
        'alternating A B C, C B A, …; RGW garbage-collected after every run',
      bytes: totalBytes,
      runsPerTool: runs,
      node: process.version,
      cpus: cpus().length,
      stowage: {
        command:
          'cat appdb.dump | node bin/stowage.js backup push - --source main-db --name appdb.dump --quiet',
        settings: { partSizeBytes: 8 * MiB, concurrency: 4, formatCheck: 'pg-dump', digest: 'manifest' },
        ...stowage,
      },
      stowageNoCheck: {
        command: 'the same with --no-check: no format check, still hashed and recorded',
        ...noCheck,
        pairedRatios: noCheckPairedRatios,
        medianPairedRatio: round(median(noCheckPairedRatios)),
      },
      awscli: {
        command: 'cat appdb.dump | aws s3 cp - s3://bench-backups/KEY --endpoint-url URL --only-show-errors',
        version: awsVersion.stdout.trim(),
        settings: AWSCLI_S3_DEFAULTS,
        ...awscli,
      },
      ratioStowageToAwscli: round(stowage.medianWallMs / awscli.medianWallMs),
      pairedRatios,
      medianPairedRatio: round(median(pairedRatios)),
      targetRatio: TARGET_RATIO,
      targetPeakRssMB: TARGET_PEAK_RSS_MB,
      loadAverage1m: { start: loadAtStart, end: loadAverage() },
      measuredAt: new Date().toISOString(),
    };
    mkdirSync(join(__dirname, 'results'), { recursive: true });
    writeFileSync(
      join(__dirname, 'results', 'backup-push-stdin.json'),
      `${JSON.stringify(result, null, 2)}\n`,
    );
    console.log(JSON.stringify(result, null, 2));
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

function log(tool: string, run: number, timed: TimedRun): void {
  console.log(
    `${tool} run ${run}: ${round(timed.wallMs / 1000)} s, peak RSS ${kibToMB(timed.peakRssKiB)} MB, ` +
      `CPU ${round(timed.userSeconds + timed.systemSeconds)} s`,
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
