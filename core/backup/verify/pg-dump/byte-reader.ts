import { FormatError } from '../format-error';

/**
 * Pull-based reader over a chunk stream for binary parsers: reads exact byte counts across chunk boundaries and
 * skips without buffering, so a parser holds at most the field it is reading. Running out of bytes mid-field is a
 * FormatError naming the field (a truncated file).
 */
export class ByteReader {
  private chunk: Uint8Array = new Uint8Array(0);
  private offset = 0;
  private done = false;
  /** Bytes consumed so far. */
  position = 0;

  constructor(private readonly source: AsyncIterator<Uint8Array>) {}

  /**
   * The unread bytes of the current chunk (possibly none), for parsers that decode several fields at once without
   * a promise per field; `advance` consumes them.
   */
  buffered(): Uint8Array {
    return this.chunk.subarray(this.offset);
  }

  /** Consumes `length` bytes of `buffered()`. */
  advance(length: number): void {
    if (length > this.chunk.length - this.offset) throw new RangeError('advance past the buffered bytes');
    this.offset += length;
    this.position += length;
  }

  /** True when every byte has been consumed. */
  async atEnd(): Promise<boolean> {
    return !(await this.fill());
  }

  /** One byte, or undefined at the end of the input. */
  async readByteOrEnd(): Promise<number | undefined> {
    if (!(await this.fill())) return undefined;
    this.position++;
    return this.chunk[this.offset++];
  }

  async readByte(what: string): Promise<number> {
    const byte = await this.readByteOrEnd();
    if (byte === undefined) throw this.truncated(what);
    return byte;
  }

  /** Exactly `length` bytes (copied). */
  async readBytes(length: number, what: string): Promise<Buffer> {
    const out = Buffer.allocUnsafe(length);
    let filled = 0;
    while (filled < length) {
      if (!(await this.fill())) throw this.truncated(what);
      const take = Math.min(length - filled, this.chunk.length - this.offset);
      out.set(this.chunk.subarray(this.offset, this.offset + take), filled);
      this.offset += take;
      filled += take;
      this.position += take;
    }
    return out;
  }

  /** Skips exactly `length` bytes. */
  async skip(length: number, what: string): Promise<void> {
    let left = length;
    while (left > 0) {
      if (!(await this.fill())) throw this.truncated(what);
      const take = Math.min(left, this.chunk.length - this.offset);
      this.offset += take;
      left -= take;
      this.position += take;
    }
  }

  /**
   * Hands on exactly `length` bytes as views into the source's chunks (no copy), in order. The views stay valid
   * as long as the source does not reuse its chunks.
   */
  async readSlices(
    length: number,
    what: string,
    onSlice: (slice: Uint8Array) => Promise<void>,
  ): Promise<void> {
    let left = length;
    while (left > 0) {
      if (!(await this.fill())) throw this.truncated(what);
      const take = Math.min(left, this.chunk.length - this.offset);
      const slice = this.chunk.subarray(this.offset, this.offset + take);
      this.offset += take;
      left -= take;
      this.position += take;
      await onSlice(slice);
    }
  }

  /** Consumes the rest of the input; returns how many bytes it had. */
  async skipToEnd(): Promise<number> {
    let skipped = 0;
    while (await this.fill()) {
      const take = this.chunk.length - this.offset;
      this.offset += take;
      this.position += take;
      skipped += take;
    }
    return skipped;
  }

  private truncated(what: string): FormatError {
    return new FormatError(`truncated: the file ends at byte ${this.position} while reading ${what}`);
  }

  /** Makes at least one unread byte available; false at the end of the input. */
  private async fill(): Promise<boolean> {
    while (this.offset >= this.chunk.length) {
      if (this.done) return false;
      const next = await this.source.next();
      if (next.done) {
        this.done = true;
        return false;
      }
      this.chunk = next.value;
      this.offset = 0;
    }
    return true;
  }
}
