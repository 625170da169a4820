import { HeadObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { runBackupListCommand, type BackupListEntry } from '../../../../cli/commands/backup/list';
import { recordingIo, serviceError } from './fake-backup-io';

const s3 = mockClient(S3Client);
const OLD = 'backups/db/20261120/db_20261120_040000.dump';
const NEW = 'backups/db/20261123/db_20261123_010000.dump';
const ARCHIVED = 'backups/files/20261001/files_20261001_000000.tar.gz';

beforeEach(() => {
  s3.reset();
  s3.on(ListObjectsV2Command)
    .resolvesOnce({
      Contents: [{ Key: OLD, Size: 2048 }, { Key: 'backups/db/notes.txt' }],
      IsTruncated: true,
      NextContinuationToken: 't',
    })
    .resolves({
      Contents: [
        { Key: ARCHIVED, Size: 10 },
        { Key: NEW, Size: 3 * 1024 * 1024 },
      ],
    });
  s3.on(HeadObjectCommand, { Key: OLD }).resolves({
    ContentLength: 2048,
    Metadata: { 'original-size': '2048', encryption: 'none' },
  });
  s3.on(HeadObjectCommand, { Key: NEW }).resolves({
    ContentLength: 3 * 1024 * 1024,
    Metadata: { 'original-size': '3000000', encryption: 'stowage-aes256gcm-v1', 'key-source': 'kms' },
  });
  s3.on(HeadObjectCommand, { Key: ARCHIVED }).resolves({
    ContentLength: 10,
    StorageClass: 'GLACIER',
    Restore: 'ongoing-request="false", expiry-date="Fri, 04 Dec 2026 00:00:00 GMT"',
    Metadata: { 'original-size': '10', encryption: 'none' },
  });
});

describe('stowage backup list', () => {
  it('prints a table newest first with sizes, encryption, class, restore status and age', async () => {
    // Arrange
    const io = recordingIo();
    // Act
    const code = await runBackupListCommand({}, io);
    // Assert
    expect(code).toBe(0);
    expect(io.stdout).toHaveLength(4);
    const flat = io.stdout.map((l) => l.replace(/\s+/g, ' '));
    expect(flat).toEqual([
      'KEY AGE ORIGINAL STORED ENCRYPTED CLASS',
      `${NEW} 3h00m ago 2.9 MiB 3.0 MiB kms STANDARD`,
      `${OLD} 3d00h ago 2.0 KiB 2.0 KiB none STANDARD`,
      `${ARCHIVED} 53d04h ago 10 B 10 B none GLACIER (restored until 2026-12-04T00:00:00.000Z)`,
    ]);
    expect(s3.commandCalls(ListObjectsV2Command)[1]!.args[0].input).toMatchObject({
      Prefix: 'backups/',
      ContinuationToken: 't',
    });
  });

  it('prints JSON with --json and lists one source with --source', async () => {
    const io = recordingIo();
    const code = await runBackupListCommand({ json: true, source: 'db' }, io);
    expect(code).toBe(0);
    expect(s3.commandCalls(ListObjectsV2Command)[0]!.args[0].input.Prefix).toBe('backups/db/');
    const entries = JSON.parse(io.stdout.join('\n')) as BackupListEntry[];
    expect(entries[0]).toMatchObject({
      key: NEW,
      source: 'db',
      originalSize: 3000000,
      ageSeconds: 10800,
      keySource: 'kms',
    });
    expect(entries.find((e) => e.key === ARCHIVED)).toMatchObject({
      storageClass: 'GLACIER',
      restore: 'restored',
      restoredUntil: '2026-12-04T00:00:00.000Z',
    });
  });

  it('exits 1 with a hint when the bucket does not exist', async () => {
    s3.on(ListObjectsV2Command).rejects(
      serviceError('NoSuchBucket', 404, 'The specified bucket does not exist'),
    );
    const io = recordingIo();
    expect(await runBackupListCommand({}, io)).toBe(1);
    expect(io.stderr).toEqual([
      'stowage backup list: list failed: NoSuchBucket [HTTP 404]: The specified bucket does not exist ' +
        '(check --bucket / STOWAGE_BACKUPS_BUCKET and --region)',
    ]);
  });
});
