import {
  AbortMultipartUploadCommand,
  CreateMultipartUploadCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { InterruptedError } from '../../../../cli/commands/backup/interrupt';
import { uploadStreamParts } from '../../../../cli/commands/backup/stream-parts-upload';

const s3Mock = mockClient(S3Client);
const MiB = 1024 * 1024;

beforeEach(() => {
  s3Mock.reset();
});

describe('uploadStreamParts', () => {
  it('aborts the upload on an interrupt while the body stalls between chunks (a dump tool that hangs)', async () => {
    // Arrange: one full part, then a body that never yields again and is never ended
    s3Mock.on(CreateMultipartUploadCommand).resolves({ UploadId: 'up-1' });
    s3Mock.on(UploadPartCommand).resolves({ ETag: '"p1"' });
    s3Mock.on(AbortMultipartUploadCommand).resolves({});
    const controller = new AbortController();
    let destroyed = false;
    let firstPartSent!: () => void;
    const sent = new Promise<void>((resolve) => (firstPartSent = resolve));
    const stalled = {
      async *[Symbol.asyncIterator]() {
        yield Buffer.alloc(6 * MiB, 1);
        await new Promise<never>(() => undefined);
      },
      destroy: () => {
        destroyed = true;
      },
    };
    // Act
    const upload = uploadStreamParts({
      s3: new S3Client({ region: 'eu-west-1' }),
      params: { Bucket: 'b', Key: 'backups/db/20261207/db_20261207_010203.dump' },
      body: stalled,
      partSize: 5 * MiB,
      concurrency: 2,
      partRetry: { retries: 0, delaysMs: [] },
      sleep: async () => undefined,
      signal: controller.signal,
      onAcknowledged: () => firstPartSent(),
    });
    await sent;
    controller.abort(new InterruptedError('SIGTERM'));
    // Assert
    await expect(upload).rejects.toBeInstanceOf(InterruptedError);
    expect(s3Mock.commandCalls(AbortMultipartUploadCommand).map((c) => c.args[0].input.UploadId)).toEqual([
      'up-1',
    ]);
    expect(destroyed).toBe(true);
  });
});
