import { createHash, randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';

import { OffThreadSha256 } from '../../../../../lambda/shared/backup/verify/off-thread-sha256';

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
