/**
 * Peak RSS while the built-in engine and SHA-256 scan a large stream in one pass: the scanner must hold a
 * bounded amount whatever the object size (target < 200 MB for 2 GiB).
 *
 *   npx tsx bench/scan-memory.ts [--bytes N]     (default 2 GiB)
 *
 * The scan runs in a fresh child process so that its peak RSS is the scanner's alone (plus Node and tsx).
 * Writes bench/results/scan-memory.json.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createBuiltinEngine, scanStream } from '../core/scan';
import { argument, MiB, randomSource, round } from './support/random-stream';

const CHILD_FLAG = '--child';

async function child(totalBytes: number): Promise<void> {
  const baselineRss = process.memoryUsage().rss;
  const started = Date.now();
  const verdict = await scanStream(
    randomSource(totalBytes).stream(),
    [createBuiltinEngine({ allowedTypes: 'any' })],
    {
      fileName: 'big.bin',
      size: totalBytes,
    },
  );
  if (verdict.status !== 'CLEAN' || verdict.bytesScanned !== totalBytes) {
    throw new Error(`unexpected verdict ${JSON.stringify(verdict)}`);
  }
  process.stdout.write(
    JSON.stringify({
      baselineRssMiB: round(baselineRss / MiB),
      peakRssMiB: round((process.resourceUsage().maxRSS * 1024) / MiB),
      seconds: round((Date.now() - started) / 1000),
    }),
  );
}

function main(): void {
  const totalBytes = argument('bytes', 2048 * MiB);
  const run = spawnSync(
    process.execPath,
    [...process.execArgv, __filename, CHILD_FLAG, '--bytes', String(totalBytes)],
    {
      encoding: 'utf8',
    },
  );
  if (run.status !== 0) throw new Error(`scan child failed: ${run.stderr}`);
  const measured = JSON.parse(run.stdout) as { baselineRssMiB: number; peakRssMiB: number; seconds: number };
  const result = {
    bytes: totalBytes,
    node: process.version,
    ...measured,
    targetPeakRssMB: 200,
    peakRssMB: round((measured.peakRssMiB * MiB) / 1e6),
    measuredAt: new Date().toISOString(),
  };
  mkdirSync(join(__dirname, 'results'), { recursive: true });
  writeFileSync(join(__dirname, 'results', 'scan-memory.json'), `${JSON.stringify(result, null, 2)}\n`);
  console.log(JSON.stringify(result, null, 2));
}

if (process.argv.includes(CHILD_FLAG)) {
  child(argument('bytes', 2048 * MiB)).catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
} else {
  main();
}
