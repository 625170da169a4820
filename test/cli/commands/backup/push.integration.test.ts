/**
 * `stowage backup push` and `list` against the real Ceph RGW of the test run: single PUT and multipart, the key
 * layout, the metadata contract, SSE-KMS and the verification notes.
 */
import { createHash, randomBytes } from 'crypto';
import { mkdtempSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { GetObjectCommand, HeadObjectCommand, ListObjectVersionsCommand } from '@aws-sdk/client-s3';
import { parseBackupKey } from '../../../../core/backup/backup-layout';
import type { BackupListEntry } from '../../../../cli/commands/backup/list';
import { runBackupListCommand } from '../../../../cli/commands/backup/list';
import { runBackupPushCommand } from '../../../../cli/commands/backup/push';
import { getTestServers } from '../../../support/integration/servers';
import { useRgwBackupBucket } from './rgw-backup-fixture';

const MiB = 1024 * 1024;
const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

describe('stowage backup push (real RGW)', () => {
  const rgw = useRgwBackupBucket('it-backup-push');
  const dir = mkdtempSync(join(tmpdir(), 'stowage-push-it-'));
  const file = (name: string, bytes: Buffer): string => {
    const path = join(dir, name);
    writeFileSync(path, bytes);
    return path;
  };

  it('puts a small file under the layout key with the metadata contract and SSE-KMS', async () => {
    // Arrange
    // Random bytes under a .gz name: the metadata contract is under test, not the format check.
    const bytes = randomBytes(100_000);
    const path = file('db.dump.gz', bytes);
    const io = rgw.io({ now: () => new Date('2026-11-23T04:05:06Z') });
    // Act
    const code = await runBackupPushCommand(
      path,
      { source: 'db', kmsKeyId: getTestServers().s3.kmsKeyId, check: false },
      io,
    );
    // Assert
    expect(io.stderr.join('\n')).not.toContain('failed');
    expect(code).toBe(0);
    expect(io.stdout).toEqual(['backups/db/20261123/db_20261123_040506.dump.gz']);
    expect(parseBackupKey(io.stdout[0]!)).toMatchObject({ source: 'db', extension: 'dump.gz' });
    const head = await rgw.s3.send(new HeadObjectCommand({ Bucket: rgw.bucket, Key: io.stdout[0] }));
    expect(head.ContentLength).toBe(bytes.length);
    expect(head.ServerSideEncryption).toBe('aws:kms');
    expect(head.Metadata).toEqual({
      sha256: sha256(bytes),
      'original-size': '100000',
      'stored-sha256': sha256(bytes),
      encryption: 'none',
      source: 'db',
    });
    expect(io.stderr.join('\n')).toContain('keeps no full-object SHA-256 checksum');
  });

  it('uploads a file above the part size as multipart and verifies it by reading it back', async () => {
    // Arrange
    const bytes = randomBytes(12 * MiB + 123);
    const path = file('files.tar', bytes);
    const io = rgw.io({ now: () => new Date('2026-11-23T05:00:00Z') });
    // Act
    const code = await runBackupPushCommand(
      path,
      { source: 'files', partSize: '5M', concurrency: '2', verifyRead: true, maxBandwidth: '1G' },
      io,
    );
    // Assert
    expect(code).toBe(0);
    const key = io.stdout[0]!;
    const head = await rgw.s3.send(new HeadObjectCommand({ Bucket: rgw.bucket, Key: key }));
    expect(head.ETag).toMatch(/-3"$/);
    expect(head.Metadata?.sha256).toBe(sha256(bytes));
    const body = await rgw.s3.send(new GetObjectCommand({ Bucket: rgw.bucket, Key: key }));
    expect(sha256(Buffer.from(await body.Body!.transformToByteArray()))).toBe(sha256(bytes));
    expect(io.stderr).toContain('verified: SHA-256 of the bytes read back');
  });

  it('stores an encrypted backup as an envelope with both digests', async () => {
    const bytes = randomBytes(200_000);
    const path = file('secrets.json', bytes);
    const io = rgw.io({ env: { ...rgw.env, BACKUP_PASSPHRASE: 'it-passphrase' } });
    const code = await runBackupPushCommand(
      path,
      { source: 'vault', passphraseEnv: 'BACKUP_PASSPHRASE' },
      io,
    );
    expect(code).toBe(0);
    const object = await rgw.s3.send(new GetObjectCommand({ Bucket: rgw.bucket, Key: io.stdout[0] }));
    const stored = Buffer.from(await object.Body!.transformToByteArray());
    expect(stored.subarray(0, 6).toString()).toBe('STWENC');
    expect(object.Metadata).toMatchObject({
      sha256: sha256(bytes),
      'stored-sha256': sha256(stored),
      encryption: 'stowage-aes256gcm-v1',
      'key-source': 'passphrase',
    });
  });

  it('fails cleanly for a bucket that does not exist, leaving nothing', async () => {
    const io = rgw.io({ env: { ...rgw.env, STOWAGE_BACKUPS_BUCKET: 'no-such-bucket-stowage' } });
    const code = await runBackupPushCommand(
      file('x.bin', randomBytes(10)),
      { source: 'x', retries: '0' },
      io,
    );
    expect(code).toBe(1);
    expect(io.stderr.at(-1)).toContain('NoSuchBucket');
  });

  it('lists the pushed backups newest first, as JSON', async () => {
    // Act
    const io = rgw.io({ now: () => new Date('2026-11-24T05:00:00Z') });
    const code = await runBackupListCommand({ json: true }, io);
    // Assert
    expect(code).toBe(0);
    const entries = JSON.parse(io.stdout.join('\n')) as BackupListEntry[];
    const ours = entries.filter((e) => e.source === 'db' || e.source === 'files');
    expect(ours.map((e) => [e.key, e.originalSize, e.storageClass, e.ageSeconds])).toEqual([
      ['backups/files/20261123/files_20261123_050000.tar', 12 * MiB + 123, 'STANDARD', 86400],
      ['backups/db/20261123/db_20261123_040506.dump.gz', 100_000, 'STANDARD', 89694],
    ]);
    const versions = await rgw.s3.send(new ListObjectVersionsCommand({ Bucket: rgw.bucket }));
    expect(versions.Versions?.length).toBe(entries.length);
  });
});
