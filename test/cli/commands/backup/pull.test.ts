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

  describe('retries', () => {
    function connectionReset(): Error {
      return Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    }

    it('retries a GET that failed on the network and pins the version and ETag it checked', async () => {
      // Arrange
      const dir = mkdtempSync(join(tmpdir(), 'stowage-pull-'));
      const bytes = randomBytes(5000);
      s3.on(HeadObjectCommand).resolves({
        ContentLength: bytes.length,
        Metadata: plainMetadata(bytes),
        VersionId: 'v1',
        ETag: '"etag-1"',
      });
      s3.on(GetObjectCommand)
        .rejectsOnce(connectionReset())
        .callsFake(() => ({ Body: Readable.from([bytes]) }));
      const io = recordingIo();

      // Act
      const code = await runBackupPullCommand(KEY, { output: dir }, io);

      // Assert
      expect(code).toBe(0);
      expect(io.sleeps).toEqual([5000]);
      expect(io.stderr[0]).toBe('pull: attempt 1 failed (socket hang up); retry 1 of 3 in 5 s');
      for (const call of s3.commandCalls(GetObjectCommand)) {
        expect(call.args[0].input).toMatchObject({ VersionId: 'v1', IfMatch: '"etag-1"' });
      }
      expect(readFileSync(join(dir, 'db_20261123_040000.dump')).equals(bytes)).toBe(true);
      expect(readdirSync(dir)).toEqual(['db_20261123_040000.dump']);
    });

    it('starts again from a fresh file when the body is cut short, and leaves no partial file', async () => {
      // Arrange: the first body ends cleanly after 1,000 of 5,000 bytes, the second breaks mid-stream.
      const dir = mkdtempSync(join(tmpdir(), 'stowage-pull-'));
      const bytes = randomBytes(5000);
      s3.on(HeadObjectCommand).resolves({ ContentLength: bytes.length, Metadata: plainMetadata(bytes) });
      async function* breaking(): AsyncGenerator<Buffer> {
        yield bytes.subarray(0, 2000);
        throw connectionReset();
      }
      s3.on(GetObjectCommand)
        .callsFakeOnce(() => ({ Body: Readable.from([bytes.subarray(0, 1000)]) }))
        .callsFakeOnce(() => ({ Body: Readable.from(breaking()) }))
        .callsFake(() => ({ Body: Readable.from([bytes]) }));
      const io = recordingIo();

      // Act
      const code = await runBackupPullCommand(KEY, { output: join(dir, 'out.dump') }, io);

      // Assert
      expect(code).toBe(0);
      expect(io.sleeps).toEqual([5000, 10000]);
      expect(io.stderr[0]).toBe(
        'pull: attempt 1 failed (the download ended after 1000 of 5000 bytes); retry 1 of 3 in 5 s',
      );
      expect(readFileSync(join(dir, 'out.dump')).equals(bytes)).toBe(true);
      expect(readdirSync(dir)).toEqual(['out.dump']);
    });

    it('gives up after the retries with exit 1 and nothing written', async () => {
      // Arrange
      const dir = mkdtempSync(join(tmpdir(), 'stowage-pull-'));
      const bytes = randomBytes(100);
      s3.on(HeadObjectCommand).resolves({ ContentLength: bytes.length, Metadata: plainMetadata(bytes) });
      s3.on(GetObjectCommand).rejects(connectionReset());
      const io = recordingIo();

      // Act
      const code = await runBackupPullCommand(
        KEY,
        { output: join(dir, 'out.dump'), retries: '2', retryDelays: '1' },
        io,
      );

      // Assert
      expect(code).toBe(1);
      expect(io.sleeps).toEqual([1000, 2000]);
      expect(s3.commandCalls(GetObjectCommand)).toHaveLength(3);
      expect(io.stderr.at(-1)).toBe('stowage backup pull: download failed after 3 attempts: socket hang up');
      expect(readdirSync(dir)).toEqual([]);
    });

    it('does not retry a body the decryptor refuses before it ended (wrong passphrase is final)', async () => {
      // Arrange: an envelope header that is not one, on a passphrase-encrypted backup.
      const dir = mkdtempSync(join(tmpdir(), 'stowage-pull-'));
      const stored = randomBytes(200_000);
      serve(stored, {
        sha256: 'a'.repeat(64),
        'original-size': '100',
        'stored-sha256': sha256(stored),
        encryption: 'stowage-aes256gcm-v1',
        'key-source': 'passphrase',
      });
      const io = recordingIo({ env: { STOWAGE_BACKUPS_BUCKET: 'b', PASS: 'secret' } });

      // Act
      const code = await runBackupPullCommand(KEY, { output: join(dir, 'out'), passphraseEnv: 'PASS' }, io);

      // Assert
      expect(code).toBe(1);
      expect(io.sleeps).toEqual([]);
      expect(io.stderr.at(-1)).toMatch(/^stowage backup pull: decryption failed: /);
      expect(readdirSync(dir)).toEqual([]);
    });

    it('does not retry bytes that do not match the metadata', async () => {
      // Arrange
      const dir = mkdtempSync(join(tmpdir(), 'stowage-pull-'));
      const bytes = randomBytes(100);
      serve(bytes, { ...plainMetadata(bytes), sha256: 'f'.repeat(64) });
      const io = recordingIo();

      // Act
      const code = await runBackupPullCommand(KEY, { output: join(dir, 'out.dump') }, io);

      // Assert
      expect(code).toBe(1);
      expect(io.sleeps).toEqual([]);
      expect(s3.commandCalls(GetObjectCommand)).toHaveLength(1);
      expect(readdirSync(dir)).toEqual([]);
    });
  });
});
