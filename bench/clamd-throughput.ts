/**
 * clamd INSTREAM throughput next to the built-in engine, on the same fresh random bytes, against a real clamd
 * started for the run (scripts/install-debian-deps.sh installs it).
 *
 *   npx tsx bench/clamd-throughput.ts [--bytes N]     (default 1 GiB; clamd spools the stream: needs N free disk)
 *
 * Writes bench/results/clamd-throughput.json.
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBuiltinEngine, createClamdEngine, scanStream } from '../core/scan';
import { startClamd } from '../local/servers/clamd';
import type { Timing } from './support/random-stream';
import { argument, MiB, randomSource, round } from './support/random-stream';

async function main(): Promise<void> {
  const totalBytes = argument('bytes', 1024 * MiB);
  const dataDir = mkdtempSync(join(tmpdir(), 'stowage-bench-clamd-'));
  // clamd counts scanned data, not stream bytes, against MaxScanSize: leave room for its own passes.
  const clamd = await startClamd({
    dataDir,
    maxScanBytes: Math.min(4000 * MiB, 3 * totalBytes),
    detached: false,
  });
  try {
    const builtin = createBuiltinEngine({ allowedTypes: 'any' });
    const clamav = createClamdEngine({ host: clamd.host, port: clamd.port, scanTimeoutFloorMs: 600_000 });
    const subject = { fileName: 'bench.bin', size: totalBytes };

    const measure = async (engines: Parameters<typeof scanStream>[1]) => {
      const timing: Timing = { generationMs: 0 };
      const started = process.hrtime.bigint();
      // Fresh bytes for every pass: clamd caches what it has seen and would look faster on a repeat.
      const verdict = await scanStream(randomSource(totalBytes).stream(timing), engines, subject);
      const ms = Number(process.hrtime.bigint() - started) / 1e6 - timing.generationMs;
      if (verdict.status !== 'CLEAN') throw new Error(`unexpected verdict ${JSON.stringify(verdict)}`);
      return totalBytes / MiB / (ms / 1000);
    };
    const builtinMiBps = await measure([builtin]);
    const clamdMiBps = await measure([clamav]);
    const bothMiBps = await measure([builtin, clamav]);
    const result = {
      bytes: totalBytes,
      node: process.version,
      builtinWithSha256MiBps: round(builtinMiBps),
      clamdInstreamMiBps: round(clamdMiBps),
      builtinAndClamdOnePassMiBps: round(bothMiBps),
      measuredAt: new Date().toISOString(),
    };
    mkdirSync(join(__dirname, 'results'), { recursive: true });
    writeFileSync(
      join(__dirname, 'results', 'clamd-throughput.json'),
      `${JSON.stringify(result, null, 2)}\n`,
    );
    console.log(JSON.stringify(result, null, 2));
  } finally {
    await clamd.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
