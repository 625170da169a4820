import { createHash, randomBytes } from 'crypto';
import { EventEmitter } from 'events';
import { mkdtempSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { Readable } from 'stream';
import { gzipSync } from 'zlib';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectVersionsCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { runBackupPushCommand } from '../../../../cli/commands/backup/push';
import { recordingIo, serviceError } from './fake-backup-io';

const s3 = mockClient(S3Client);
const dir = mkdtempSync(join(tmpdir(), 'stowage-push-safety-'));
const MiB = 1024 * 1024;
const KEY = 'backups/db/20261123/db_20261123_040000';
const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

function file(name: string, bytes: Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

/** HeadObject: 404 for keys nobody wrote; for written ones, what was declared (size from the parts or body). */
function fakeBucket(existing: string[] = []): void {
  s3.on(HeadObjectCommand).callsFake((input: { Key: string }) => {
    const put = s3.commandCalls(PutObjectCommand).find((call) => call.args[0].input.Key === input.Key);
    const created = s3
      .commandCalls(CreateMultipartUploadCommand)
      .find((call) => call.args[0].input.Key === input.Key);
    if (existing.includes(input.Key)) return { ContentLength: 1, Metadata: {} };
    if (put) {
      return {
        ContentLength: (put.args[0].input.Body as Buffer).length,
        Metadata: put.args[0].input.Metadata,
      };
    }
    const completed = s3.commandCalls(CompleteMultipartUploadCommand).length > 0;
    if (created && completed) {
      // The last try of each part is the one that counts.
      const sizes = new Map<number, number>();
      for (const call of s3.commandCalls(UploadPartCommand)) {
        sizes.set(call.args[0].input.PartNumber!, call.args[0].input.ContentLength ?? 0);
      }
      const size = [...sizes.values()].reduce((sum, n) => sum + n, 0);
      return { ContentLength: size, Metadata: created.args[0].input.Metadata };
    }
    throw serviceError('NotFound', 404, 'UnknownError');
  });
  s3.on(ListMultipartUploadsCommand).resolves({});
  s3.on(ListObjectVersionsCommand).resolves({});
  for (const key of existing) {
    s3.on(ListObjectVersionsCommand, { Prefix: key }).resolves({
      Versions: [{ Key: key, VersionId: 'old', IsLatest: true }],
    });
  }
  s3.on(PutObjectCommand).resolves({ VersionId: 'v1' });
  s3.on(CreateMultipartUploadCommand).resolves({ UploadId: 'u1' });
  s3.on(UploadPartCommand).callsFake((input: { PartNumber: number }) => ({ ETag: `"e${input.PartNumber}"` }));
  s3.on(CompleteMultipartUploadCommand).resolves({ VersionId: 'v1' });
  s3.on(AbortMultipartUploadCommand).resolves({});
}

beforeEach(() => s3.reset());

describe('stowage backup push: signals', () => {
  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const)('%s mid-upload aborts the multipart upload and exits %i', async (signal, exitCode) => {
    // Arrange: the signal arrives while the first part is on its way
    fakeBucket();
    const signals = new EventEmitter();
    s3.on(UploadPartCommand).callsFake((input: { PartNumber: number }) => {
      if (input.PartNumber === 1) signals.emit(signal);
      return { ETag: `"e${input.PartNumber}"` };
    });
    const path = file(`big-${signal}.bin`, randomBytes(11 * MiB));
    const io = recordingIo({ signals });
    // Act
    const code = await runBackupPushCommand(path, { source: 'db', partSize: '5M', concurrency: '1' }, io);
    // Assert
    expect(code).toBe(exitCode);
    expect(s3.commandCalls(CompleteMultipartUploadCommand)).toHaveLength(0);
    expect(s3.commandCalls(AbortMultipartUploadCommand)[0]!.args[0].input).toEqual({
      Bucket: 'stowage-dev-backups',
      Key: `${KEY}.bin`,
      UploadId: 'u1',
    });
    expect(io.stderr.at(-1)).toBe(
      `stowage backup push: interrupted by ${signal}: multipart upload u1 of ` +
        `s3://stowage-dev-backups/${KEY}.bin was aborted, nothing was stored`,
    );
    expect(signals.listenerCount(signal)).toBe(0);
  });

  it('SIGTERM during a stdin push aborts its upload too', async () => {
    fakeBucket();
    const signals = new EventEmitter();
    s3.on(UploadPartCommand).callsFake((input: { PartNumber: number }) => {
      signals.emit('SIGTERM');
      return { ETag: `"e${input.PartNumber}"` };
    });
    const stdin = Readable.from([randomBytes(6 * MiB), randomBytes(6 * MiB)]);
    const io = recordingIo({ signals, stdin });
    const code = await runBackupPushCommand('-', { source: 'db', name: 'x.bin', partSize: '5M' }, io);
    expect(code).toBe(143);
    expect(s3.commandCalls(AbortMultipartUploadCommand)).toHaveLength(1);
    expect(s3.commandCalls(CompleteMultipartUploadCommand)).toHaveLength(0);
  });
});

describe('stowage backup push: unique keys', () => {
  it('takes the _2 key when the second already holds a backup, and creates only if absent', async () => {
    fakeBucket([`${KEY}.bin`]);
    const io = recordingIo();
    const code = await runBackupPushCommand(file('a.bin', randomBytes(100)), { source: 'db' }, io);
    expect(code).toBe(0);
    expect(io.stdout).toEqual([`${KEY}_2.bin`]);
    expect(s3.commandCalls(PutObjectCommand)[0]!.args[0].input).toMatchObject({
      Key: `${KEY}_2.bin`,
      IfNoneMatch: '*',
    });
  });

  it('moves on when a server that ignores If-None-Match let another push write the key first', async () => {
    fakeBucket();
    const early = new Date('2026-11-23T04:00:00.100Z');
    const late = new Date('2026-11-23T04:00:00.200Z');
    s3.on(ListObjectVersionsCommand, { Prefix: `${KEY}.bin` })
      .resolvesOnce({})
      .resolves({
        Versions: [
          { Key: `${KEY}.bin`, VersionId: 'theirs', LastModified: early, IsLatest: false },
          { Key: `${KEY}.bin`, VersionId: 'v1', LastModified: late, IsLatest: true },
        ],
      });
    s3.on(DeleteObjectCommand).resolves({});
    const io = recordingIo();
    const code = await runBackupPushCommand(file('race.bin', randomBytes(10)), { source: 'db' }, io);
    expect(code).toBe(0);
    expect(s3.commandCalls(DeleteObjectCommand)[0]!.args[0].input).toMatchObject({
      Key: `${KEY}.bin`,
      VersionId: 'v1',
    });
    expect(io.stdout).toEqual([`${KEY}_2.bin`]);
    expect(io.stderr).toContain(
      `push: another push wrote ${KEY}.bin in the same instant; pushing to ${KEY}_2.bin instead`,
    );
  });

  it('still pushes when the role may not list versions or uploads (falls back to HeadObject)', async () => {
    fakeBucket([`${KEY}.bin`]);
    s3.on(ListObjectVersionsCommand).rejects(serviceError('AccessDenied', 403));
    s3.on(ListMultipartUploadsCommand).rejects(serviceError('AccessDenied', 403));
    const io = recordingIo();
    expect(await runBackupPushCommand(file('noperm.bin', randomBytes(10)), { source: 'db' }, io)).toBe(0);
    expect(io.stdout).toEqual([`${KEY}_2.bin`]);
  });

  it('skips a key with a multipart upload in progress', async () => {
    fakeBucket();
    s3.on(ListMultipartUploadsCommand, { Prefix: `${KEY}.bin` }).resolves({
      Uploads: [{ Key: `${KEY}.bin`, UploadId: 'other' }],
    });
    const io = recordingIo();
    expect(await runBackupPushCommand(file('b.bin', randomBytes(10)), { source: 'db' }, io)).toBe(0);
    expect(io.stdout).toEqual([`${KEY}_2.bin`]);
  });

  it('moves on to the next key when another push created the chosen one meanwhile (412)', async () => {
    fakeBucket();
    s3.on(PutObjectCommand, { Key: `${KEY}.bin` }).rejects(
      serviceError('PreconditionFailed', 412, 'UnknownError'),
    );
    const io = recordingIo();
    const code = await runBackupPushCommand(file('c.bin', randomBytes(10)), { source: 'db' }, io);
    expect(code).toBe(0);
    expect(io.stdout).toEqual([`${KEY}_2.bin`]);
    expect(io.stderr).toContain(`push: ${KEY}.bin was created by another push meanwhile; using ${KEY}_2.bin`);
    expect(io.sleeps).toEqual([]);
  });
});

describe('stowage backup push: retries leave nothing behind', () => {
  it('aborts an upload whose CreateMultipartUpload answer was lost before retrying', async () => {
    fakeBucket();
    const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    s3.on(CreateMultipartUploadCommand).rejectsOnce(reset).resolves({ UploadId: 'u2' });
    // The server did create the first upload: the cleanup finds it by key.
    s3.on(ListMultipartUploadsCommand)
      .resolvesOnce({})
      .resolvesOnce({ Uploads: [{ Key: `${KEY}.bin`, UploadId: 'lost', Initiated: new Date() }] })
      .resolves({});
    const io = recordingIo();
    const code = await runBackupPushCommand(
      file('d.bin', randomBytes(11 * MiB)),
      { source: 'db', partSize: '5M', retryDelays: '0' },
      io,
    );
    expect(code).toBe(0);
    expect(s3.commandCalls(AbortMultipartUploadCommand).map((c) => c.args[0].input.UploadId)).toEqual([
      'lost',
    ]);
    expect(io.stderr).toContain(`push: aborted 1 leftover upload(s) of ${KEY}.bin`);
  });

  it('explains a storage class the server refuses, with the S3 code and its meaning', async () => {
    fakeBucket();
    s3.on(PutObjectCommand).rejects(serviceError('InvalidArgument', 400, 'UnknownError'));
    const io = recordingIo();
    const code = await runBackupPushCommand(
      file('e.bin', randomBytes(10)),
      { source: 'db', storageClass: 'GLACIER' },
      io,
    );
    expect(code).toBe(1);
    expect(io.stderr.at(-1)).toMatch(
      /^stowage backup push: the server refused storage class GLACIER \(InvalidArgument \(the server refused an argument/,
    );
    expect(io.stderr.join('\n')).not.toContain('UnknownError');
  });
});

describe('stowage backup push - (stdin)', () => {
  it('puts a stream that fits in one part in one PutObject with its digests in the metadata', async () => {
    fakeBucket();
    const bytes = gzipSync(randomBytes(50_000));
    const io = recordingIo({ stdin: Readable.from([bytes]) });
    const code = await runBackupPushCommand('-', { source: 'db', name: 'db.sql.gz' }, io);
    expect(code).toBe(0);
    expect(io.stdout).toEqual([`${KEY}.sql.gz`]);
    expect(s3.commandCalls(PutObjectCommand)[0]!.args[0].input).toMatchObject({
      IfNoneMatch: '*',
      Metadata: { sha256: sha256(bytes), 'original-size': String(bytes.length), encryption: 'none' },
    });
  });

  it('streams a long input in parts, retries a part from its buffer, and writes the digest manifest', async () => {
    fakeBucket();
    const bytes = gzipSync(randomBytes(12 * MiB));
    const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    const sent: Buffer[] = [];
    let failedOnce = false;
    s3.on(UploadPartCommand).callsFake((input: { PartNumber: number; Body: Buffer }) => {
      if (input.PartNumber === 2 && !failedOnce) {
        failedOnce = true;
        throw reset;
      }
      sent[input.PartNumber - 1] = Buffer.from(input.Body);
      return { ETag: `"e${input.PartNumber}"` };
    });
    const chunks = Array.from({ length: Math.ceil(bytes.length / 65536) }, (_, i) =>
      bytes.subarray(i * 65536, (i + 1) * 65536),
    );
    const io = recordingIo({ stdin: Readable.from(chunks) });
    const code = await runBackupPushCommand(
      '-',
      { source: 'db', name: 'db.gz', partSize: '5M', retryDelays: '0' },
      io,
    );
    expect(io.stderr[0]).toBe('push: part 2 failed (ECONNRESET: socket hang up); retry 1 of 3 in 0s');
    expect(code).toBe(0);
    expect(Buffer.concat(sent).equals(bytes)).toBe(true);
    expect(s3.commandCalls(CreateMultipartUploadCommand)[0]!.args[0].input.Metadata).toEqual({
      encryption: 'none',
      source: 'db',
      digest: 'manifest',
    });
    expect(s3.commandCalls(CompleteMultipartUploadCommand)[0]!.args[0].input.IfNoneMatch).toBe('*');
    const manifest = s3.commandCalls(PutObjectCommand)[0]!.args[0].input;
    expect(manifest.Key).toBe(`${KEY}.gz.stowage-digest.json`);
    expect(JSON.parse(manifest.Body as string)).toEqual({
      key: `${KEY}.gz`,
      versionId: 'v1',
      sha256: sha256(bytes),
      'original-size': String(bytes.length),
      'stored-sha256': sha256(bytes),
      'stored-size': String(bytes.length),
    });
  });

  it('refuses a foreign stream before sending any byte', async () => {
    fakeBucket();
    const io = recordingIo({ stdin: Readable.from([randomBytes(20 * MiB)]) });
    const code = await runBackupPushCommand('-', { source: 'db', name: 'db.dump', partSize: '5M' }, io);
    expect(code).toBe(1);
    expect(io.stderr.at(-1)).toBe(
      'stowage backup push: stdin is not a pg_dump custom-format archive (starts with PGDMP): refusing to ' +
        'upload it as pg-dump (pass --no-check to upload it anyway)',
    );
    expect(s3.commandCalls(CreateMultipartUploadCommand)).toHaveLength(0);
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(0);
  });

  it('aborts, instead of completing, a truncated stream', async () => {
    fakeBucket();
    const whole = gzipSync(randomBytes(12 * MiB));
    const io = recordingIo({ stdin: Readable.from([whole.subarray(0, whole.length - 1000)]) });
    const code = await runBackupPushCommand('-', { source: 'db', name: 'db.gz', partSize: '5M' }, io);
    expect(code).toBe(1);
    expect(io.stderr.at(-1)).toMatch(/^stowage backup push: stdin is not a whole gzip archive: .*--no-check/);
    expect(s3.commandCalls(CompleteMultipartUploadCommand)).toHaveLength(0);
    expect(s3.commandCalls(AbortMultipartUploadCommand)).toHaveLength(1);
  });

  it('uploads anything with --no-check, and needs --name', async () => {
    fakeBucket();
    const io = recordingIo({ stdin: Readable.from([randomBytes(1000)]) });
    expect(await runBackupPushCommand('-', { source: 'db', name: 'db.dump', check: false }, io)).toBe(0);
    await expect(runBackupPushCommand('-', { source: 'db' }, recordingIo())).rejects.toThrow(
      'push - (stdin) needs --name',
    );
  });
});

describe('stowage backup push: files are checked too', () => {
  it('refuses a truncated gzip file before uploading', async () => {
    fakeBucket();
    const whole = gzipSync(randomBytes(100_000));
    const io = recordingIo();
    const code = await runBackupPushCommand(
      file('cut.sql.gz', whole.subarray(0, 5000)),
      { source: 'db' },
      io,
    );
    expect(code).toBe(1);
    expect(io.stderr.at(-1)).toMatch(/cut\.sql\.gz is not a whole gzip archive/);
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(0);
  });
});
