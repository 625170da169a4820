/**
 * Proves the local Ceph RGW is a real S3 server fit for Stowage: versioning, exact byte round trips through
 * lib-storage, tagging, ListObjectsV2 pagination, presigned POST policies that are enforced, SSE-KMS, and what its
 * storage classes are (labels: no restore).
 */
import {
  CopyObjectCommand,
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  ListObjectVersionsCommand,
  paginateListObjectsV2,
  PutBucketVersioningCommand,
  PutObjectCommand,
  PutObjectTaggingCommand,
  RestoreObjectCommand,
} from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import type { PresignedPost } from '@aws-sdk/s3-presigned-post';
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { startRgw } from '../../../local/servers/rgw';
import {
  createTestS3Client,
  deleteBucketWithContents,
  getTestServers,
  uniqueBucketName,
} from '../../support/integration/servers';

const MiB = 1024 * 1024;

describe('local Ceph RGW (real S3 API)', () => {
  const servers = getTestServers();
  let s3: S3Client;
  let bucket: string;

  beforeAll(async () => {
    s3 = createTestS3Client();
    bucket = uniqueBucketName('rgw-it');
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await s3.send(
      new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Enabled' } }),
    );
  });

  afterAll(async () => {
    await deleteBucketWithContents(s3, bucket);
    s3.destroy();
  });

  it('is reused, not restarted, when started again from the same data directory', async () => {
    // Act
    const again = await startRgw({ dataDir: servers.rgwDataDir });

    // Assert
    expect(again.reused).toBe(true);
    expect(again.endpoint).toBe(servers.s3.endpoint);
  });

  it('keeps every version of an object and hides it behind a delete marker', async () => {
    // Arrange
    const Key = 'versioned/report.txt';

    // Act
    const first = await s3.send(new PutObjectCommand({ Bucket: bucket, Key, Body: 'first' }));
    const second = await s3.send(new PutObjectCommand({ Bucket: bucket, Key, Body: 'second' }));
    const deleted = await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key }));

    // Assert
    expect(first.VersionId).toBeTruthy();
    expect(second.VersionId).toBeTruthy();
    expect(second.VersionId).not.toBe(first.VersionId);
    expect(deleted.DeleteMarker).toBe(true);
    await expect(s3.send(new GetObjectCommand({ Bucket: bucket, Key }))).rejects.toMatchObject({
      name: 'NoSuchKey',
    });
    const old = await s3.send(new GetObjectCommand({ Bucket: bucket, Key, VersionId: first.VersionId }));
    expect(await old.Body?.transformToString()).toBe('first');
    const versions = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: Key }));
    expect(versions.Versions?.map((v) => v.VersionId).sort()).toEqual(
      [first.VersionId, second.VersionId].sort(),
    );
    expect(versions.DeleteMarkers).toHaveLength(1);
  });

  it.each([
    ['a 5 MiB object in one PUT', 5 * MiB],
    ['an 11 MiB object in three multipart parts', 11 * MiB + 123],
  ])('round-trips %s streamed through lib-storage byte for byte', async (_name, size) => {
    // Arrange
    const Key = `large/object-${size}.bin`;
    const body = randomBytes(size);

    // Act
    await new Upload({
      client: s3,
      params: { Bucket: bucket, Key, Body: Readable.from(chunks(body, 256 * 1024)) },
      partSize: 5 * MiB,
    }).done();
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key }));
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key }));
    const bytes = Buffer.from((await got.Body?.transformToByteArray()) ?? []);

    // Assert
    expect(head.ContentLength).toBe(size);
    expect(bytes.length).toBe(size);
    expect(sha256(bytes)).toBe(sha256(body));
  });

  it('stores tags given on PutObject and replaces them with PutObjectTagging', async () => {
    // Arrange
    const Key = 'tagged/file.pdf';
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key, Body: 'pdf', Tagging: 'scan-status=PENDING' }));
    const pending = await s3.send(new GetObjectTaggingCommand({ Bucket: bucket, Key }));

    // Act
    await s3.send(
      new PutObjectTaggingCommand({
        Bucket: bucket,
        Key,
        Tagging: {
          TagSet: [
            { Key: 'scan-status', Value: 'CLEAN' },
            { Key: 'scan-engine', Value: 'clamav' },
          ],
        },
      }),
    );
    const clean = await s3.send(new GetObjectTaggingCommand({ Bucket: bucket, Key }));

    // Assert
    expect(pending.TagSet).toEqual([{ Key: 'scan-status', Value: 'PENDING' }]);
    expect(sortTags(clean.TagSet)).toEqual([
      { Key: 'scan-engine', Value: 'clamav' },
      { Key: 'scan-status', Value: 'CLEAN' },
    ]);
  });

  it('pages through ListObjectsV2 with continuation tokens', async () => {
    // Arrange
    const prefix = 'paged/';
    const keys = Array.from({ length: 7 }, (_, i) => `${prefix}item-${String(i).padStart(2, '0')}`);
    await Promise.all(keys.map((Key) => s3.send(new PutObjectCommand({ Bucket: bucket, Key, Body: Key }))));

    // Act
    const pages: string[][] = [];
    for await (const page of paginateListObjectsV2(
      { client: s3, pageSize: 3 },
      { Bucket: bucket, Prefix: prefix },
    )) {
      pages.push((page.Contents ?? []).map((o) => o.Key ?? ''));
    }

    // Assert
    expect(pages.map((p) => p.length)).toEqual([3, 3, 1]);
    expect(pages.flat()).toEqual(keys);
  });

  describe('presigned POST', () => {
    const maxBytes = 1024;

    async function presign(Key: string, extra: Record<string, string> = {}): Promise<PresignedPost> {
      return createPresignedPost(s3, {
        Bucket: bucket,
        Key,
        Conditions: [
          ['content-length-range', 1, maxBytes],
          ['eq', '$Content-Type', 'text/plain'],
          ...Object.entries(extra).map(([field, value]) => ({ [field]: value })),
        ],
        Fields: { 'Content-Type': 'text/plain', ...extra },
        Expires: 300,
      });
    }

    it('accepts an upload that fits the policy', async () => {
      // Arrange
      const Key = 'post/ok.txt';
      const post = await presign(Key);

      // Act
      const response = await postForm(post, {}, Buffer.from('hello from a browser'));

      // Assert
      expect(response.status).toBe(204);
      const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key }));
      expect(head.ContentType).toBe('text/plain');
      expect(head.ContentLength).toBe('hello from a browser'.length);
    });

    it('refuses a file over content-length-range', async () => {
      // Arrange
      const Key = 'post/too-big.txt';
      const post = await presign(Key);

      // Act
      const response = await postForm(post, {}, randomBytes(maxBytes + 1));

      // Assert
      expect(response.status).toBe(400);
      expect(response.body).toContain('EntityTooLarge');
      await expect(s3.send(new HeadObjectCommand({ Bucket: bucket, Key }))).rejects.toMatchObject({
        name: 'NotFound',
      });
    });

    it('refuses a Content-Type the policy does not allow', async () => {
      // Arrange
      const Key = 'post/wrong-type.txt';
      const post = await presign(Key);

      // Act
      const response = await postForm(
        post,
        { 'Content-Type': 'application/x-msdownload' },
        Buffer.from('MZ'),
      );

      // Assert
      expect(response.status).toBe(403);
      await expect(s3.send(new HeadObjectCommand({ Bucket: bucket, Key }))).rejects.toMatchObject({
        name: 'NotFound',
      });
    });

    it('encrypts with SSE-KMS when the policy carries the encryption fields', async () => {
      // Arrange
      const Key = 'post/encrypted.txt';
      const post = await presign(Key, {
        'x-amz-server-side-encryption': 'aws:kms',
        'x-amz-server-side-encryption-aws-kms-key-id': servers.s3.kmsKeyId,
      });

      // Act
      const response = await postForm(post, {}, Buffer.from('secret'));

      // Assert
      expect(response.status).toBe(204);
      const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key }));
      expect(head.ServerSideEncryption).toBe('aws:kms');
      expect(head.SSEKMSKeyId).toBe(servers.s3.kmsKeyId);
    });
  });

  it('encrypts and decrypts with an SSE-KMS key of the testing backend', async () => {
    // Arrange
    const Key = 'kms/secret.bin';
    const body = randomBytes(64 * 1024);

    // Act
    const put = await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key,
        Body: body,
        ServerSideEncryption: 'aws:kms',
        SSEKMSKeyId: servers.s3.kmsKeyId,
      }),
    );
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key }));
    const bytes = Buffer.from((await got.Body?.transformToByteArray()) ?? []);

    // Assert
    expect(put.ServerSideEncryption).toBe('aws:kms');
    expect(put.SSEKMSKeyId).toBe(servers.s3.kmsKeyId);
    expect(got.ServerSideEncryption).toBe('aws:kms');
    expect(got.SSEKMSKeyId).toBe(servers.s3.kmsKeyId);
    expect(bytes.equals(body)).toBe(true);
  });

  it('refuses SSE-KMS with a key id the KMS does not know', async () => {
    // Act
    const put = s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: 'kms/unknown-key.bin',
        Body: 'x',
        ServerSideEncryption: 'aws:kms',
        SSEKMSKeyId: 'no-such-key',
      }),
    );

    // Assert: RGW answers 403 (code InvalidAccessKeyId) naming the key it could not retrieve.
    await expect(put).rejects.toMatchObject({
      $metadata: { httpStatusCode: 403 },
      message: expect.stringContaining('no-such-key'),
    });
  });

  describe('storage classes (the test run starts RGW with storageClasses: AWS_TEST_STORAGE_CLASSES)', () => {
    it('takes and reports a defined class, but only as a label: GET still serves, RestoreObject is 501', async () => {
      // Arrange
      const Key = 'classes/archived.bin';
      const put = await s3.send(
        new PutObjectCommand({ Bucket: bucket, Key, Body: 'standard', Metadata: { sha256: 'abc' } }),
      );

      // Act
      await s3.send(
        new CopyObjectCommand({
          Bucket: bucket,
          Key,
          CopySource: `${bucket}/${Key}?versionId=${put.VersionId}`,
          StorageClass: 'GLACIER',
          MetadataDirective: 'COPY',
        }),
      );
      await s3.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: 'classes/deep.bin',
          Body: 'd',
          StorageClass: 'DEEP_ARCHIVE',
        }),
      );
      await s3.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: 'classes/ia.bin',
          Body: 'i',
          StorageClass: 'STANDARD_IA',
        }),
      );
      const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key }));
      const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key }));
      const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'classes/' }));
      const versions = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: Key }));
      // Each refusal is caught as it happens (an un-awaited rejected promise would fail the test on its own).
      const refusalOf = (command: RestoreObjectCommand): Promise<unknown> =>
        s3.send(command).then(
          () => 'accepted',
          (error: unknown) => error,
        );
      const restore = await refusalOf(
        new RestoreObjectCommand({
          Bucket: bucket,
          Key,
          RestoreRequest: { Days: 1, GlacierJobParameters: { Tier: 'Standard' } },
        }),
      );
      const restoreMissing = await refusalOf(
        new RestoreObjectCommand({ Bucket: bucket, Key: 'classes/none', RestoreRequest: { Days: 1 } }),
      );

      // Assert
      expect(head).toMatchObject({ StorageClass: 'GLACIER', Metadata: { sha256: 'abc' } });
      expect(head.Restore).toBeUndefined();
      expect(await got.Body?.transformToString()).toBe('standard');
      expect(listed.Contents?.map((o) => [o.Key, o.StorageClass])).toEqual([
        [Key, 'GLACIER'],
        ['classes/deep.bin', 'DEEP_ARCHIVE'],
        ['classes/ia.bin', 'STANDARD_IA'],
      ]);
      expect(
        versions.Versions?.map((v) => [v.VersionId === put.VersionId, v.IsLatest, v.StorageClass]),
      ).toEqual([
        [false, true, 'GLACIER'],
        [true, false, 'STANDARD'],
      ]);
      expect(restore).toMatchObject({ name: 'NotImplemented', $metadata: { httpStatusCode: 501 } });
      expect(restoreMissing).toMatchObject({ name: 'NotImplemented', $metadata: { httpStatusCode: 501 } });
    });

    it('refuses a class it does not define with 400 InvalidArgument', async () => {
      const put = s3.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: 'classes/ir.bin',
          Body: 'x',
          StorageClass: 'GLACIER_IR',
        }),
      );
      await expect(put).rejects.toMatchObject({
        name: 'InvalidArgument',
        $metadata: { httpStatusCode: 400 },
      });
    });

    it('is reused for classes it defines, refused for one it lacks (classes are fixed at creation)', async () => {
      const reused = await startRgw({
        dataDir: servers.rgwDataDir,
        storageClasses: ['GLACIER', 'DEEP_ARCHIVE'],
      });
      expect(reused.reused).toBe(true);
      await expect(startRgw({ dataDir: servers.rgwDataDir, storageClasses: ['GLACIER_IR'] })).rejects.toThrow(
        'with a different storage classes (missing GLACIER_IR)',
      );
      await expect(startRgw({ dataDir: servers.rgwDataDir, storageClasses: ['glacier'] })).rejects.toThrow(
        'storage class "glacier" must be upper-case letters, digits and _',
      );
    });
  });
});

/** Sends a real browser-style multipart/form-data POST: the policy fields, then the file last. */
async function postForm(
  post: PresignedPost,
  overrides: Record<string, string>,
  file: Buffer,
): Promise<{ status: number; body: string }> {
  const form = new FormData();
  for (const [name, value] of Object.entries({ ...post.fields, ...overrides })) form.append(name, value);
  form.append('file', new Blob([new Uint8Array(file)]), 'upload.bin');
  const response = await fetch(post.url, { method: 'POST', body: form });
  return { status: response.status, body: await response.text() };
}

function* chunks(buffer: Buffer, size: number): Generator<Buffer> {
  for (let offset = 0; offset < buffer.length; offset += size) yield buffer.subarray(offset, offset + size);
}

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function sortTags(
  tags: readonly { Key?: string; Value?: string }[] | undefined,
): { Key?: string; Value?: string }[] {
  return [...(tags ?? [])].sort((a, b) => (a.Key ?? '').localeCompare(b.Key ?? ''));
}
