import { CopyObjectCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { runBackupArchiveCommand } from '../../../../cli/commands/backup/archive';
import { recordingIo, serviceError } from './fake-backup-io';

const s3 = mockClient(S3Client);
const KEY = 'backups/db/20261123/db_20261123_040000.dump';

beforeEach(() => s3.reset());

describe('stowage backup archive', () => {
  it('copies the object onto itself in the new class, keeping metadata and SSE-KMS', async () => {
    // Arrange
    s3.on(HeadObjectCommand).resolves({
      ContentLength: 10,
      ServerSideEncryption: 'aws:kms',
      SSEKMSKeyId: 'arn:k',
      BucketKeyEnabled: true,
    });
    s3.on(CopyObjectCommand).resolves({});
    const io = recordingIo();
    // Act
    const code = await runBackupArchiveCommand(KEY, { class: 'deep_archive' }, io);
    // Assert
    expect(code).toBe(0);
    expect(s3.commandCalls(CopyObjectCommand)[0]!.args[0].input).toEqual({
      Bucket: 'stowage-dev-backups',
      Key: KEY,
      CopySource: `stowage-dev-backups/${KEY}`,
      StorageClass: 'DEEP_ARCHIVE',
      MetadataDirective: 'COPY',
      ServerSideEncryption: 'aws:kms',
      SSEKMSKeyId: 'arn:k',
      BucketKeyEnabled: true,
    });
    expect(io.stderr).toEqual([`${KEY}: STANDARD → DEEP_ARCHIVE`]);
  });

  it('explains a server that cannot copy SSE-KMS objects (Ceph RGW answers 501)', async () => {
    s3.on(HeadObjectCommand).resolves({ ContentLength: 10, ServerSideEncryption: 'aws:kms' });
    s3.on(CopyObjectCommand).rejects(serviceError('NotImplemented', 501));
    const io = recordingIo();
    expect(await runBackupArchiveCommand(KEY, { class: 'GLACIER' }, io)).toBe(1);
    expect(io.stderr.at(-1)).toContain('do not copy SSE-KMS objects');
  });

  it('does nothing for an object already in the class, refuses other classes', async () => {
    s3.on(HeadObjectCommand).resolves({ ContentLength: 10, StorageClass: 'GLACIER' });
    const io = recordingIo();
    expect(await runBackupArchiveCommand(KEY, { class: 'GLACIER' }, io)).toBe(0);
    expect(s3.commandCalls(CopyObjectCommand)).toHaveLength(0);
    await expect(runBackupArchiveCommand(KEY, { class: 'STANDARD_IA' }, io)).rejects.toThrow(
      "--class must be GLACIER or DEEP_ARCHIVE, got 'STANDARD_IA'",
    );
  });
});
