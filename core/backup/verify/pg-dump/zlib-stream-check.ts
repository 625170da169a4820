import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import { createInflate, type Inflate } from 'node:zlib';

import { FormatError } from '../format-error';

/** Output size of each inflate step (zlib's default 16 KiB spends most of the time in per-step overhead). */
const INFLATE_CHUNK_BYTES = 256 * 1024;
/**
 * Compressed bytes handed to zlib at once. pg_dump writes a data block as chunks of about 4 KiB; one zlib step per
 * chunk would cost a thread-pool round trip each.
 */
const BATCH_BYTES = 1024 * 1024;

/**
 * Inflates one zlib stream (a custom-format data block or large object, as pg_restore's ReadDataFromArchiveZlib
 * does) and throws FormatError naming `what` when it is corrupt or ends before zlib's end-of-stream: pg_restore
 * fails on both ("could not uncompress data"). The inflated bytes are counted and dropped.
 */
export class ZlibStreamCheck {
  private readonly inflate: Inflate;
  private batch: Uint8Array[] = [];
  private batchBytes = 0;
  /** Bytes inflated so far. */
  inflatedBytes = 0;

  constructor(private readonly what: string) {
    this.inflate = createInflate({ chunkSize: INFLATE_CHUNK_BYTES });
    this.inflate.on('data', (chunk: Buffer) => (this.inflatedBytes += chunk.length));
  }

  /** Adds compressed bytes. The caller must not change `bytes` afterwards (the reader's chunks are not reused). */
  async write(bytes: Uint8Array): Promise<void> {
    if (this.add(bytes)) await this.flush();
  }

  /** Adds compressed bytes without waiting; true when a batch is full and `flush` must be awaited. */
  add(bytes: Uint8Array): boolean {
    this.batch.push(bytes);
    this.batchBytes += bytes.length;
    return this.batchBytes >= BATCH_BYTES;
  }

  /** Ends the stream; resolves with the inflated size when zlib reached the end of a whole stream. */
  async end(): Promise<number> {
    try {
      await this.flush();
      this.inflate.end();
      await finished(this.inflate);
    } catch (error) {
      throw this.asFormatError(error);
    }
    return this.inflatedBytes;
  }

  /** Stops inflating (after a failure elsewhere). */
  destroy(): void {
    this.inflate.destroy();
  }

  /** Hands the batch to zlib, waiting while zlib's input is full. */
  async flush(): Promise<void> {
    if (this.batchBytes === 0) return;
    const bytes = this.batch.length === 1 ? this.batch[0]! : Buffer.concat(this.batch, this.batchBytes);
    this.batch = [];
    this.batchBytes = 0;
    try {
      if (!this.inflate.write(bytes)) await once(this.inflate, 'drain');
    } catch (error) {
      throw this.asFormatError(error);
    }
  }

  private asFormatError(error: unknown): unknown {
    const { code, message } = (typeof error === 'object' && error !== null ? error : {}) as {
      code?: unknown;
      message?: unknown;
    };
    if (typeof code !== 'string' || !code.startsWith('Z_') || typeof message !== 'string') return error;
    const why = code === 'Z_BUF_ERROR' ? 'the compressed data ends before its end-of-stream' : message;
    return new FormatError(`corrupt archive: could not uncompress ${this.what}: ${why} (${code})`, {
      cause: error,
    });
  }
}
