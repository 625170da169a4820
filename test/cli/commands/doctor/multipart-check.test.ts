import { ListMultipartUploadsCommand, ListPartsCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { incompleteUploadsCheck } from '../../../../cli/commands/doctor/multipart-check';
import { NOW } from '../../shared/fake-command-io';
import { doctorContext } from './doctor-context';

const s3 = mockClient(S3Client);
const minutesAgo = (n: number) => new Date(NOW.getTime() - n * 60_000);

beforeEach(() => {
  s3.reset();
  s3.on(ListMultipartUploadsCommand).resolves({});
  s3.on(ListPartsCommand).resolves({ Parts: [{ PartNumber: 1, Size: 5 * 1024 * 1024 }] });
});

describe('doctor: incomplete multipart uploads', () => {
  it('passes a bucket without any, and notes young ones as probably in progress', async () => {
    s3.on(ListMultipartUploadsCommand, { Bucket: 'b2' }).resolves({
      Uploads: [{ Key: 'backups/x', UploadId: 'young', Initiated: minutesAgo(5) }],
    });
    const results = await incompleteUploadsCheck(
      doctorContext(),
      { backups: 'b1', uploads: 'b2' },
      new Set(['backups', 'uploads'] as const),
    );
    expect(results).toEqual([
      { name: 'backups: incomplete multipart uploads', status: 'PASS', detail: 'none left behind' },
      {
        name: 'uploads: incomplete multipart uploads',
        status: 'PASS',
        detail: 'none left behind; 1 younger than an hour (probably in progress)',
      },
    ]);
  });

  it('fails on uploads left behind, naming key, id, parts, size and age, with the abort command', async () => {
    s3.on(ListMultipartUploadsCommand, { Bucket: 'b1' }).resolves({
      Uploads: [{ Key: 'backups/db/x.dump', UploadId: 'old', Initiated: minutesAgo(3 * 60) }],
    });
    const [result] = await incompleteUploadsCheck(
      doctorContext(),
      { backups: 'b1' },
      new Set(['backups'] as const),
    );
    expect(result).toMatchObject({ name: 'backups: incomplete multipart uploads', status: 'FAIL' });
    expect(result!.detail).toBe(
      '1 incomplete upload(s), 5.0 MiB billed: backups/db/x.dump (upload old, 1 parts, 5.0 MiB, 3h00m old)',
    );
    expect(result!.hint).toBe(
      "abort each, e.g. aws s3api abort-multipart-upload --bucket b1 --key 'backups/db/x.dump' --upload-id 'old'",
    );
  });
});
