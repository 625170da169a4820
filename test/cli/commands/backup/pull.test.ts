import { createHash, randomBytes } from 'crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { Readable } from 'stream';
import { GetObjectCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { runBackupPullCommand } from '../../../../cli/commands/backup/pull';
import { recordingIo } from './fake-backup-io';

const s3 = mockClient(S3Client);
const KEY = 'backups/db/20261123/db_20261123_040000.dump';
const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

function serve(bytes: Buffer, metadata: Record<string, string>, extra: Record<string, unknown> = {}): void {
  s3.on(HeadObjectCommand).resolves({ ContentLength: bytes.length, Metadata: metadata, ...extra });
  s3.on(GetObjectCommand).callsFake(() => ({ Body: Readable.from([bytes]) }));
}

function plainMetadata(bytes: Buffer): Record<string, string> {
  const hash = sha256(bytes);
  return { sha256: hash, 'original-size': String(bytes.length), 'stored-sha256': hash, encryption: 'none' };
}

beforeEach(() => s3.reset());

describe('stowage backup pull', () => {
  it('writes the verified bytes to the target and prints its path', async () => {
    // Arrange
    const dir = mkdtempSync(join(tmpdir(), 'stowage-pull-'));
    const bytes = randomBytes(70_000);
    serve(bytes, plainMetadata(bytes));
    const io = recordingIo();
    // Act
    const code = await runBackupPullCommand(KEY, { output: dir }, io);
    // Assert
    expect(code).toBe(0);
    expect(io.stdout).toEqual([join(dir, 'db_20261123_040000.dump')]);
    expect(readFileSync(join(dir, 'db_20261123_040000.dump')).equals(bytes)).toBe(true);
    expect(readdirSync(dir)).toEqual(['db_20261123_040000.dump']);
  });

  it('leaves nothing behind when the bytes do not match the metadata', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stowage-pull-'));
    const bytes = randomBytes(1000);
    serve(bytes, { ...plainMetadata(bytes), sha256: '0'.repeat(64), 'stored-sha256': '0'.repeat(64) });
    const io = recordingIo();
    const code = await runBackupPullCommand(KEY, { output: join(dir, 'out.dump') }, io);
    expect(code).toBe(1);
    expect(io.stderr.at(-1)).toContain('does not match its metadata');
    expect(readdirSync(dir)).toEqual([]);
  });

  it('refuses to overwrite without --force and replaces with it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stowage-pull-'));
    const target = join(dir, 'out.dump');
    writeFileSync(target, 'keep me');
    const bytes = randomBytes(10);
    serve(bytes, plainMetadata(bytes));
    const io = recordingIo();
    expect(await runBackupPullCommand(KEY, { output: target }, io)).toBe(1);
    expect(io.stderr.at(-1)).toBe(
      `stowage backup pull: refusing to overwrite ${target}: pass --force to replace it`,
    );
    expect(readFileSync(target, 'utf8')).toBe('keep me');
    expect(await runBackupPullCommand(KEY, { output: target, force: true }, io)).toBe(0);
    expect(readFileSync(target).equals(bytes)).toBe(true);
  });

  it.each([
    [undefined, 'not restored', `run \`stowage backup restore ${KEY} --days 7\``],
    ['ongoing-request="true"', 'restore ongoing', 'wait until the restore is done'],
  ])('points an archived object (x-amz-restore %s) to restore', async (restore, state, next) => {
    const bytes = randomBytes(10);
    serve(bytes, plainMetadata(bytes), { StorageClass: 'DEEP_ARCHIVE', Restore: restore });
    const io = recordingIo();
    const code = await runBackupPullCommand(
      KEY,
      { output: mkdtempSync(join(tmpdir(), 'stowage-pull-')) },
      io,
    );
    expect(code).toBe(1);
    expect(io.stderr.at(-1)).toContain(`${KEY} is in DEEP_ARCHIVE (${state}): ${next}`);
    expect(s3.commandCalls(GetObjectCommand)).toHaveLength(0);
  });

  it('pulls a restored archived object', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stowage-pull-'));
    const bytes = randomBytes(10);
    serve(bytes, plainMetadata(bytes), {
      StorageClass: 'GLACIER',
      Restore: 'ongoing-request="false", expiry-date="Fri, 21 Dec 2029 00:00:00 GMT"',
    });
    expect(await runBackupPullCommand(KEY, { output: dir }, recordingIo())).toBe(0);
    expect(existsSync(join(dir, 'db_20261123_040000.dump'))).toBe(true);
  });

  it('asks for --passphrase-env for a passphrase-encrypted backup', async () => {
    const bytes = randomBytes(10);
    serve(bytes, { ...plainMetadata(bytes), encryption: 'stowage-aes256gcm-v1', 'key-source': 'passphrase' });
    await expect(
      runBackupPullCommand(KEY, { output: mkdtempSync(join(tmpdir(), 'stowage-pull-')) }, recordingIo()),
    ).rejects.toThrow('this backup is encrypted with a passphrase: pass --passphrase-env VAR');
  });

  it('refuses bad arguments', async () => {
    const io = recordingIo();
    await expect(runBackupPullCommand(undefined, {}, io)).rejects.toThrow('name the backup KEY');
    await expect(runBackupPullCommand(undefined, { latest: true }, io)).rejects.toThrow(
      '--latest needs --source',
    );
    await expect(runBackupPullCommand('reports/x.json', {}, io)).rejects.toThrow('is not a backup key');
    await expect(runBackupPullCommand(KEY, { latest: true, source: 'db' }, io)).rejects.toThrow('not both');
  });
});
