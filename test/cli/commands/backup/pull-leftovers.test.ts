import { createHash, randomBytes } from 'crypto';
import { EventEmitter } from 'events';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { PassThrough, Readable } from 'stream';
import { GetObjectCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { runBackupPullCommand } from '../../../../cli/commands/backup/pull';
import { recordingIo } from './fake-backup-io';

const s3 = mockClient(S3Client);
const KEY = 'backups/db/20261123/db_20261123_040000.dump';
const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

beforeEach(() => s3.reset());

describe('stowage backup pull: partial files', () => {
  it('removes the partial file and exits 130 when SIGINT arrives mid-download', async () => {
    // Arrange: a body that sends half, then the user presses Ctrl-C
    const dir = mkdtempSync(join(tmpdir(), 'stowage-pull-int-'));
    const bytes = randomBytes(100_000);
    const hash = sha256(bytes);
    s3.on(HeadObjectCommand).resolves({
      ContentLength: bytes.length,
      Metadata: {
        sha256: hash,
        'original-size': String(bytes.length),
        'stored-sha256': hash,
        encryption: 'none',
      },
    });
    const signals = new EventEmitter();
    s3.on(GetObjectCommand).callsFake(() => {
      const body = new PassThrough();
      body.write(bytes.subarray(0, 50_000), () => setTimeout(() => signals.emit('SIGINT'), 20));
      return { Body: body };
    });
    const io = recordingIo({ signals });
    // Act
    const code = await runBackupPullCommand(KEY, { output: join(dir, 'out.dump') }, io);
    // Assert
    expect(code).toBe(130);
    expect(io.stderr.at(-1)).toBe(
      'stowage backup pull: interrupted by SIGINT: the partial download was removed',
    );
    expect(readdirSync(dir)).toEqual([]);
  });

  it("removes an earlier pull's leftover .part files (dead process, or an old name) before pulling", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stowage-pull-stale-'));
    const bytes = randomBytes(1000);
    const hash = sha256(bytes);
    s3.on(HeadObjectCommand).resolves({
      ContentLength: bytes.length,
      Metadata: { sha256: hash, 'original-size': '1000', 'stored-sha256': hash, encryption: 'none' },
    });
    s3.on(GetObjectCommand).callsFake(() => ({ Body: Readable.from([bytes]) }));
    // A pid that cannot be alive (above the kernel's pid_max), an old-style name, and an unrelated file.
    writeFileSync(join(dir, '.out.dump.stowage-99999999-abcdef.part'), 'stale');
    writeFileSync(join(dir, '.out.dump.stowage-0123456789ab.part'), 'stale');
    writeFileSync(join(dir, '.other.dump.stowage-99999999-abcdef.part'), 'not ours');
    const code = await runBackupPullCommand(KEY, { output: join(dir, 'out.dump') }, recordingIo());
    expect(code).toBe(0);
    expect(readdirSync(dir).sort()).toEqual(['.other.dump.stowage-99999999-abcdef.part', 'out.dump']);
  });
});

describe('stowage backup pull: backups streamed from stdin', () => {
  it('takes the digests from the digest manifest', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stowage-pull-manifest-'));
    const bytes = randomBytes(2000);
    s3.on(HeadObjectCommand).resolves({
      ContentLength: bytes.length,
      VersionId: 'v1',
      Metadata: { encryption: 'none', source: 'db', digest: 'manifest' },
    });
    const manifest = (sha: string) =>
      JSON.stringify({
        key: KEY,
        versionId: 'v1',
        sha256: sha,
        'original-size': '2000',
        'stored-sha256': sha,
        'stored-size': '2000',
      });
    s3.on(GetObjectCommand, { Key: `${KEY}.stowage-digest.json` }).callsFake(() => ({
      Body: Object.assign(Readable.from([manifest(sha256(bytes))]), {
        transformToString: async () => manifest(sha256(bytes)),
      }),
    }));
    s3.on(GetObjectCommand, { Key: KEY }).callsFake(() => ({ Body: Readable.from([bytes]) }));
    const code = await runBackupPullCommand(KEY, { output: join(dir, 'x.dump') }, recordingIo());
    expect(code).toBe(0);
    expect(readFileSync(join(dir, 'x.dump')).equals(bytes)).toBe(true);
  });
});
