import { createHash, randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';

import { FormatError } from '../../../../core/backup/verify/format-error';
import { gzipOutcome, validateGzip } from '../../../../core/backup/verify/format-validators';
import {
  canInflateIntoReusedBuffer,
  OffThreadSha256,
  type OffThreadGunzip,
} from '../../../../core/backup/verify/off-thread-sha256';

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

describe('OffThreadSha256', () => {
  let hasher: OffThreadSha256 | undefined;

  afterEach(async () => {
    await hasher?.destroy();
    hasher = undefined;
  });

  it('hashes every byte in order across slot boundaries, with chunks smaller and larger than a slot', async () => {
    // Arrange
    const bytes = randomBytes(100_003);
    hasher = new OffThreadSha256({ slotBytes: 4096, slots: 2 });
    const sizes = [1, 4095, 4096, 4097, 20_000, 0, 3];

    // Act
    let offset = 0;
    for (let index = 0; offset < bytes.length; index++) {
      const size = sizes[index % sizes.length]!;
      const chunk = bytes.subarray(offset, offset + size);
      await hasher.update(chunk);
      offset += chunk.length;
    }
    const digest = await hasher.digest();

    // Assert
    expect(digest).toBe(sha256(bytes));
  });

  it('copies each chunk before resolving: reusing the caller buffer afterwards does not change the hash', async () => {
    // Arrange
    const first = randomBytes(10_000);
    const second = randomBytes(10_000);
    const reused = Buffer.from(first);
    hasher = new OffThreadSha256({ slotBytes: 1024, slots: 3 });

    // Act
    await hasher.update(reused);
    second.copy(reused);
    await hasher.update(reused);
    const digest = await hasher.digest();

    // Assert
    expect(digest).toBe(sha256(Buffer.concat([first, second])));
  });

  it('detects a single flipped byte in a stream of many slots (nothing is skipped)', async () => {
    // Arrange
    const bytes = randomBytes(64 * 1024);
    const tampered = Buffer.from(bytes);
    tampered[50_000] = tampered[50_000]! ^ 1;
    hasher = new OffThreadSha256({ slotBytes: 1000, slots: 2 });

    // Act
    await hasher.update(tampered);
    const digest = await hasher.digest();

    // Assert
    expect(digest).not.toBe(sha256(bytes));
    expect(digest).toBe(sha256(tampered));
  });

  it('hashes nothing to the SHA-256 of no bytes', async () => {
    // Arrange
    hasher = new OffThreadSha256();

    // Act
    const digest = await hasher.digest();

    // Assert
    expect(digest).toBe(sha256(Buffer.alloc(0)));
  });

  it('rejects instead of returning a digest when the worker dies mid-stream', async () => {
    // Arrange
    hasher = new OffThreadSha256({ slotBytes: 1024, slots: 1 });
    await hasher.update(randomBytes(1024));
    const worker = (hasher as unknown as { worker: { terminate(): Promise<number> } }).worker;

    // Act
    await worker.terminate();

    // Assert
    await expect(
      (async () => {
        await hasher!.update(randomBytes(4096));
        return hasher!.digest();
      })(),
    ).rejects.toThrow(/worker exited early/);
  });

  it('with gunzip, inflates every byte to the end and still hashes the stored bytes', async () => {
    // Arrange
    const plain = randomBytes(300_000);
    const gzip = gzipSync(plain, { level: 1 });
    hasher = new OffThreadSha256({ slotBytes: 4096, slots: 2, gunzipChunkBytes: 8192 });

    // Act
    for (let offset = 0; offset < gzip.length; offset += 1000) {
      await hasher.update(gzip.subarray(offset, offset + 1000));
    }
    const result = await hasher.finish();

    // Assert
    expect(result).toEqual({ digest: sha256(gzip), gunzip: { inflatedBytes: plain.length } });
  });

  it('with gunzip, reports a truncated gzip as zlib error and still hashes every byte it was given', async () => {
    // Arrange
    const gzip = gzipSync(randomBytes(100_000), { level: 1 });
    const truncated = gzip.subarray(0, gzip.length - 20);
    hasher = new OffThreadSha256({ slotBytes: 4096, slots: 2, gunzipChunkBytes: 8192 });

    // Act
    await hasher.update(truncated);
    const result = await hasher.finish();

    // Assert
    expect(result.digest).toBe(sha256(truncated));
    expect(result.gunzip?.error).toEqual({ message: 'unexpected end of file', code: 'Z_BUF_ERROR' });
  });

  it('with gunzip, reports corrupt data early and keeps hashing (no slot stays held, no hang)', async () => {
    // Arrange
    const bytes = randomBytes(50_000);
    hasher = new OffThreadSha256({ slotBytes: 1024, slots: 2, gunzipChunkBytes: 8192 });

    // Act
    await hasher.update(bytes);
    const result = await hasher.finish();

    // Assert
    expect(result.digest).toBe(sha256(bytes));
    expect(result.gunzip?.error?.code).toBe('Z_DATA_ERROR');
  });

  it('rejects bad ring sizes', () => {
    // Arrange, Act, Assert
    expect(() => new OffThreadSha256({ slotBytes: 0 })).toThrow(RangeError);
    expect(() => new OffThreadSha256({ slots: 1.5 })).toThrow(RangeError);
  });
});

/** `bytes` in chunks of `size`, each copied into its own shared memory (as the ranged reader's transient chunks). */
function sharedChunks(bytes: Uint8Array, size: number): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  for (let offset = 0; offset < bytes.length; offset += size) {
    const part = bytes.subarray(offset, offset + size);
    const shared = new Uint8Array(new SharedArrayBuffer(part.length));
    shared.set(part);
    chunks.push(shared);
  }
  return chunks;
}

/** What validateGzip (the inline check, a zlib stream) says about `bytes`: the verdict the worker must match. */
async function inlineGzipVerdict(bytes: Buffer): Promise<string> {
  async function* chunks() {
    for (let offset = 0; offset < bytes.length; offset += 3000) yield bytes.subarray(offset, offset + 3000);
  }
  try {
    return (await validateGzip(chunks())).detail;
  } catch (error) {
    if (error instanceof FormatError) return `failed: ${error.message}`;
    throw error;
  }
}

function workerGzipVerdict(stored: number, gunzip: OffThreadGunzip | undefined): string {
  try {
    return gzipOutcome(stored, gunzip!.inflatedBytes, gunzip!.error).detail;
  } catch (error) {
    if (error instanceof FormatError) return `failed: ${error.message}`;
    throw error;
  }
}

describe('OffThreadSha256 with shared chunks and a reused inflate buffer', () => {
  let hasher: OffThreadSha256 | undefined;

  afterEach(async () => {
    await hasher?.destroy();
    hasher = undefined;
  });

  it('hashes shared chunks in place, in order with copied ones, and is done with each before update resolves', async () => {
    // Arrange: shared chunks interleaved with ordinary ones; each shared buffer is overwritten once update resolves.
    const bytes = randomBytes(200_000);
    hasher = new OffThreadSha256({ slotBytes: 4096, slots: 2 });
    const parts = [bytes.subarray(0, 10_000), bytes.subarray(10_000, 50_001), bytes.subarray(50_001, 50_100)];
    parts.push(bytes.subarray(50_100, 120_000), bytes.subarray(120_000));

    // Act
    for (const [index, part] of parts.entries()) {
      if (index % 2 === 0) {
        await hasher.update(part);
        continue;
      }
      const [shared] = sharedChunks(part, part.length);
      await hasher.update(shared!);
      shared!.fill(0xee);
    }
    const digest = await hasher.digest();

    // Assert
    expect(digest).toBe(sha256(bytes));
  });

  it('inflates into one reused buffer by default on this Node', () => {
    // Arrange, Act
    hasher = new OffThreadSha256({ gunzipChunkBytes: 8192 });

    // Assert
    expect(canInflateIntoReusedBuffer()).toBe(true);
    expect(hasher.gunzipOutput).toBe('reused-buffer');
  });

  const plain = randomBytes(150_000);
  const gzip = gzipSync(plain, { level: 1 });
  const second = gzipSync(randomBytes(20_000), { level: 6 });
  const flipped = (bytes: Buffer, index: number) => {
    const copy = Buffer.from(bytes);
    copy[index] = copy[index]! ^ 0x5a;
    return copy;
  };
  const cases: [string, Buffer][] = [
    ['a whole gzip', gzip],
    ['a compressible gzip', gzipSync(Buffer.alloc(300_000, 'stowage '), { level: 9 })],
    ['a gzip cut in its header', gzip.subarray(0, 5)],
    ['a gzip cut in its data', gzip.subarray(0, 70_000)],
    ['a gzip cut in its trailer', gzip.subarray(0, gzip.length - 3)],
    ['a flipped data byte', flipped(gzip, 60_000)],
    ['a flipped CRC-32 byte', flipped(gzip, gzip.length - 6)],
    ['a flipped length byte', flipped(gzip, gzip.length - 2)],
    ['two members', Buffer.concat([gzip, second])],
    ['trailing zero padding', Buffer.concat([gzip, Buffer.alloc(700)])],
    ['trailing garbage', Buffer.concat([gzip, Buffer.from('not gzip at all')])],
    ['bytes that are not gzip', randomBytes(9000)],
    ['a single byte', Buffer.from([0x1f])],
  ];

  it.each(cases)(
    'gives the same verdict and message as the inline gzip check for %s, both ways of inflating',
    async (_name, bytes) => {
      // Arrange
      const expected = await inlineGzipVerdict(bytes);
      const results: { output: string; verdict: string; digest: string }[] = [];

      // Act: shared chunks of a range's size, and small ordinary chunks through the ring.
      for (const gunzipOutput of ['reused-buffer', 'stream'] as const) {
        for (const shared of [true, false]) {
          hasher = new OffThreadSha256({ slotBytes: 4096, slots: 2, gunzipChunkBytes: 8192, gunzipOutput });
          for (const chunk of shared
            ? sharedChunks(bytes, 32_768)
            : sharedChunks(bytes, 1000).map(Buffer.from)) {
            await hasher.update(chunk);
          }
          const result = await hasher.finish();
          results.push({
            output: `${gunzipOutput}${shared ? ' (shared)' : ''}`,
            verdict: workerGzipVerdict(bytes.length, result.gunzip),
            digest: result.digest,
          });
          await hasher.destroy();
          hasher = undefined;
        }
      }

      // Assert
      for (const result of results) {
        expect(result).toEqual({ output: result.output, verdict: expected, digest: sha256(bytes) });
      }
    },
  );

  it('rejects a shared chunk that waits when the worker dies', async () => {
    // Arrange
    hasher = new OffThreadSha256({ gunzipChunkBytes: 8192 });
    const worker = (hasher as unknown as { worker: { terminate(): Promise<number> } }).worker;
    const [chunk] = sharedChunks(randomBytes(64 * 1024 * 1024), 64 * 1024 * 1024);

    // Act
    const pending = hasher.update(chunk!);
    await worker.terminate();

    // Assert
    await expect(pending).rejects.toThrow(/worker exited early/);
  });
});
