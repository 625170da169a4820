/**
 * Built-in engine throughput next to plain SHA-256 over the same bytes: on bytes of no known type, and on the same
 * bytes as a valid WAV upload (the engine as uploads get it: type allowlist, WAV structure walk, embedded-archive
 * candidates), plus the speed of the costliest structure walk (FLAC's CRC-16 over every frame byte).
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

import { createBuiltinEngine } from '../core/scan/builtin-engine';
import { scanStream } from '../core/scan/scan-stream';
import type { Timing } from './support/random-stream';
import { argument, MiB, randomSource, round } from './support/random-stream';
import { wavHeader } from './support/wav-file';

const totalBytes = argument('bytes', 1024 * MiB);
const chunkBytes = argument('chunk', 64 * 1024);
const runs = argument('runs', 3);
const source = randomSource(totalBytes, chunkBytes);
const randomStream = (timing: Timing) => source.stream(timing);

/** The same random bytes behind a 44-byte WAV header whose sizes cover them: a valid upload of an allowed type. */
const WAV_HEADER = wavHeader(totalBytes);
async function* wavStream(timing: Timing): AsyncGenerator<Uint8Array> {
  yield WAV_HEADER;
  yield* randomStream(timing);
}

/** FLAC metadata (a last STREAMINFO block) and a frame sync, then the random bytes: the CRC-16 walk's cost. */
const FLAC_HEAD = Buffer.concat([
  Buffer.from('fLaC'),
  Buffer.from([0x80, 0, 0, 34]),
  Buffer.alloc(34),
  Buffer.from([0xff, 0xf8]),
]);
async function* flacStream(timing: Timing): AsyncGenerator<Uint8Array> {
  yield FLAC_HEAD;
  yield* randomStream(timing);
}

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
  const uploadEngine = createBuiltinEngine();
  const subject = { fileName: 'bench.bin', size: totalBytes };
  const wavSubject = { fileName: 'bench.wav', declaredContentType: 'audio/wav', size: totalBytes + 44 };

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
    shaWav: async (timing: Timing): Promise<string> => {
      const hash = createHash('sha256');
      for await (const chunk of wavStream(timing)) hash.update(chunk);
      return hash.digest('hex');
    },
    pipelineWav: async (timing: Timing): Promise<string> => {
      const verdict = await scanStream(wavStream(timing), [uploadEngine], wavSubject);
      if (verdict.status !== 'CLEAN') throw new Error(`unexpected verdict ${JSON.stringify(verdict)}`);
      return verdict.sha256;
    },
    flacWalk: async (timing: Timing): Promise<string> => {
      // Random bytes are no FLAC frames: the verdict is SUSPICIOUS at the end; the walk's speed is what counts.
      await engine.scan(flacStream(timing), { fileName: 'bench.flac' });
      return '';
    },
  };
  const best: Record<keyof typeof passes, { ms: number; digest: string }> = {
    sha: { ms: Infinity, digest: '' },
    engineOnly: { ms: Infinity, digest: '' },
    pipeline: { ms: Infinity, digest: '' },
    shaWav: { ms: Infinity, digest: '' },
    pipelineWav: { ms: Infinity, digest: '' },
    flacWalk: { ms: Infinity, digest: '' },
  };
  for (let run = 0; run < runs; run++) {
    for (const name of Object.keys(passes) as (keyof typeof passes)[]) {
      const measured = await timed(passes[name]);
      if (measured.ms < best[name].ms) best[name] = measured;
    }
  }
  const { sha, engineOnly, pipeline, shaWav, pipelineWav, flacWalk } = best;
  if (pipeline.digest !== sha.digest) throw new Error('scanStream sha256 differs from plain sha256');
  if (pipelineWav.digest !== shaWav.digest)
    throw new Error('scanStream sha256 differs from plain sha256 (WAV)');

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
    wavSha256MiBps: round(mibPerSecond(shaWav.ms)),
    wavScanStreamWithSha256MiBps: round(mibPerSecond(pipelineWav.ms)),
    ratioWavScanStreamToSha256: round(shaWav.ms / pipelineWav.ms),
    flacStructureWalkMiBps: round(mibPerSecond(flacWalk.ms)),
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
