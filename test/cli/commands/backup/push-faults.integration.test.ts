/**
 * `stowage backup push` when S3 misbehaves, for real: a fault-injecting proxy in front of the test RGW answers
 * chosen requests with S3 errors. Transient ones (503 SlowDown) are retried until the backup is stored byte-exact;
 * a hard one (403 AccessDenied) fails the push cleanly: no object, no incomplete multipart upload left behind.
 * A part damaged on the way is refused by RGW's check of the signed payload SHA-256 and retried; a file rewritten
 * between push's two passes is refused the same way and named as changed.
 */
import { createHash, randomBytes } from 'crypto';
import { mkdtempSync, rmSync, statSync, utimesSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import {
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectVersionsCommand,
} from '@aws-sdk/client-s3';
import { measureFileParts, uploadFileParts } from '../../../../cli/commands/backup/file-parts-upload';
import { runBackupPushCommand } from '../../../../cli/commands/backup/push';
import { DigestMismatchError } from '../../../../cli/commands/backup/stream-digest';
import { startS3FaultProxy, type S3FaultProxy } from '../../../support/integration/s3-fault-proxy';
import { createTestS3Client, getTestServers } from '../../../support/integration/servers';
import { useRgwBackupBucket } from './rgw-backup-fixture';

const MiB = 1024 * 1024;
const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

describe('stowage backup push through a fault-injecting proxy (real RGW)', () => {
  const rgw = useRgwBackupBucket('it-push-faults');
  const dir = mkdtempSync(join(tmpdir(), 'stowage-push-faults-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  let proxy: S3FaultProxy | undefined;

  afterEach(async () => {
    await proxy?.close();
    proxy = undefined;
  });

  const file = (name: string, bytes: Buffer): string => {
    const path = join(dir, name);
    writeFileSync(path, bytes);
    return path;
  };

  async function incompleteUploads(): Promise<number> {
    const listed = await rgw.s3.send(new ListMultipartUploadsCommand({ Bucket: rgw.bucket }));
    return listed.Uploads?.length ?? 0;
  }

  it('retries a multipart upload whose parts get 503 SlowDown until it is stored byte-exact', async () => {
    // Arrange: the SDK itself makes 3 attempts per request, so 3 faults fail the CLI's first attempt.
    proxy = await startS3FaultProxy(getTestServers().s3.endpoint, [
      {
        operation: 'UploadPart',
        times: 3,
        status: 503,
        code: 'SlowDown',
        message: 'Please reduce your request rate.',
      },
    ]);
    const bytes = randomBytes(11 * MiB + 5);
    const io = rgw.io({ now: () => new Date('2026-11-25T01:00:00Z') });

    // Act
    const code = await runBackupPushCommand(
      file('retried.tar', bytes),
      {
        source: 'retried',
        endpointUrl: proxy.endpoint,
        partSize: '5M',
        concurrency: '1',
        retryDelays: '0.05',
        verifyRead: true,
      },
      io,
    );

    // Assert
    expect(io.stderr.filter((line) => line.startsWith('stowage backup push'))).toEqual([]);
    expect(code).toBe(0);
    expect(io.stdout).toEqual(['backups/retried/20261125/retried_20261125_010000.tar']);
    expect(io.stderr).toContainEqual(
      expect.stringMatching(
        /^push: attempt 1 failed \(SlowDown: Please reduce your request rate\.\); the failed attempt's upload was aborted; retry 1 of 3 in 0\.05s$/,
      ),
    );
    const parts = proxy.requestsOf('UploadPart');
    expect(parts.filter((part) => part.injected).map((part) => part.status)).toEqual([503, 503, 503]);
    expect(parts.filter((part) => !part.injected).map((part) => part.status)).toEqual([200, 200, 200]);
    expect(proxy.requestsOf('AbortMultipartUpload').map((request) => request.status)).toEqual([204]);
    expect(proxy.requestsOf('CompleteMultipartUpload').map((request) => request.status)).toEqual([200]);
    const object = await rgw.s3.send(new GetObjectCommand({ Bucket: rgw.bucket, Key: io.stdout[0] }));
    const stored = await object.Body!.transformToByteArray();
    expect(stored.length).toBe(bytes.length);
    expect(sha256(stored)).toBe(sha256(bytes));
    expect(object.ETag).toMatch(/-3"$/);
    expect(object.Metadata?.sha256).toBe(sha256(bytes));
    expect(await incompleteUploads()).toBe(0);
  });

  it('retries a single PUT answered with 503 SlowDown', async () => {
    // Arrange
    proxy = await startS3FaultProxy(getTestServers().s3.endpoint, [
      {
        operation: 'PutObject',
        times: 3,
        status: 503,
        code: 'SlowDown',
        message: 'Please reduce your request rate.',
      },
    ]);
    const bytes = randomBytes(300_000);
    const io = rgw.io({ now: () => new Date('2026-11-25T02:00:00Z') });

    // Act
    const code = await runBackupPushCommand(
      file('single.sql', bytes),
      { source: 'single-put', endpointUrl: proxy.endpoint, retryDelays: '0.05' },
      io,
    );

    // Assert
    expect(code).toBe(0);
    expect(io.stderr.filter((line) => line.startsWith('push: attempt'))).toHaveLength(1);
    expect(proxy.requestsOf('PutObject').map((request) => [request.status, request.injected])).toEqual([
      [503, true],
      [503, true],
      [503, true],
      [200, false],
    ]);
    const object = await rgw.s3.send(new GetObjectCommand({ Bucket: rgw.bucket, Key: io.stdout[0] }));
    expect(sha256(await object.Body!.transformToByteArray())).toBe(sha256(bytes));
  });

  it('fails a multipart upload refused with 403 AccessDenied at once, leaving no object and no upload', async () => {
    // Arrange: the first part goes through, every later one is refused.
    proxy = await startS3FaultProxy(getTestServers().s3.endpoint, [
      { operation: 'UploadPart', after: 1, status: 403, code: 'AccessDenied', message: 'Access Denied' },
    ]);
    const io = rgw.io({ now: () => new Date('2026-11-25T03:00:00Z') });
    const key = 'backups/refused/20261125/refused_20261125_030000.bin';

    // Act
    const code = await runBackupPushCommand(
      file('refused.bin', randomBytes(16 * MiB)),
      {
        source: 'refused',
        endpointUrl: proxy.endpoint,
        partSize: '5M',
        concurrency: '2',
        retryDelays: '0.05',
      },
      io,
    );

    // Assert
    expect(code).toBe(1);
    expect(io.stdout).toEqual([]);
    expect(io.stderr.at(-1)).toBe(
      'stowage backup push: push failed: AccessDenied [HTTP 403]: Access Denied (check your credentials ' +
        '(--profile / AWS_PROFILE) and their permissions on the bucket)',
    );
    expect(io.stderr.filter((line) => line.startsWith('push: attempt'))).toEqual([]);
    expect(proxy.requestsOf('UploadPart').filter((part) => !part.injected)).toHaveLength(1);
    expect(proxy.requestsOf('AbortMultipartUpload').map((request) => request.status)).toEqual([204]);
    expect(proxy.requestsOf('CompleteMultipartUpload')).toEqual([]);
    await expect(rgw.s3.send(new HeadObjectCommand({ Bucket: rgw.bucket, Key: key }))).rejects.toMatchObject({
      $metadata: { httpStatusCode: 404 },
    });
    const versions = await rgw.s3.send(new ListObjectVersionsCommand({ Bucket: rgw.bucket, Prefix: key }));
    expect([...(versions.Versions ?? []), ...(versions.DeleteMarkers ?? [])]).toEqual([]);
    expect(await incompleteUploads()).toBe(0);
  });

  it('retries a part damaged on the way, which RGW refuses against its signed SHA-256, to a byte-exact object', async () => {
    // Arrange: the proxy flips the first byte of the second part's body (same length, same signature).
    proxy = await startS3FaultProxy(getTestServers().s3.endpoint, [
      { operation: 'UploadPart', after: 1, times: 1, damageBody: true },
    ]);
    const bytes = randomBytes(11 * MiB);
    const io = rgw.io({ now: () => new Date('2026-11-25T04:00:00Z') });

    // Act
    const code = await runBackupPushCommand(
      file('damaged.bin', bytes),
      {
        source: 'damaged',
        endpointUrl: proxy.endpoint,
        partSize: '5M',
        concurrency: '1',
        retryDelays: '0.05',
      },
      io,
    );

    // Assert
    expect(code).toBe(0);
    expect(io.stderr).toContainEqual(
      expect.stringMatching(
        /^push: attempt 1 failed \(XAmzContentSHA256Mismatch.*\); the failed attempt's upload was aborted; retry 1 of 3 in 0\.05s$/,
      ),
    );
    const parts = proxy.requestsOf('UploadPart');
    expect(parts.filter((part) => part.injected).map((part) => part.status)).toEqual([400]);
    expect(proxy.requestsOf('AbortMultipartUpload').map((request) => request.status)).toEqual([204]);
    const object = await rgw.s3.send(new GetObjectCommand({ Bucket: rgw.bucket, Key: io.stdout[0] }));
    expect(sha256(await object.Body!.transformToByteArray())).toBe(sha256(bytes));
    expect(await incompleteUploads()).toBe(0);
  });

  it('names a file rewritten between the two passes when RGW refuses its part, and leaves no upload', async () => {
    // Arrange: part 2 is rewritten after the first pass and the times are put back, so only the server can tell.
    const bytes = randomBytes(3 * 5 * MiB);
    const path = file('rewritten.bin', bytes);
    const plan = await measureFileParts(path, 5 * MiB);
    const { atime, mtime } = statSync(path);
    const changed = Buffer.from(bytes);
    changed[5 * MiB + 1] ^= 0x01;
    writeFileSync(path, changed);
    utimesSync(path, atime, mtime);
    const s3 = createTestS3Client();
    const key = 'backups/rewritten/20261125/rewritten_20261125_050000.bin';

    // Act
    const upload = uploadFileParts({ s3, params: { Bucket: rgw.bucket, Key: key }, plan, concurrency: 1 });

    // Assert
    await expect(upload).rejects.toThrow(DigestMismatchError);
    await expect(upload).rejects.toThrow(
      `${path} changed while it was being read: part 2 (bytes 5242880-10485759) had SHA-256 ` +
        `${plan.partSha256[1]} when hashed, now ${sha256(changed.subarray(5 * MiB, 10 * MiB))}`,
    );
    await expect(rgw.s3.send(new HeadObjectCommand({ Bucket: rgw.bucket, Key: key }))).rejects.toMatchObject({
      $metadata: { httpStatusCode: 404 },
    });
    expect(await incompleteUploads()).toBe(0);
    s3.destroy();
  });
});
