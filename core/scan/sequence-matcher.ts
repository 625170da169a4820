/**
 * Finds a byte sequence in a stream of chunks, including occurrences split across chunk boundaries. Between chunks
 * it keeps only the last `needle.length - 1` bytes, so memory does not depend on the stream length, and it never
 * copies a whole chunk: the body of each chunk is searched in place with `Buffer#indexOf`.
 */
export class SequenceMatcher {
  private readonly needle: Buffer;
  private tail: Buffer = Buffer.alloc(0);
  private found = false;

  constructor(needle: Uint8Array) {
    if (needle.length === 0) throw new RangeError('needle must not be empty');
    this.needle = Buffer.from(needle);
  }

  /** True once the sequence was seen. */
  get matched(): boolean {
    return this.found;
  }

  /** Feeds the next chunk; returns true once the sequence has been seen (in this or an earlier chunk). */
  push(chunk: Uint8Array): boolean {
    if (this.found || chunk.length === 0) return this.found;
    const keep = this.needle.length - 1;
    const body = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
    if (this.tail.length > 0) {
      // Occurrences that start in the tail end within the first `keep` bytes of this chunk.
      const seam = Buffer.concat([this.tail, body.subarray(0, keep)]);
      if (seam.indexOf(this.needle) !== -1) return (this.found = true);
    }
    if (body.indexOf(this.needle) !== -1) return (this.found = true);
    if (keep === 0) return false;
    if (body.length >= keep) {
      this.tail = Buffer.from(body.subarray(body.length - keep));
    } else {
      const joined = Buffer.concat([this.tail, body]);
      this.tail = joined.subarray(Math.max(0, joined.length - keep));
    }
    return false;
  }
}
