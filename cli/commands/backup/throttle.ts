import { Transform, type TransformCallback } from 'stream';
import { UsageError } from '../../shared/usage-error';

/**
 * Pacing for a byte rate: each piece of `n` bytes may leave once the previous pieces have had their time
 * (`n / rate`). Pure: it only computes waits; the Transform below sleeps them. A short burst (the first
 * `burstMs` worth of bytes) goes out at once so small files are not slowed down.
 */
export class BytePacer {
  private readonly msPerByte: number;
  private readonly burstMs: number;
  /** When the bytes reserved so far will have been sent at the target rate (ms, same clock as `nowMs`). */
  private availableAt: number | undefined;

  constructor(
    readonly bytesPerSecond: number,
    options: { readonly burstMs?: number } = {},
  ) {
    if (!(bytesPerSecond > 0)) throw new RangeError('the byte rate must be positive');
    this.msPerByte = 1000 / bytesPerSecond;
    this.burstMs = options.burstMs ?? 100;
  }

  /**
   * Reserves `bytes` at `nowMs`; returns how long to wait before sending them. Idle time builds up credit of at
   * most `burstMs`, so over any period T at most `rate × (T + burstMs)` bytes go out.
   */
  reserve(bytes: number, nowMs: number): number {
    const start = Math.max(nowMs - this.burstMs, this.availableAt ?? nowMs - this.burstMs);
    this.availableAt = start + bytes * this.msPerByte;
    return Math.max(0, this.availableAt - nowMs);
  }
}

/** Largest piece passed on at once: a tenth of a second at the target rate (at least 1 KiB). */
export function pieceSize(bytesPerSecond: number): number {
  return Math.max(1024, Math.floor(bytesPerSecond / 10));
}

export interface ThrottleOptions {
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
}

/** A Transform that passes bytes on at no more than `bytesPerSecond` on average. */
export function createThrottleStream(bytesPerSecond: number, options: ThrottleOptions = {}): Transform {
  const pacer = new BytePacer(bytesPerSecond);
  const now = options.now ?? (() => performance.now());
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const piece = pieceSize(bytesPerSecond);
  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      const send = async (): Promise<void> => {
        for (let offset = 0; offset < chunk.length; offset += piece) {
          const part = chunk.subarray(offset, Math.min(chunk.length, offset + piece));
          const wait = pacer.reserve(part.length, now());
          if (wait > 0) await sleep(wait);
          this.push(part);
        }
      };
      send().then(() => callback(), callback);
    },
  });
}

/** `--max-bandwidth` in bytes per second; suffixes k, M, G (powers of 1024) are accepted, e.g. 512k, 10M. */
export function parseByteRate(text: string, flag = '--max-bandwidth'): number {
  const value = parseByteSize(text, flag);
  if (value < 1024) throw new UsageError(`${flag} must be at least 1024 bytes per second, got '${text}'`);
  return value;
}

/** A byte count with an optional k/M/G suffix (powers of 1024). */
export function parseByteSize(text: string, flag: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([kmg]?)i?b?$/i.exec(text.trim());
  if (!match)
    throw new UsageError(`${flag} must be a number of bytes (suffix k, M or G allowed), got '${text}'`);
  const scale = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[
    match[2]!.toLowerCase() as '' | 'k' | 'm' | 'g'
  ];
  return Math.floor(Number(match[1]) * scale);
}
