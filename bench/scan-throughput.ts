/**
 * Built-in engine throughput next to plain SHA-256 over the same bytes.
 *
 *   npx tsx bench/scan-throughput.ts [--bytes N] [--chunk N]
 *
 * Data: fresh pseudo-random bytes from AES-256-CTR under a random key (fast, incompressible, never repeated), in
 * chunks of --chunk bytes (default 64 KiB). Each pass regenerates the same stream from the same key; generation
 * time is measured and subtracted, so the figures are for hashing / scanning only. Each pass runs --runs times
 * (default 3), interleaved, and the best time counts. Writes bench/results/scan-throughput.json.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { createBuiltinEngine } from '../lambda/shared/scan/builtin-engine';
import { scanStream } from '../lambda/shared/scan/scan-stream';
import type { Timing } from './support/random-stream';
import { argument, MiB, randomSource, round } from './support/random-stream';

const totalBytes = argument('bytes', 1024 * MiB);
const chunkBytes = argument('chunk', 64 * 1024);
const runs = argument('runs', 3);
const source = randomSource(totalBytes, chunkBytes);
const randomStream = (timing: Timing) => source.stream(timing);

async function timed(run: (timing: Timing) => Promise<string>): Promise<{ ms: number; digest: string }> {
  const timing: Timing = { generationMs: 0 };
  const started = process.hrtime.bigint();
  const digest = await run(timing);
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  return { ms: wallMs - timing.generationMs, digest };
}

const mibPerSecond = (ms: number): number => totalBytes / MiB / (ms / 1000);

async function main(): Promise<void> {
  const engine = createBuiltinEngine({ allowedTypes: 'any' });
  const subject = { fileName: 'bench.bin', size: totalBytes };

  const passes = {
    sha: async (timing: Timing): Promise<string> => {
      const hash = createHash('sha256');
      for await (const chunk of randomStream(timing)) hash.update(chunk);
      return hash.digest('hex');
    },
    engineOnly: async (timing: Timing): Promise<string> => {
      const verdict = await engine.scan(randomStream(timing), subject);
      if (verdict.status !== 'CLEAN') throw new Error(`unexpected verdict ${JSON.stringify(verdict)}`);
      return '';
    },
    pipeline: async (timing: Timing): Promise<string> => {
      const verdict = await scanStream(randomStream(timing), [engine], subject);
      if (verdict.status !== 'CLEAN') throw new Error(`unexpected verdict ${JSON.stringify(verdict)}`);
      return verdict.sha256;
    },
  };
  const best: Record<keyof typeof passes, { ms: number; digest: string }> = {
    sha: { ms: Infinity, digest: '' },
    engineOnly: { ms: Infinity, digest: '' },
    pipeline: { ms: Infinity, digest: '' },
  };
  for (let run = 0; run < runs; run++) {
    for (const name of Object.keys(passes) as (keyof typeof passes)[]) {
      const measured = await timed(passes[name]);
      if (measured.ms < best[name].ms) best[name] = measured;
    }
  }
  const { sha, engineOnly, pipeline } = best;
  if (pipeline.digest !== sha.digest) throw new Error('scanStream sha256 differs from plain sha256');

  const result = {
    bytes: totalBytes,
    chunkBytes,
    runs,
    node: process.version,
    cpus: (await import('node:os')).cpus().length,
    sha256MiBps: round(mibPerSecond(sha.ms)),
    builtinEngineMiBps: round(mibPerSecond(engineOnly.ms)),
    scanStreamWithSha256MiBps: round(mibPerSecond(pipeline.ms)),
    ratioEngineToSha256: round(sha.ms / engineOnly.ms),
    ratioScanStreamToSha256: round(sha.ms / pipeline.ms),
    target: 0.7,
    peakRssMiB: round(process.resourceUsage().maxRSS / 1024),
    sha256: sha.digest,
    measuredAt: new Date().toISOString(),
  };
  const directory = join(__dirname, 'results');
  mkdirSync(directory, { recursive: true });
  writeFileSync(join(directory, 'scan-throughput.json'), `${JSON.stringify(result, null, 2)}\n`);
  console.log(JSON.stringify(result, null, 2));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
