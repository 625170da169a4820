import { createHash, randomBytes } from 'crypto';
import { mkdtempSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { gzipSync } from 'zlib';
import { GenerateDataKeyCommand, KMSClient } from '@aws-sdk/client-kms';
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
import { backupExtension, runBackupPushCommand } from '../../../../cli/commands/backup/push';
import { UsageError } from '../../../../cli/commands/scan';
import { recordingIo, serviceError } from './fake-backup-io';

const s3 = mockClient(S3Client);
const kms = mockClient(KMSClient);
const dir = mkdtempSync(join(tmpdir(), 'stowage-push-'));
const MiB = 1024 * 1024;

function file(name: string, bytes: Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}
const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

/** HeadObject answers with what the last PUT / CreateMultipartUpload declared, and `size` bytes (404 before). */
function headEchoesUpload(size: number): void {
  s3.on(HeadObjectCommand).callsFake(() => {
    const last = [...s3.commandCalls(PutObjectCommand), ...s3.commandCalls(CreateMultipartUploadCommand)].at(
      -1,
    );
    if (!last) throw serviceError('NotFound', 404, 'UnknownError');
    return { ContentLength: size, Metadata: last.args[0].input.Metadata, ServerSideEncryption: 'aws:kms' };
  });
}

/** HeadObject: 404 while nothing was uploaded (the key is free), then `answer`. */
function headAfterUpload(answer: () => object): void {
  s3.on(HeadObjectCommand).callsFake(() => {
    if (
      s3.commandCalls(PutObjectCommand).length + s3.commandCalls(CreateMultipartUploadCommand).length ===
      0
    ) {
      throw serviceError('NotFound', 404, 'UnknownError');
    }
    return answer();
  });
}

beforeEach(() => {
  s3.reset();
  kms.reset();
  // The key is free: no object, no upload in progress.
  s3.on(HeadObjectCommand).rejects(serviceError('NotFound', 404, 'UnknownError'));
  s3.on(ListMultipartUploadsCommand).resolves({});
  s3.on(ListObjectVersionsCommand).resolves({});
});

describe('stowage backup push', () => {
  it('puts a small file under the layout key with its SHA-256 metadata, SSE-KMS and S3 checksum', async () => {
    // Arrange: a real gzip stream (the push checks the format its extension names)
    const bytes = gzipSync(randomBytes(1000));
    const path = file('db.dump.gz', bytes);
    s3.on(PutObjectCommand).resolves({ VersionId: 'v1' });
    headEchoesUpload(bytes.length);
    const io = recordingIo();
    // Act
    const code = await runBackupPushCommand(
      path,
      { source: 'db', kmsKeyId: 'alias/backups', storageClass: 'standard_ia' },
      io,
    );
    // Assert
    expect(code).toBe(0);
    expect(io.stdout).toEqual(['backups/db/20261123/db_20261123_040000.dump.gz']);
    const put = s3.commandCalls(PutObjectCommand)[0]!.args[0].input;
    expect(put).toMatchObject({
      Bucket: 'stowage-dev-backups',
      Key: 'backups/db/20261123/db_20261123_040000.dump.gz',
      StorageClass: 'STANDARD_IA',
      ServerSideEncryption: 'aws:kms',
      SSEKMSKeyId: 'alias/backups',
      ChecksumSHA256: createHash('sha256').update(bytes).digest('base64'),
      Metadata: {
        sha256: sha256(bytes),
        'original-size': String(bytes.length),
        'stored-sha256': sha256(bytes),
        encryption: 'none',
        source: 'db',
      },
    });
    expect(io.stderr.join('\n')).toContain('no full-object SHA-256 checksum');
  });

  it('never sends a checksum to an S3-compatible endpoint', async () => {
    const path = file('app.tar', randomBytes(10));
    s3.on(PutObjectCommand).resolves({});
    headEchoesUpload(10);
    const code = await runBackupPushCommand(
      path,
      { source: 'app', endpointUrl: 'http://127.0.0.1:7480' },
      recordingIo(),
    );
    expect(code).toBe(0);
    const put = s3.commandCalls(PutObjectCommand)[0]!.args[0].input;
    expect(put.ChecksumSHA256).toBeUndefined();
    expect(put.ChecksumAlgorithm).toBeUndefined();
  });

  it('aborts a multipart upload that fails mid-way and retries after the configured delays', async () => {
    // Arrange: three 5 MiB parts; part 2 of attempt 1 and part 1 of attempt 2 fail.
    const bytes = randomBytes(11 * MiB);
    const path = file('big.bin', bytes);
    s3.on(CreateMultipartUploadCommand)
      .resolvesOnce({ UploadId: 'u1' })
      .resolvesOnce({ UploadId: 'u2' })
      .resolves({
        UploadId: 'u3',
      });
    const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    s3.on(UploadPartCommand)
      .resolvesOnce({ ETag: '"1"' })
      .rejectsOnce(reset)
      .rejectsOnce(serviceError('InternalError', 500))
      .resolves({ ETag: '"x"' });
    s3.on(CompleteMultipartUploadCommand).resolves({ VersionId: 'v3' });
    headEchoesUpload(bytes.length);
    const io = recordingIo();
    // Act
    const code = await runBackupPushCommand(
      path,
      { source: 'files', partSize: '5M', concurrency: '1', retries: '3', retryDelays: '0.01,0.02,0.04' },
      io,
    );
    // Assert
    expect(code).toBe(0);
    expect(io.sleeps).toEqual([10, 20]);
    expect(s3.commandCalls(AbortMultipartUploadCommand).map((c) => c.args[0].input.UploadId)).toEqual([
      'u1',
      'u2',
    ]);
    expect(s3.commandCalls(CompleteMultipartUploadCommand)[0]!.args[0].input.UploadId).toBe('u3');
    expect(io.stderr.filter((l) => l.includes('retry'))).toEqual([
      expect.stringContaining(
        "attempt 1 failed (ECONNRESET: socket hang up); the failed attempt's upload was aborted; retry 1 of 3 in 0.01s",
      ),
      expect.stringContaining(
        "attempt 2 failed (InternalError); the failed attempt's upload was aborted; retry 2 of 3 in 0.02s",
      ),
    ]);
  });

  it('retries a push whose part the server refused as damaged on the way (file unchanged)', async () => {
    // Arrange: the server's payload check fails once for bytes that are still the file's.
    const bytes = randomBytes(11 * MiB);
    const path = file('damaged.bin', bytes);
    s3.on(CreateMultipartUploadCommand).resolvesOnce({ UploadId: 'u1' }).resolves({ UploadId: 'u2' });
    s3.on(UploadPartCommand)
      .rejectsOnce(serviceError('XAmzContentSHA256Mismatch', 400))
      .resolves({ ETag: '"x"' });
    s3.on(CompleteMultipartUploadCommand).resolves({ VersionId: 'v2' });
    headEchoesUpload(bytes.length);
    const io = recordingIo();
    // Act
    const code = await runBackupPushCommand(
      path,
      { source: 'files', partSize: '5M', concurrency: '1', retries: '3', retryDelays: '0.01' },
      io,
    );
    // Assert
    expect(code).toBe(0);
    expect(io.sleeps).toEqual([10]);
    expect(io.stderr.filter((l) => l.includes('retry'))).toEqual([
      expect.stringContaining('attempt 1 failed (XAmzContentSHA256Mismatch'),
    ]);
    expect(s3.commandCalls(AbortMultipartUploadCommand).map((c) => c.args[0].input.UploadId)).toEqual(['u1']);
    expect(s3.commandCalls(CompleteMultipartUploadCommand)[0]!.args[0].input.UploadId).toBe('u2');
  });

  it('fails, without retrying, a file that changes between hashing and uploading, leaving no object', async () => {
    // Arrange: the file is rewritten once the first pass is over (when the multipart upload is created).
    const bytes = randomBytes(11 * MiB);
    const path = file('changing.bin', bytes);
    s3.on(CreateMultipartUploadCommand).callsFake(() => {
      writeFileSync(path, Buffer.concat([bytes.subarray(0, 10 * MiB), randomBytes(MiB)]));
      return { UploadId: 'u1' };
    });
    s3.on(UploadPartCommand).resolves({ ETag: '"x"' });
    const io = recordingIo();
    // Act
    const code = await runBackupPushCommand(
      path,
      { source: 'files', partSize: '5M', concurrency: '2', retries: '3', retryDelays: '0' },
      io,
    );
    // Assert
    expect(code).toBe(1);
    expect(io.sleeps).toEqual([]);
    expect(io.stderr.at(-1)).toMatch(
      /^stowage backup push: .*changing\.bin changed while it was being read: it was modified/,
    );
    expect(s3.commandCalls(CompleteMultipartUploadCommand)).toHaveLength(0);
    expect(s3.commandCalls(AbortMultipartUploadCommand)).toHaveLength(1);
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(0);
  });

  it('gives up after the retries, aborting every attempt, exit 1', async () => {
    const path = file('big2.bin', randomBytes(6 * MiB));
    s3.on(CreateMultipartUploadCommand).resolves({ UploadId: 'u' });
    s3.on(UploadPartCommand).rejects(serviceError('ServiceUnavailable', 503));
    const io = recordingIo();
    const code = await runBackupPushCommand(
      path,
      { source: 'files', partSize: '5M', retries: '1', retryDelays: '0' },
      io,
    );
    expect(code).toBe(1);
    expect(s3.commandCalls(AbortMultipartUploadCommand)).toHaveLength(2);
    expect(io.stderr.at(-1)).toBe(
      'stowage backup push: push failed: ServiceUnavailable [HTTP 503]: the service is unavailable',
    );
  });

  it('does not retry access errors', async () => {
    const path = file('denied.bin', randomBytes(10));
    s3.on(PutObjectCommand).rejects(serviceError('AccessDenied', 403, 'Access Denied'));
    const io = recordingIo();
    const code = await runBackupPushCommand(path, { source: 'files' }, io);
    expect(code).toBe(1);
    expect(io.sleeps).toEqual([]);
    expect(io.stderr.at(-1)).toContain('AccessDenied [HTTP 403]: Access Denied (check your credentials');
  });

  it('reports KMS AccessDenied on GenerateDataKey clearly, exit 1, nothing uploaded', async () => {
    // Arrange
    const path = file('secret.sql', randomBytes(100));
    kms.on(GenerateDataKeyCommand).rejects(serviceError('AccessDeniedException', 400, 'not authorized'));
    const io = recordingIo();
    // Act
    const code = await runBackupPushCommand(
      path,
      { source: 'db', encrypt: true, kmsKeyId: 'alias/backups' },
      io,
    );
    // Assert
    expect(code).toBe(1);
    expect(io.stderr).toEqual([
      'stowage backup push: push: KMS GenerateDataKey with key alias/backups failed: AccessDeniedException: ' +
        'not authorized: check the key policy and your IAM permissions (kms:GenerateDataKey, kms:Decrypt)',
    ]);
    // Only the look-up of a free key: nothing was uploaded.
    expect(s3.calls().map((call) => call.args[0].constructor.name)).toEqual([
      'ListObjectVersionsCommand',
      'ListMultipartUploadsCommand',
    ]);
    expect(kms.commandCalls(GenerateDataKeyCommand)[0]!.args[0].input.EncryptionContext).toEqual({
      source: 'db',
      key: 'backups/db/20261123/db_20261123_040000.sql',
    });
  });

  it('deletes the version it wrote when verification finds a mismatch, exit 1', async () => {
    // Arrange
    const path = file('x.bin', randomBytes(100));
    s3.on(PutObjectCommand).resolves({ VersionId: 'v7' });
    headAfterUpload(() => ({ ContentLength: 99, Metadata: { sha256: 'f'.repeat(64) } }));
    s3.on(DeleteObjectCommand).resolves({});
    const io = recordingIo();
    // Act
    const code = await runBackupPushCommand(path, { source: 'files' }, io);
    // Assert
    expect(code).toBe(1);
    expect(s3.commandCalls(DeleteObjectCommand)[0]!.args[0].input).toEqual({
      Bucket: 'stowage-dev-backups',
      Key: 'backups/files/20261123/files_20261123_040000.bin',
      VersionId: 'v7',
    });
    expect(io.stdout).toEqual([]);
    expect(io.stderr.at(-1)).toMatch(
      /verification of .* failed: size is 99 bytes, expected 100; metadata sha256/,
    );
    expect(io.stderr.at(-1)).toContain('the object was deleted');
  });

  it('encrypts with a passphrase: stored bytes differ, metadata names the scheme and key source', async () => {
    const bytes = randomBytes(5000);
    const path = file('notes.txt', bytes);
    s3.on(PutObjectCommand).resolves({});
    headAfterUpload(() => {
      const put = s3.commandCalls(PutObjectCommand)[0]!.args[0].input;
      return { ContentLength: (put.Body as Buffer).length, Metadata: put.Metadata };
    });
    const io = recordingIo({ env: { STOWAGE_BACKUPS_BUCKET: 'b', SECRET: 'pw' } });
    const code = await runBackupPushCommand(path, { source: 'notes', passphraseEnv: 'SECRET' }, io);
    expect(code).toBe(0);
    const put = s3.commandCalls(PutObjectCommand)[0]!.args[0].input;
    expect(put.Metadata).toMatchObject({
      sha256: sha256(bytes),
      'original-size': '5000',
      'stored-sha256': sha256(put.Body as Buffer),
      encryption: 'stowage-aes256gcm-v1',
      'key-source': 'passphrase',
    });
    expect((put.Body as Buffer).subarray(0, 6).toString()).toBe('STWENC');
  });

  it('refuses bad arguments with messages naming them', async () => {
    const path = file('ok.bin', randomBytes(1));
    const io = recordingIo();
    await expect(runBackupPushCommand(path, { source: 'Bad_Name' }, io)).rejects.toThrow(
      "invalid source name 'Bad_Name'",
    );
    await expect(runBackupPushCommand(join(dir, 'missing.bin'), { source: 'a' }, io)).rejects.toThrow(
      new UsageError(`cannot read ${join(dir, 'missing.bin')}: ENOENT`),
    );
    await expect(runBackupPushCommand(path, { source: 'a', partSize: '1M' }, io)).rejects.toThrow(
      '--part-size',
    );
    await expect(runBackupPushCommand(path, { source: 'a', storageClass: 'COLD' }, io)).rejects.toThrow(
      '--storage-class',
    );
    await expect(runBackupPushCommand(path, { source: 'a', encrypt: true }, io)).rejects.toThrow(
      '--encrypt needs a key',
    );
    await expect(runBackupPushCommand(path, { source: 'a' }, recordingIo({ env: {} }))).rejects.toThrow(
      'no backups bucket: pass --bucket NAME or set STOWAGE_BACKUPS_BUCKET',
    );
  });

  it('takes the extension after the first dot of the file name', () => {
    expect(backupExtension('/var/backups/db.dump.gz')).toBe('dump.gz');
    expect(backupExtension('site.TAR.GZ')).toBe('tar.gz');
    expect(backupExtension('dump')).toBe('bin');
  });
});
