/**
 * `stowage scan FILE` as a whole process next to `sha256sum FILE` as a whole process, over the same file: what a
 * user waits for, start-up included (target: sha256sum time / stowage scan time ≥ 0.7).
 *
 *   npx tsx bench/scan-process.ts [--bytes N] [--runs N]     (default 1 GiB, 5 paired runs)
 *
 * The file is a valid WAV (16-bit stereo PCM, AES-CTR random samples), so the built-in engine runs every check
 * an upload gets: EICAR, type, WAV structure, embedded-archive candidates. Both commands read it from the page
 * cache (one warm-up run each first). Runs alternate sha256sum / `openssl dgst -sha256` / stowage; each round
 * gives one ratio per reference and the median ratio counts. Peak RSS of each process comes from /usr/bin/time. Writes bench/results/scan-process.json.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { argument, MiB, randomSource, round } from './support/random-stream';
import { wavHeader } from './support/wav-file';

const REPO_ROOT = resolve(__dirname, '..');

async function writeWav(file: string, totalBytes: number): Promise<void> {
  const header = wavHeader(totalBytes - 44);
  const fd = openSync(file, 'w');
  try {
    writeSync(fd, header);
    for await (const chunk of randomSource(totalBytes - 44, 4 * MiB).stream()) writeSync(fd, chunk);
  } finally {
    closeSync(fd);
  }
}

interface Run {
  readonly seconds: number;
  readonly peakRssMB: number;
  readonly stdout: string;
}

/** Runs `command` under /usr/bin/time; wall time from here, peak RSS (KiB) from time's last stderr line. */
function timed(command: string, args: readonly string[]): Run {
  const started = process.hrtime.bigint();
  const run = spawnSync('/usr/bin/time', ['-f', '%M', command, ...args], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    maxBuffer: 1 << 20,
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (run.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${run.status}): ${run.stderr}`);
  const lines = run.stderr.trim().split('\n');
  return { seconds, peakRssMB: round((Number(lines[lines.length - 1]) * 1024) / 1e6), stdout: run.stdout };
}

async function main(): Promise<void> {
  const totalBytes = argument('bytes', 1024 * MiB);
  const runs = argument('runs', 5);
  const dir = mkdtempSync(join(tmpdir(), 'stowage-scan-process-'));
  const file = join(dir, 'upload.wav');
  try {
    await writeWav(file, totalBytes);
    const sha = () => timed('sha256sum', [file]);
    const stowage = () => timed(process.execPath, ['bin/stowage.js', 'scan', file]);
    const first = stowage();
    const verdict = JSON.parse(first.stdout) as { status: string; sha256: string };
    const expected = sha().stdout.split(' ')[0];
    if (verdict.status !== 'CLEAN' || verdict.sha256 !== expected) {
      throw new Error(`unexpected verdict ${first.stdout}`);
    }
    // A stricter reference: OpenSSL's SHA-256 (the implementation Node uses; coreutils 9.1 has its own, slower one).
    const openssl = () => timed('openssl', ['dgst', '-sha256', file]);
    const pairs: { sha: Run; openssl: Run; stowage: Run }[] = [];
    for (let i = 0; i < runs; i++) pairs.push({ sha: sha(), openssl: openssl(), stowage: stowage() });
    const ratios = pairs.map((pair) => pair.sha.seconds / pair.stowage.seconds).sort((a, b) => a - b);
    const opensslRatios = pairs
      .map((pair) => pair.openssl.seconds / pair.stowage.seconds)
      .sort((a, b) => a - b);
    const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
    const startup = timed(process.execPath, ['bin/stowage.js', 'scan', '--help']);
    const result = {
      bytes: totalBytes,
      runs,
      node: process.version,
      cpus: cpus().length,
      sha256sumSeconds: round(median(pairs.map((pair) => pair.sha.seconds))),
      stowageScanSeconds: round(median(pairs.map((pair) => pair.stowage.seconds))),
      stowageStartupSeconds: round(startup.seconds),
      ratios: ratios.map(round),
      medianRatio: round(median(ratios)),
      opensslSeconds: round(median(pairs.map((pair) => pair.openssl.seconds))),
      opensslRatios: opensslRatios.map(round),
      medianRatioToOpenssl: round(median(opensslRatios)),
      target: 0.7,
      stowagePeakRssMB: Math.max(...pairs.map((pair) => pair.stowage.peakRssMB)),
      sha256sumPeakRssMB: Math.max(...pairs.map((pair) => pair.sha.peakRssMB)),
      measuredAt: new Date().toISOString(),
    };
    mkdirSync(join(__dirname, 'results'), { recursive: true });
    writeFileSync(join(__dirname, 'results', 'scan-process.json'), `${JSON.stringify(result, null, 2)}\n`);
    console.log(JSON.stringify(result, null, 2));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
