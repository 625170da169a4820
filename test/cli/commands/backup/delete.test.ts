import {
  DeleteObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  ListObjectVersionsCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { runBackupDeleteCommand } from '../../../../cli/commands/backup/delete';
import { recordingIo, serviceError } from './fake-backup-io';

const s3 = mockClient(S3Client);
const KEY = 'backups/db/20261120/db_20261120_040000.dump';

beforeEach(() => {
  s3.reset();
  s3.on(ListObjectVersionsCommand).resolves({});
  s3.on(ListObjectVersionsCommand, { Prefix: KEY }).resolves({
    Versions: [
      { Key: KEY, VersionId: 'v2', Size: 100 },
      { Key: KEY, VersionId: 'v1', Size: 90 },
      { Key: `${KEY}.other`, VersionId: 'x', Size: 1 },
    ],
    DeleteMarkers: [{ Key: KEY, VersionId: 'm1' }],
  });
  s3.on(HeadObjectCommand).resolves({});
  s3.on(DeleteObjectCommand).resolves({});
});

describe('stowage backup delete', () => {
  it('is a dry run without --yes: says what would go, deletes nothing', async () => {
    const io = recordingIo();
    const code = await runBackupDeleteCommand(KEY, {}, io);
    expect(code).toBe(0);
    expect(io.stdout).toEqual([`would delete ${KEY}: 2 version(s), 190 B, 1 delete marker(s)`]);
    expect(io.stderr).toEqual(['dry run: nothing was deleted; pass --yes to delete']);
    expect(s3.commandCalls(DeleteObjectCommand)).toHaveLength(0);
  });

  it('with --yes deletes every version and delete marker of exactly that key', async () => {
    const io = recordingIo();
    const code = await runBackupDeleteCommand(KEY, { yes: true }, io);
    expect(code).toBe(0);
    expect(s3.commandCalls(DeleteObjectCommand).map((c) => c.args[0].input)).toEqual([
      { Bucket: 'stowage-dev-backups', Key: KEY, VersionId: 'v2' },
      { Bucket: 'stowage-dev-backups', Key: KEY, VersionId: 'v1' },
      { Bucket: 'stowage-dev-backups', Key: KEY, VersionId: 'm1' },
    ]);
    expect(io.stderr).toEqual(['deleted 3 version(s) and delete marker(s)']);
  });

  it('explains Object Lock retention per version and still deletes the rest, exit 1', async () => {
    s3.on(HeadObjectCommand, { VersionId: 'v2' }).resolves({
      ObjectLockMode: 'GOVERNANCE',
      ObjectLockRetainUntilDate: new Date('2026-12-20T04:00:00Z'),
    });
    const io = recordingIo();
    const code = await runBackupDeleteCommand(KEY, { yes: true }, io);
    expect(code).toBe(1);
    expect(io.stdout).toContain(
      '  version v2: retained until 2026-12-20T04:00:00.000Z (governance mode): it cannot be deleted before then',
    );
    expect(s3.commandCalls(DeleteObjectCommand).map((c) => c.args[0].input.VersionId)).toEqual(['v1', 'm1']);
    expect(io.stderr.at(-1)).toBe('deleted 2 version(s) and delete marker(s); 1 retained by Object Lock');
  });

  it('names the S3 code and its meaning when a delete is refused', async () => {
    s3.on(DeleteObjectCommand, { VersionId: 'v1' }).rejects(
      serviceError('AccessDenied', 403, 'UnknownError'),
    );
    const io = recordingIo();
    expect(await runBackupDeleteCommand(KEY, { yes: true }, io)).toBe(1);
    expect(io.stdout).toContain(
      '  version v1: not deleted: AccessDenied (access denied): missing s3:DeleteObjectVersion, or the version is locked',
    );
  });

  it('--source --older-than picks the backups taken before the cut-off', async () => {
    s3.on(ListObjectsV2Command).resolves({
      Contents: [
        { Key: KEY, Size: 100 },
        { Key: 'backups/db/20261123/db_20261123_030000.dump', Size: 100 },
      ],
    });
    const io = recordingIo();
    const code = await runBackupDeleteCommand(undefined, { source: 'db', olderThan: '2' }, io);
    expect(code).toBe(0);
    expect(io.stdout).toEqual([`would delete ${KEY}: 2 version(s), 190 B, 1 delete marker(s)`]);
  });

  it('refuses unclear selections', async () => {
    const io = recordingIo();
    await expect(runBackupDeleteCommand(undefined, {}, io)).rejects.toThrow('name the backup KEY to delete');
    await expect(runBackupDeleteCommand(KEY, { source: 'db', olderThan: '1' }, io)).rejects.toThrow(
      'give either KEY or --source NAME --older-than DAYS, not both',
    );
    await expect(runBackupDeleteCommand(undefined, { source: 'db', olderThan: 'x' }, io)).rejects.toThrow(
      "--older-than must be a number of days, got 'x'",
    );
  });
});
