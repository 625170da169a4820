import { CopyObjectCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { runBackupArchiveCommand } from '../../../../cli/commands/backup/archive';
import { recordingIo, serviceError } from './fake-backup-io';

const s3 = mockClient(S3Client);
const KEY = 'backups/db/20261123/db_20261123_040000.dump';
const BUCKET = 'stowage-dev-backups';
const METADATA = { sha256: 'ab'.repeat(32), 'original-size': '10', encryption: 'none' };

beforeEach(() => s3.reset());

/** The HeadObject answers before and after the copy. */
function heads(before: Record<string, unknown>, after: Record<string, unknown> = {}): void {
  s3.on(HeadObjectCommand)
    .resolvesOnce({ ContentLength: 10, VersionId: 'v1', Metadata: METADATA, ...before })
    .resolves({ ContentLength: 10, VersionId: 'v2', Metadata: METADATA, StorageClass: 'GLACIER', ...after });
}

describe('stowage backup archive', () => {
  it('copies the version it saw onto the key in the new class, keeping metadata and SSE-KMS', async () => {
    // Arrange
    heads(
      { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: 'arn:k', BucketKeyEnabled: true },
      { StorageClass: 'DEEP_ARCHIVE' },
    );
    s3.on(CopyObjectCommand).resolves({ VersionId: 'v2' });
    const io = recordingIo();
    // Act
    const code = await runBackupArchiveCommand(KEY, { class: 'deep_archive' }, io);
    // Assert
    expect(code).toBe(0);
    expect(s3.commandCalls(CopyObjectCommand)[0]!.args[0].input).toEqual({
      Bucket: BUCKET,
      Key: KEY,
      CopySource: `${BUCKET}/${KEY}?versionId=v1`,
      StorageClass: 'DEEP_ARCHIVE',
      MetadataDirective: 'COPY',
      ServerSideEncryption: 'aws:kms',
      SSEKMSKeyId: 'arn:k',
      BucketKeyEnabled: true,
    });
    expect(s3.commandCalls(HeadObjectCommand)[1]!.args[0].input).toEqual({
      Bucket: BUCKET,
      Key: KEY,
      VersionId: 'v2',
    });
    expect(io.stderr).toEqual([
      `${KEY}: STANDARD → DEEP_ARCHIVE; previous version v1 kept (noncurrent, STANDARD) until noncurrent ` +
        'versions expire',
    ]);
  });

  it('checks the current version when the server does not say which version the copy made (Ceph RGW)', async () => {
    // Arrange
    heads({});
    s3.on(CopyObjectCommand).resolves({});
    // Act
    const code = await runBackupArchiveCommand(KEY, { class: 'GLACIER' }, recordingIo());
    // Assert
    expect(code).toBe(0);
    expect(s3.commandCalls(HeadObjectCommand)[1]!.args[0].input).toEqual({ Bucket: BUCKET, Key: KEY });
  });

  it.each([
    ['the class did not change', { StorageClass: undefined }, 'its storage class is STANDARD'],
    ['the size changed', { ContentLength: 9 }, 'it has 9 bytes instead of 10'],
    [
      'metadata was lost',
      { Metadata: { 'original-size': '10', encryption: 'none' } },
      `metadata sha256 is null, was "${'ab'.repeat(32)}"`,
    ],
  ])('fails, keeping the previous version, when %s', async (_what, after, problem) => {
    // Arrange
    heads({}, after);
    s3.on(CopyObjectCommand).resolves({ VersionId: 'v2' });
    const io = recordingIo();
    // Act
    const code = await runBackupArchiveCommand(KEY, { class: 'GLACIER' }, io);
    // Assert
    expect(code).toBe(1);
    expect(io.stderr).toEqual([
      `stowage backup archive: the archived copy of ${KEY} does not match the original (${problem}): the ` +
        'previous version v1 is kept',
    ]);
  });

  it('explains a server that cannot copy SSE-KMS objects (Ceph RGW answers 501)', async () => {
    heads({ ServerSideEncryption: 'aws:kms' });
    s3.on(CopyObjectCommand).rejects(serviceError('NotImplemented', 501));
    const io = recordingIo();
    expect(await runBackupArchiveCommand(KEY, { class: 'GLACIER' }, io)).toBe(1);
    expect(io.stderr.at(-1)).toContain('do not copy SSE-KMS objects');
    expect(io.stderr.at(-1)).toContain('the object is unchanged');
  });

  it('explains a storage class the server does not define (Ceph RGW answers 400 InvalidArgument)', async () => {
    heads({});
    s3.on(CopyObjectCommand).rejects(serviceError('InvalidArgument', 400, 'UnknownError'));
    const io = recordingIo();
    expect(await runBackupArchiveCommand(KEY, { class: 'GLACIER' }, io)).toBe(1);
    expect(io.stderr).toEqual([
      'stowage backup archive: the server refused storage class GLACIER (400 InvalidArgument): S3-compatible ' +
        'servers such as Ceph RGW only accept the storage classes defined in their zone placement; the object ' +
        'is unchanged',
    ]);
  });

  it('names a missing backup and copies nothing', async () => {
    s3.on(HeadObjectCommand).rejects(serviceError('NotFound', 404, 'UnknownError'));
    const io = recordingIo();
    expect(await runBackupArchiveCommand(KEY, { class: 'GLACIER' }, io)).toBe(1);
    expect(io.stderr).toEqual([
      `stowage backup archive: no backup ${KEY} in s3://${BUCKET}: see \`stowage backup list\``,
    ]);
    expect(s3.commandCalls(CopyObjectCommand)).toHaveLength(0);
  });

  it('does nothing for an object already in the class, refuses other classes', async () => {
    s3.on(HeadObjectCommand).resolves({ ContentLength: 10, StorageClass: 'GLACIER' });
    const io = recordingIo();
    expect(await runBackupArchiveCommand(KEY, { class: 'GLACIER' }, io)).toBe(0);
    expect(io.stderr).toEqual([`${KEY} is already in GLACIER: nothing to do`]);
    expect(s3.commandCalls(CopyObjectCommand)).toHaveLength(0);
    await expect(runBackupArchiveCommand(KEY, { class: 'STANDARD_IA' }, io)).rejects.toThrow(
      "--class must be GLACIER or DEEP_ARCHIVE, got 'STANDARD_IA'",
    );
  });

  it('moves an archived object to another archive class only once it is restored', async () => {
    // Arrange
    s3.on(HeadObjectCommand).resolvesOnce({ ContentLength: 10, StorageClass: 'GLACIER' });
    const refusedIo = recordingIo();
    // Act
    const refused = await runBackupArchiveCommand(KEY, { class: 'DEEP_ARCHIVE' }, refusedIo);
    // Assert
    expect(refused).toBe(1);
    expect(refusedIo.stderr).toEqual([
      `stowage backup archive: ${KEY} is in GLACIER (not restored): an archived object can only change class ` +
        `once restored (stowage backup restore ${KEY} --days N)`,
    ]);
    expect(s3.commandCalls(CopyObjectCommand)).toHaveLength(0);

    // Arrange: the same object with a finished restore.
    s3.reset();
    heads(
      {
        StorageClass: 'GLACIER',
        Restore: 'ongoing-request="false", expiry-date="Fri, 21 Dec 2029 00:00:00 GMT"',
      },
      { StorageClass: 'DEEP_ARCHIVE' },
    );
    s3.on(CopyObjectCommand).resolves({ VersionId: 'v2' });
    // Act + Assert
    expect(await runBackupArchiveCommand(KEY, { class: 'DEEP_ARCHIVE' }, recordingIo())).toBe(0);
    expect(s3.commandCalls(CopyObjectCommand)).toHaveLength(1);
  });
});
