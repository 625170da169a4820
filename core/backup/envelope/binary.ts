/**
 * Byte plumbing of the envelope streams: a FIFO of chunks that copies only what it hands out (ByteQueue), and the
 * big-endian writer and bounds-checked reader of the header fields (a read past the end is EnvelopeFormatError).
 */
import { EnvelopeFormatError } from './format';

/** FIFO of buffers that copies only what it hands out. */
export class ByteQueue {
  private chunks: Buffer[] = [];
  length = 0;

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.length += chunk.length;
  }

  /** Everything queued, as one buffer (compacts the queue). */
  peek(): Buffer {
    if (this.chunks.length > 1) this.chunks = [Buffer.concat(this.chunks)];
    return this.chunks[0] ?? Buffer.alloc(0);
  }

  take(count: number): Buffer {
    const out = Buffer.allocUnsafe(count);
    let filled = 0;
    while (filled < count) {
      const head = this.chunks[0]!;
      const used = Math.min(head.length, count - filled);
      head.copy(out, filled, 0, used);
      filled += used;
      if (used === head.length) this.chunks.shift();
      else this.chunks[0] = head.subarray(used);
    }
    this.length -= count;
    return out;
  }
}

export class Writer {
  private readonly parts: Buffer[] = [];
  u8(value: number): void {
    const b = Buffer.alloc(1);
    b.writeUInt8(value);
    this.parts.push(b);
  }
  u16(value: number): void {
    const b = Buffer.alloc(2);
    b.writeUInt16BE(value);
    this.parts.push(b);
  }
  u32(value: number): void {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(value);
    this.parts.push(b);
  }
  bytes(value: Buffer): void {
    this.parts.push(value);
  }
  blob(value: Buffer): void {
    this.u16(value.length);
    this.bytes(value);
  }
  string(value: string): void {
    this.blob(Buffer.from(value, 'utf8'));
  }
  toBuffer(): Buffer {
    return Buffer.concat(this.parts);
  }
}

export class Reader {
  private offset = 0;
  constructor(private readonly buffer: Buffer) {}
  private need(count: number): void {
    if (this.offset + count > this.buffer.length) throw new EnvelopeFormatError('envelope header truncated');
  }
  u8(): number {
    this.need(1);
    return this.buffer.readUInt8(this.offset++);
  }
  u16(): number {
    this.need(2);
    const value = this.buffer.readUInt16BE(this.offset);
    this.offset += 2;
    return value;
  }
  u32(): number {
    this.need(4);
    const value = this.buffer.readUInt32BE(this.offset);
    this.offset += 4;
    return value;
  }
  bytes(count: number): Buffer {
    this.need(count);
    const value = Buffer.from(this.buffer.subarray(this.offset, this.offset + count));
    this.offset += count;
    return value;
  }
  blob(): Buffer {
    return this.bytes(this.u16());
  }
  string(): string {
    return this.blob().toString('utf8');
  }
  end(): void {
    if (this.offset !== this.buffer.length)
      throw new EnvelopeFormatError('unexpected bytes after the envelope header');
  }
}
