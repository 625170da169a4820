import { createCipheriv, randomBytes } from 'node:crypto';

/** Time spent generating data, to subtract from a measurement. */
export interface Timing {
  generationMs: number;
}

/**
 * A source of fresh pseudo-random bytes (AES-256-CTR of zeros under a random key: fast, incompressible, never a
 * repeat, so clamd's cache cannot make it look faster). Each call of `stream()` yields the same bytes again.
 */
export function randomSource(totalBytes: number, chunkBytes = 64 * 1024) {
  const key = randomBytes(32);
  const iv = randomBytes(16);
  return {
    async *stream(timing: Timing = { generationMs: 0 }): AsyncGenerator<Uint8Array> {
      const cipher = createCipheriv('aes-256-ctr', key, iv);
      const zeros = Buffer.alloc(chunkBytes);
      for (let produced = 0; produced < totalBytes; produced += chunkBytes) {
        const started = process.hrtime.bigint();
        const chunk = cipher.update(zeros.subarray(0, Math.min(chunkBytes, totalBytes - produced)));
        timing.generationMs += Number(process.hrtime.bigint() - started) / 1e6;
        yield chunk;
      }
    },
  };
}

export const MiB = 1024 * 1024;

export function argument(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  if (index === -1) return fallback;
  const value = Number(process.argv[index + 1]);
  if (!Number.isSafeInteger(value) || value <= 0) throw new Error(`--${name} needs a positive integer`);
  return value;
}

export function round(value: number): number {
  return Math.round(value * 100) / 100;
}
