import { RestoreObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { runBackupRestoreCommand } from '../../../../cli/commands/backup/restore';
import { recordingIo, serviceError } from './fake-backup-io';

const s3 = mockClient(S3Client);
const KEY = 'backups/db/20261123/db_20261123_040000.dump';

beforeEach(() => s3.reset());

describe('stowage backup restore', () => {
  it('starts a restore for the given days and tier', async () => {
    s3.on(RestoreObjectCommand).resolves({});
    const io = recordingIo();
    expect(await runBackupRestoreCommand(KEY, { days: '7', tier: 'bulk' }, io)).toBe(0);
    expect(s3.commandCalls(RestoreObjectCommand)[0]!.args[0].input).toEqual({
      Bucket: 'stowage-dev-backups',
      Key: KEY,
      RestoreRequest: { Days: 7, GlacierJobParameters: { Tier: 'Bulk' } },
    });
  });

  it('treats a restore already in progress as done, and a non-archived object as a failure', async () => {
    s3.on(RestoreObjectCommand)
      .rejectsOnce(serviceError('RestoreAlreadyInProgress', 409))
      .rejects(serviceError('InvalidObjectState', 403));
    const io = recordingIo();
    expect(await runBackupRestoreCommand(KEY, { days: '1' }, io)).toBe(0);
    expect(await runBackupRestoreCommand(KEY, { days: '1' }, io)).toBe(1);
    expect(io.stderr).toEqual([
      expect.stringContaining('already in progress'),
      expect.stringContaining('is not in an archive storage class'),
    ]);
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
