import { HeadObjectCommand, RestoreObjectCommand, S3Client, type StorageClass } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { runBackupRestoreCommand } from '../../../../cli/commands/backup/restore';
import { recordingIo, serviceError } from './fake-backup-io';

const s3 = mockClient(S3Client);
const KEY = 'backups/db/20261123/db_20261123_040000.dump';
const BUCKET = 'stowage-dev-backups';

beforeEach(() => s3.reset());

function archived(storageClass: StorageClass = 'GLACIER', restore?: string): void {
  s3.on(HeadObjectCommand).resolves({
    ContentLength: 10,
    VersionId: 'v1',
    StorageClass: storageClass,
    ...(restore ? { Restore: restore } : {}),
  });
}

describe('stowage backup restore', () => {
  it('starts a restore of the version it saw, for the given days and tier', async () => {
    // Arrange
    archived();
    s3.on(RestoreObjectCommand).resolves({ $metadata: { httpStatusCode: 202 } });
    const io = recordingIo();
    // Act
    const code = await runBackupRestoreCommand(KEY, { days: '7', tier: 'bulk' }, io);
    // Assert
    expect(code).toBe(0);
    expect(s3.commandCalls(RestoreObjectCommand)[0]!.args[0].input).toEqual({
      Bucket: BUCKET,
      Key: KEY,
      VersionId: 'v1',
      RestoreRequest: { Days: 7, GlacierJobParameters: { Tier: 'Bulk' } },
    });
    expect(io.stderr).toEqual([
      `restore of ${KEY} started (Bulk, readable for 7 days once done): \`stowage backup list\` shows its status`,
    ]);
  });

  it('says when S3 only moved the expiry of an existing restored copy (200)', async () => {
    archived('GLACIER', 'ongoing-request="false", expiry-date="Fri, 21 Dec 2029 00:00:00 GMT"');
    s3.on(RestoreObjectCommand).resolves({ $metadata: { httpStatusCode: 200 } });
    const io = recordingIo();
    expect(await runBackupRestoreCommand(KEY, { days: '3' }, io)).toBe(0);
    expect(io.stderr).toEqual([
      `${KEY} is already restored: its restored copy now stays readable for 3 days from now`,
    ]);
  });

  it('treats a restore already in progress as done, seen by HeadObject or answered by S3', async () => {
    // Arrange: HeadObject already shows it.
    archived('DEEP_ARCHIVE', 'ongoing-request="true"');
    const seen = recordingIo();
    // Act + Assert
    expect(await runBackupRestoreCommand(KEY, { days: '1' }, seen)).toBe(0);
    expect(s3.commandCalls(RestoreObjectCommand)).toHaveLength(0);
    expect(seen.stderr).toEqual([expect.stringContaining('already in progress')]);

    // Arrange: started by someone else between HeadObject and RestoreObject.
    s3.reset();
    archived();
    s3.on(RestoreObjectCommand).rejects(serviceError('RestoreAlreadyInProgress', 409));
    const answered = recordingIo();
    // Act + Assert
    expect(await runBackupRestoreCommand(KEY, { days: '1' }, answered)).toBe(0);
    expect(answered.stderr).toEqual([expect.stringContaining('already in progress')]);
  });

  it('refuses an object that is not archived, without asking S3 to restore it', async () => {
    s3.on(HeadObjectCommand).resolves({ ContentLength: 10 });
    const io = recordingIo();
    expect(await runBackupRestoreCommand(KEY, { days: '1' }, io)).toBe(1);
    expect(io.stderr).toEqual([
      `stowage backup restore: ${KEY} is in STANDARD, not an archive storage class (GLACIER, DEEP_ARCHIVE): ` +
        'nothing to restore, pull it directly',
    ]);
    expect(s3.commandCalls(RestoreObjectCommand)).toHaveLength(0);
  });

  it("still words S3's InvalidObjectState (the object changed class after HeadObject)", async () => {
    archived();
    s3.on(RestoreObjectCommand).rejects(serviceError('InvalidObjectState', 403));
    const io = recordingIo();
    expect(await runBackupRestoreCommand(KEY, { days: '1' }, io)).toBe(1);
    expect(io.stderr.at(-1)).toContain('is not in an archive storage class');
  });

  it('names a missing backup', async () => {
    s3.on(HeadObjectCommand).rejects(serviceError('NotFound', 404, 'UnknownError'));
    const io = recordingIo();
    expect(await runBackupRestoreCommand(KEY, { days: '1' }, io)).toBe(1);
    expect(io.stderr).toEqual([
      `stowage backup restore: no backup ${KEY} in s3://${BUCKET}: see \`stowage backup list\``,
    ]);
    expect(s3.commandCalls(RestoreObjectCommand)).toHaveLength(0);
  });

  it('names a server without RestoreObject (Ceph RGW answers 501 NotImplemented)', async () => {
    archived();
    s3.on(RestoreObjectCommand).rejects(serviceError('NotImplemented', 501, 'UnknownError'));
    const io = recordingIo();
    expect(await runBackupRestoreCommand(KEY, { days: '1' }, io)).toBe(1);
    expect(io.stderr).toEqual([
      `stowage backup restore: the server does not implement RestoreObject (501 NotImplemented), so ${KEY} ` +
        'cannot be restored there. Ceph RGW (measured on 16.2 Pacific) has no restore: its GLACIER and ' +
        'DEEP_ARCHIVE are only labels, and a CopyObject of the object onto its own key with storage class ' +
        'STANDARD makes it pullable again',
    ]);
  });

  it('refuses Expedited for DEEP_ARCHIVE and words a lack of Expedited capacity', async () => {
    // Arrange
    archived('DEEP_ARCHIVE');
    const deep = recordingIo();
    // Act + Assert
    expect(await runBackupRestoreCommand(KEY, { days: '1', tier: 'expedited' }, deep)).toBe(1);
    expect(deep.stderr.at(-1)).toContain('DEEP_ARCHIVE, which has no Expedited retrieval');
    expect(s3.commandCalls(RestoreObjectCommand)).toHaveLength(0);

    // Arrange
    s3.reset();
    archived('GLACIER');
    s3.on(RestoreObjectCommand).rejects(serviceError('GlacierExpeditedRetrievalNotAvailable', 503));
    const busy = recordingIo();
    // Act + Assert
    expect(await runBackupRestoreCommand(KEY, { days: '1', tier: 'Expedited' }, busy)).toBe(1);
    expect(busy.stderr.at(-1)).toContain('no Expedited retrieval capacity is available now');
  });

  it('refuses bad --days and --tier', async () => {
    const io = recordingIo();
    await expect(runBackupRestoreCommand(KEY, { days: '0' }, io)).rejects.toThrow(
      '--days must be a whole number',
    );
    await expect(runBackupRestoreCommand(KEY, { days: '2', tier: 'Fast' }, io)).rejects.toThrow(
      '--tier must be one of',
    );
  });
});
