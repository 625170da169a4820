/**
 * Collects exactly `want` bytes from a stream of chunks for a fixed-size header, copying only those bytes. Used by
 * the archive walkers, which otherwise pass chunk bodies through without copying.
 */
export class ByteCollector {
  private parts: Uint8Array[] = [];
  private have = 0;
  private want = 0;

  /** Starts collecting `want` bytes. */
  reset(want: number): void {
    this.parts = [];
    this.have = 0;
    this.want = want;
  }

  /** Bytes still missing. */
  get missing(): number {
    return this.want - this.have;
  }

  /**
   * Takes what it needs from `chunk` at `offset`; returns how many bytes it took. `complete` tells whether the
   * header is whole.
   */
  take(chunk: Uint8Array, offset: number): number {
    const n = Math.min(this.want - this.have, chunk.length - offset);
    if (n > 0) {
      this.parts.push(chunk.slice(offset, offset + n));
      this.have += n;
    }
    return n;
  }

  get complete(): boolean {
    return this.have >= this.want;
  }

  /** The collected bytes (call once complete). */
  bytes(): Buffer {
    return this.parts.length === 1 ? Buffer.from(this.parts[0]!) : Buffer.concat(this.parts);
  }
}
