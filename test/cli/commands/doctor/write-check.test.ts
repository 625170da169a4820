import { DescribeKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { writeReadDeleteCheck } from '../../../../cli/commands/doctor/write-check';
import { serviceError } from '../../shared/fake-command-io';
import { doctorContext, KEY_ARN } from './doctor-context';

const s3 = mockClient(S3Client);

/** A GetObject body: the check only reads it as a string. */
function bodyOf(text: string) {
  return { transformToString: async () => text } as never;
}
const kms = mockClient(KMSClient);

/** Stores what PutObject wrote, so GetObject reads it back like S3 would. */
function arrangeBucket(options: { objectLock?: boolean } = {}): { written: () => string | undefined } {
  let body: string | undefined;
  let keyId: string | undefined;
  s3.on(PutObjectCommand).callsFake((input: { Body: string; SSEKMSKeyId: string }) => {
    body = input.Body;
    keyId = input.SSEKMSKeyId;
    return { VersionId: 'v1' };
  });
  s3.on(GetObjectCommand).callsFake(() => ({
    Body: bodyOf(body ?? ''),
    ServerSideEncryption: 'aws:kms',
    SSEKMSKeyId: keyId,
    ...(options.objectLock
      ? { ObjectLockMode: 'GOVERNANCE', ObjectLockRetainUntilDate: new Date('2026-12-23T00:00:00Z') }
      : {}),
  }));
  s3.on(DeleteObjectCommand).resolves({});
  s3.on(HeadObjectCommand).rejects(serviceError('NotFound', 404));
  return { written: () => body };
}

beforeEach(() => {
  s3.reset();
  kms.reset();
  kms.on(DescribeKeyCommand, { KeyId: 'alias/stowage/dev/backups' }).resolves({
    KeyMetadata: { KeyId: '1111-2222', Arn: KEY_ARN, KeyState: 'Enabled' },
  });
});

describe('write, read and delete under test/', () => {
  it("writes with SSE-KMS under the backups key's ARN, reads the same bytes back and deletes that version", async () => {
    // Arrange
    const bucket = arrangeBucket();
    const ctx = doctorContext();
    // Act
    const result = await writeReadDeleteCheck(ctx, ctx.keys, { bucket: 'back' });
    // Assert
    expect(result.status).toBe('PASS');
    const put = s3.commandCalls(PutObjectCommand)[0]!.args[0].input;
    expect(put).toMatchObject({ Bucket: 'back', ServerSideEncryption: 'aws:kms', SSEKMSKeyId: KEY_ARN });
    expect(put.Key).toMatch(/^test\/doctor\/2026-11-23T12-00-00-000Z-[0-9a-f]{8}\.txt$/);
    expect(bucket.written()).toMatch(/^stowage doctor [0-9a-f]{32}\n$/);
    expect(s3.commandCalls(DeleteObjectCommand)[0]!.args[0].input).toEqual({
      Bucket: 'back',
      Key: put.Key,
      VersionId: 'v1',
    });
    expect(s3.commandCalls(HeadObjectCommand)).toHaveLength(1);
  });

  it('uses --kms-key-id as given, without asking KMS', async () => {
    arrangeBucket();
    const ctx = doctorContext();
    const result = await writeReadDeleteCheck(ctx, ctx.keys, {
      bucket: 'back',
      kmsKeyId: 'arn:aws:kms:eu-west-1:1:key/x',
    });
    expect(result.status).toBe('PASS');
    expect(kms.calls()).toHaveLength(0);
    expect(s3.commandCalls(PutObjectCommand)[0]!.args[0].input.SSEKMSKeyId).toBe(
      'arn:aws:kms:eu-west-1:1:key/x',
    );
  });

  it('writes under the alias name itself against an S3-compatible endpoint (its key ids are its own)', async () => {
    arrangeBucket();
    const ctx = doctorContext({ endpoint: 'http://127.0.0.1:7480' });
    expect((await writeReadDeleteCheck(ctx, ctx.keys, { bucket: 'back' })).status).toBe('PASS');
    expect(s3.commandCalls(PutObjectCommand)[0]!.args[0].input.SSEKMSKeyId).toBe('alias/stowage/dev/backups');
    expect(kms.calls()).toHaveLength(0);
  });

  it('fails a KMS GenerateDataKey AccessDenied with the hint naming the key policy', async () => {
    // Arrange
    s3.on(PutObjectCommand).rejects(
      serviceError(
        'AccessDenied',
        403,
        `User: arn:aws:sts::123456789012:assumed-role/ops/me is not authorized to perform: kms:GenerateDataKey on resource: ${KEY_ARN}`,
      ),
    );
    const ctx = doctorContext();
    // Act
    const result = await writeReadDeleteCheck(ctx, ctx.keys, { bucket: 'back' });
    // Assert
    expect(result.status).toBe('FAIL');
    expect(result.detail).toMatch(
      /^PutObject s3:\/\/back\/test\/doctor\/.* with SSE-KMS under .*: AccessDenied \[HTTP 403\]: User: .*kms:GenerateDataKey/,
    );
    expect(result.hint).toMatch(
      /key policy of alias\/stowage\/dev\/backups .*Stowage-dev-\*.*additionalKeyUserArns.*kms:GenerateDataKey/,
    );
    expect(s3.commandCalls(DeleteObjectCommand)).toHaveLength(0);
  });

  it('fails a bucket-policy AccessDenied with the bucket policy hint', async () => {
    s3.on(PutObjectCommand).rejects(serviceError('AccessDenied', 403, 'Access Denied'));
    const ctx = doctorContext();
    const result = await writeReadDeleteCheck(ctx, ctx.keys, { bucket: 'back' });
    expect(result.status).toBe('FAIL');
    expect(result.hint).toMatch(
      /bucket policy accepts only SSE-KMS under the backups key's ARN.*s3:PutObject on test\/\*/,
    );
  });

  it('still deletes the object when reading it back fails', async () => {
    // Arrange
    arrangeBucket();
    s3.on(GetObjectCommand).rejects(
      serviceError('AccessDenied', 403, 'not authorized to perform: kms:Decrypt'),
    );
    const ctx = doctorContext();
    // Act
    const result = await writeReadDeleteCheck(ctx, ctx.keys, { bucket: 'back' });
    // Assert
    expect(result.status).toBe('FAIL');
    expect(result.hint).toMatch(/KMS refused kms:Decrypt/);
    expect(s3.commandCalls(DeleteObjectCommand)).toHaveLength(1);
  });

  it('fails when the bytes read back differ, and reports a failed delete of the leftover too', async () => {
    arrangeBucket();
    s3.on(GetObjectCommand).resolves({ Body: bodyOf('other'), ServerSideEncryption: 'aws:kms' });
    s3.on(DeleteObjectCommand).rejects(serviceError('AccessDenied', 403));
    const ctx = doctorContext();
    const result = await writeReadDeleteCheck(ctx, ctx.keys, { bucket: 'back' });
    expect(result.status).toBe('FAIL');
    expect(result.detail).toMatch(/differ from the .* written; deleting it failed too: AccessDenied/);
  });

  it('fails when the object comes back without SSE-KMS', async () => {
    const bucket = arrangeBucket();
    s3.on(GetObjectCommand).callsFake(() => ({ Body: bodyOf(bucket.written() ?? '') }));
    const ctx = doctorContext();
    const result = await writeReadDeleteCheck(ctx, ctx.keys, { bucket: 'back' });
    expect(result.status).toBe('FAIL');
    expect(result.detail).toMatch(/was stored with no SSE under no key, expected SSE-KMS under arn:aws:kms/);
    expect(s3.commandCalls(DeleteObjectCommand)).toHaveLength(1);
  });

  it('under Object Lock, hides the version with a delete marker instead of deleting it', async () => {
    arrangeBucket({ objectLock: true });
    const ctx = doctorContext();
    const result = await writeReadDeleteCheck(ctx, ctx.keys, { bucket: 'back' });
    expect(result.status).toBe('PASS');
    expect(result.detail).toMatch(/Object Lock keeps the version until 2026-12-23T00:00:00.000Z/);
    expect(s3.commandCalls(DeleteObjectCommand)[0]!.args[0].input.VersionId).toBeUndefined();
  });

  it('fails when the object is still there after the delete', async () => {
    arrangeBucket();
    s3.on(HeadObjectCommand).resolves({});
    const ctx = doctorContext();
    expect((await writeReadDeleteCheck(ctx, ctx.keys, { bucket: 'back' })).detail).toMatch(
      /still there after DeleteObject/,
    );
  });

  it('fails with the alias hint when the backups key cannot be found', async () => {
    kms.on(DescribeKeyCommand).rejects(serviceError('NotFoundException', 400, 'Alias not found'));
    const ctx = doctorContext();
    const result = await writeReadDeleteCheck(ctx, ctx.keys, { bucket: 'back' });
    expect(result.status).toBe('FAIL');
    expect(result.hint).toMatch(/npx cdk deploy Stowage-dev-Keys/);
    expect(s3.calls()).toHaveLength(0);
  });
});
