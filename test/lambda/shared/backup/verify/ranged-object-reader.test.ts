import { createHash } from 'node:crypto';

import { GetObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';

import { ObjectReadError } from '../../../../../lambda/shared/backup/verify/object-read-error';
import { readObjectInOrder } from '../../../../../lambda/shared/backup/verify/ranged-object-reader';
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
    const slowDown = new S3ServiceException({
      name: 'SlowDown',
      $fault: 'server',
      $metadata: {},
      message: 'Slow Down',
    });
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
    await expect(failing).rejects.toThrow('reading bytes 1000-1999 of failing failed: SlowDown: Slow Down');
    await expect(failing).rejects.toBeInstanceOf(ObjectReadError);
    await expect(short).rejects.toThrow('bytes 0-999 of short: received 10 of 1000');
  });
});
