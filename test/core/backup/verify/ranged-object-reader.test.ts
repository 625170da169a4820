import { createHash } from 'node:crypto';
import { types } from 'node:util';

import { GetObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';

import { ObjectReadError } from '../../../../core/backup/verify/object-read-error';
import { hasTransientChunks, readObjectInOrder } from '../../../../core/backup/verify/ranged-object-reader';
import { bodyStream, noise } from './fake-backups-bucket';

const s3Mock = mockClient(S3Client);
const s3 = new S3Client({ region: 'eu-west-1' });
const OBJECT = noise(10_000, 7);

beforeEach(() => s3Mock.reset());

async function sha256Of(chunks: AsyncIterable<Uint8Array>): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of chunks) hash.update(chunk);
  return hash.digest('hex');
}

/** S3's throttling answer, as the SDK raises it. */
function slowDownError(): S3ServiceException {
  return new S3ServiceException({ name: 'SlowDown', $fault: 'server', $metadata: {}, message: 'Slow Down' });
}

describe('readObjectInOrder', () => {
  it('reassembles parallel ranges in order even when they complete out of order, with bounded ranges in flight', async () => {
    // Arrange: later ranges answer first; count how many are in flight at once.
    const completed: number[] = [];
    let inFlight = 0;
    let maxInFlight = 0;
    s3Mock.on(GetObjectCommand).callsFake(async (input) => {
      const [, start, end] = /^bytes=(\d+)-(\d+)$/.exec(input.Range)!.map(Number) as [number, number, number];
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 40 - Math.floor(start / 1000) * 4));
      inFlight--;
      completed.push(start);
      return { Body: bodyStream(OBJECT.subarray(start, end + 1), 333) };
    });

    // Act
    const hash = await sha256Of(
      readObjectInOrder(
        s3,
        { bucket: 'b', key: 'k', size: OBJECT.length, versionId: 'v1' },
        { rangeBytes: 1000, concurrency: 4 },
      ),
    );

    // Assert
    expect(hash).toBe(createHash('sha256').update(OBJECT).digest('hex'));
    expect(completed).not.toEqual([...completed].sort((a, b) => a - b)); // really out of order
    expect(maxInFlight).toBe(4);
    const calls = s3Mock.commandCalls(GetObjectCommand).map((call) => call.args[0].input);
    expect(calls).toHaveLength(10);
    expect(calls.every((input) => input.VersionId === 'v1')).toBe(true);
    expect(calls[9]!.Range).toBe('bytes=9000-9999');
  });

  it('reads a small object with one plain GET pinned by its ETag', async () => {
    // Arrange
    s3Mock.on(GetObjectCommand).callsFake(() => ({ Body: bodyStream(OBJECT) }));

    // Act
    const hash = await sha256Of(
      readObjectInOrder(s3, { bucket: 'b', key: 'k', size: OBJECT.length, etag: '"e"' }),
    );

    // Assert
    expect(hash).toBe(createHash('sha256').update(OBJECT).digest('hex'));
    expect(s3Mock.commandCalls(GetObjectCommand)[0]!.args[0].input).toMatchObject({ IfMatch: '"e"' });
    expect(s3Mock.commandCalls(GetObjectCommand)[0]!.args[0].input.Range).toBeUndefined();
  });

  it('fails with ObjectReadError on a failed range, and on a short one', async () => {
    // Arrange
    const slowDown = slowDownError();
    s3Mock.on(GetObjectCommand).callsFake(async (input) => {
      if (input.Key === 'failing' && input.Range === 'bytes=1000-1999') throw slowDown;
      const [, start, end] = /^bytes=(\d+)-(\d+)$/.exec(input.Range)!.map(Number) as [number, number, number];
      return { Body: bodyStream(OBJECT.subarray(start, input.Key === 'short' ? start + 10 : end + 1)) };
    });
    const read = (key: string) =>
      sha256Of(readObjectInOrder(s3, { bucket: 'b', key, size: 3000 }, { rangeBytes: 1000 }));

    // Act
    const failing = read('failing');
    const short = read('short');

    // Assert
    await expect(failing).rejects.toThrow(
      'reading bytes 1000-1999 of failing failed: SlowDown (the server asks to slow down): Slow Down',
    );
    await expect(failing).rejects.toBeInstanceOf(ObjectReadError);
    await expect(short).rejects.toThrow('bytes 0-999 of short: received 10 of 1000');
  });
});

describe('readObjectInOrder(...).transientChunks()', () => {
  it('hands on each range whole, in order, from at most concurrency + 1 reused shared buffers', async () => {
    // Arrange: later ranges answer first.
    s3Mock.on(GetObjectCommand).callsFake(async (input) => {
      const [, start, end] = /^bytes=(\d+)-(\d+)$/.exec(input.Range)!.map(Number) as [number, number, number];
      await new Promise((resolve) => setTimeout(resolve, 40 - Math.floor(start / 1000) * 4));
      return { Body: bodyStream(OBJECT.subarray(start, end + 1), 333) };
    });
    const bytes = readObjectInOrder(
      s3,
      { bucket: 'b', key: 'k', size: OBJECT.length, versionId: 'v1' },
      { rangeBytes: 1000, concurrency: 3 },
    );

    // Act: copy each chunk before asking for the next (it is only valid until then).
    const copies: Buffer[] = [];
    const buffers = new Set<ArrayBufferLike>();
    let allShared = true;
    for await (const chunk of bytes.transientChunks()) {
      copies.push(Buffer.from(chunk));
      buffers.add(chunk.buffer);
      allShared &&= types.isSharedArrayBuffer(chunk.buffer);
    }

    // Assert
    expect(Buffer.concat(copies).equals(OBJECT)).toBe(true);
    expect(copies.map((copy) => copy.length)).toEqual(Array(10).fill(1000));
    expect(allShared).toBe(true);
    expect(buffers.size).toBe(4);
    expect(s3Mock.commandCalls(GetObjectCommand).every((call) => call.args[0].input.VersionId === 'v1')).toBe(
      true,
    );
  });

  it('fails as iterating does: a failed range, a short one and one longer than asked for', async () => {
    // Arrange
    const slowDown = slowDownError();
    s3Mock.on(GetObjectCommand).callsFake(async (input) => {
      if (input.Key === 'failing' && input.Range === 'bytes=1000-1999') throw slowDown;
      const [, start, end] = /^bytes=(\d+)-(\d+)$/.exec(input.Range)!.map(Number) as [number, number, number];
      const stop = input.Key === 'short' ? start + 10 : input.Key === 'long' ? end + 2 : end + 1;
      return { Body: bodyStream(OBJECT.subarray(start, stop)) };
    });
    const read = (key: string) =>
      sha256Of(
        readObjectInOrder(s3, { bucket: 'b', key, size: 3000 }, { rangeBytes: 1000 }).transientChunks(),
      );

    // Act
    const failing = read('failing');
    const short = read('short');
    const long = read('long');

    // Assert
    await expect(failing).rejects.toThrow(
      'reading bytes 1000-1999 of failing failed: SlowDown (the server asks to slow down): Slow Down',
    );
    await expect(failing).rejects.toBeInstanceOf(ObjectReadError);
    await expect(short).rejects.toThrow('bytes 0-999 of short: received 10 of 1000');
    await expect(long).rejects.toThrow(
      'reading bytes 0-999 of long failed: RangeError: the server sent more than the 1000 bytes asked for',
    );
  });

  it('reads a small object with one plain GET, as iterating does', async () => {
    // Arrange
    s3Mock.on(GetObjectCommand).callsFake(() => ({ Body: bodyStream(OBJECT) }));

    // Act
    const hash = await sha256Of(
      readObjectInOrder(s3, { bucket: 'b', key: 'k', size: OBJECT.length, etag: '"e"' }).transientChunks(),
    );

    // Assert
    expect(hash).toBe(createHash('sha256').update(OBJECT).digest('hex'));
    expect(s3Mock.commandCalls(GetObjectCommand)).toHaveLength(1);
  });

  it('is offered by the reader only', () => {
    // Arrange
    async function* plain() {
      yield OBJECT;
    }

    // Act, Assert
    expect(hasTransientChunks(readObjectInOrder(s3, { bucket: 'b', key: 'k', size: 1 }))).toBe(true);
    expect(hasTransientChunks(plain())).toBe(false);
  });
});
