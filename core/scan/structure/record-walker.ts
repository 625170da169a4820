import { ByteCollector } from '../byte-collector';
import type { ContentSink } from '../inspection-state';

/** Receives the one structural problem a walker finds (it stops at the first). */
export type StructureReport = (detail: string) => void;

/**
 * Base of the streaming structure walkers: reads fixed-size headers (`read`), skips record bodies without
 * copying them (`skip`), or hands raw bytes to the subclass (`scan`, for formats whose records have no length,
 * such as JPEG entropy-coded data). Subclasses call these from `start` and from their callbacks; they report the
 * first problem with `fail` and declare the end of the format with `finished`, after which any byte is trailing
 * data. Memory is the largest header read, whatever the file size.
 */
export abstract class RecordWalker implements ContentSink {
  /** Offset in the file of the next byte the walker has not consumed. */
  protected offset = 0;
  private readonly collector = new ByteCollector();
  private onRead: ((bytes: Buffer) => void) | undefined;
  private skipping = 0;
  private afterSkip: (() => void) | undefined;
  private observe: ((bytes: Uint8Array) => void) | undefined;
  private scanning = false;
  private ended = false;
  private failed = false;
  /** Set by `read(…, boundary = true)`: the file may legally end before this read. */
  private atBoundary = false;
  private what = '';

  constructor(
    /** Name used in reasons: `PNG`, `WAV (RIFF)`. */
    protected readonly format: string,
    private readonly report: StructureReport,
  ) {}

  /** Called once, before the first byte. */
  protected abstract start(): void;

  /** The file ended at a record boundary (a boundary read had no byte yet); fail here if it may not. */
  protected abstract endAtBoundary(): void;

  /** Raw bytes while in `scan` mode; returns how many it consumed (the rest goes to the next step). */
  protected scanBytes(chunk: Uint8Array, at: number): number {
    void chunk;
    return chunk.length - at;
  }

  /** Called at the end of the file while in `scan` mode. */
  protected endScan(): void {
    this.fail(`${this.format} is truncated`);
  }

  private started = false;

  write(chunk: Uint8Array): void {
    if (!this.started) {
      this.started = true;
      this.start();
    }
    let at = 0;
    while (at < chunk.length && !this.failed) {
      if (this.ended) {
        this.fail(`data after the end of the ${this.format} at byte offset ${this.offset}`);
        return;
      }
      if (this.skipping > 0) {
        const n = Math.min(this.skipping, chunk.length - at);
        this.observe?.(chunk.subarray(at, at + n));
        this.skipping -= n;
        this.offset += n;
        at += n;
        if (this.skipping === 0) this.afterSkip?.();
      } else if (this.scanning) {
        const n = this.scanBytes(chunk, at);
        this.offset += n;
        at += n;
      } else if (this.onRead) {
        const n = this.collector.take(chunk, at);
        this.offset += n;
        at += n;
        if (this.collector.complete) {
          const then = this.onRead;
          this.onRead = undefined;
          then(this.collector.bytes());
        }
      } else {
        this.fail(`internal: no step after byte offset ${this.offset}`);
      }
    }
  }

  end(): void {
    if (!this.started) return;
    if (this.failed || this.ended) return;
    if (this.scanning) return this.endScan();
    if (this.onRead && this.atBoundary && this.collector.missing === this.wantOf())
      return this.endAtBoundary();
    this.fail(`${this.format} is truncated: ${this.what || 'a record'} ends beyond the end of the file`);
  }

  private wanted = 0;
  private wantOf(): number {
    return this.wanted;
  }

  /** Reads the next `n` bytes, then calls `then`. `boundary`: the file may end cleanly before this read. */
  protected read(n: number, what: string, then: (bytes: Buffer) => void, boundary = false): void {
    this.scanning = false;
    this.what = what;
    this.atBoundary = boundary;
    this.wanted = n;
    this.collector.reset(n);
    this.onRead = then;
    if (n === 0) {
      this.onRead = undefined;
      then(Buffer.alloc(0));
    }
  }

  /**
   * Skips the next `n` bytes (a record body), then calls `then`. `observe` sees the skipped bytes in place (for
   * a checksum) without copying them.
   */
  protected skip(n: number, what: string, then: () => void, observe?: (bytes: Uint8Array) => void): void {
    this.scanning = false;
    this.what = what;
    this.atBoundary = false;
    this.observe = observe;
    if (n <= 0) return then();
    this.skipping = n;
    this.afterSkip = then;
  }

  /** Hands the following bytes to `scanBytes` until it calls `read` or `skip`. */
  protected scan(what: string): void {
    this.what = what;
    this.scanning = true;
  }

  /** The format ended: any further byte is trailing data. */
  protected finished(): void {
    this.scanning = false;
    this.ended = true;
  }

  protected fail(detail: string): void {
    if (this.failed) return;
    this.failed = true;
    this.scanning = false;
    this.report(detail);
  }

  protected get hasFailed(): boolean {
    return this.failed;
  }
}

/** True when all four bytes are printable ASCII (a box or chunk type). */
export function isFourCC(bytes: Buffer, at: number): boolean {
  for (let i = at; i < at + 4; i++) {
    const b = bytes[i]!;
    if (b < 0x20 || b > 0x7e) return false;
  }
  return true;
}
