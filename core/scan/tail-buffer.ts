/** Keeps the last `capacity` bytes of a stream without copying every chunk. */
export class TailBuffer {
  private chunks: Uint8Array[] = [];
  private length = 0;

  constructor(private readonly capacity: number) {}

  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.length += chunk.length;
    // Drop whole chunks that are no longer needed; the remainder is trimmed when read.
    while (this.chunks.length > 1 && this.length - this.chunks[0]!.length >= this.capacity) {
      this.length -= this.chunks.shift()!.length;
    }
    if (this.chunks.length === 1 && this.length > this.capacity * 4) {
      // One huge chunk: keep a copy of its end only, so the chunk itself can be released.
      const only = this.chunks[0]!;
      this.chunks = [only.slice(only.length - this.capacity)];
      this.length = this.capacity;
    }
  }

  /** The last `capacity` bytes (fewer if the stream was shorter). */
  read(): Buffer {
    const all = Buffer.concat(this.chunks);
    return all.subarray(Math.max(0, all.length - this.capacity));
  }
}
