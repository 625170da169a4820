import { DescribeKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import {
  GetBucketEncryptionCommand,
  GetBucketLifecycleConfigurationCommand,
  GetBucketVersioningCommand,
  GetPublicAccessBlockCommand,
  HeadBucketCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import {
  bucketsFoundChecks,
  encryptionCheck,
  lifecycleCheck,
  publicAccessBlockCheck,
  reachableCheck,
  versioningCheck,
} from '../../../../cli/commands/doctor/bucket-checks';
import { missingCredentials, serviceError } from '../../shared/fake-command-io';
import { doctorContext, KEY_ARN } from './doctor-context';

const s3 = mockClient(S3Client);
const kms = mockClient(KMSClient);
const ENDPOINT = 'http://127.0.0.1:7480';

function kmsEncryption(keyId: string | undefined, bucketKey = true) {
  return {
    ServerSideEncryptionConfiguration: {
      Rules: [
        {
          ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms' as const, KMSMasterKeyID: keyId },
          BucketKeyEnabled: bucketKey,
        },
      ],
    },
  };
}

beforeEach(() => {
  s3.reset();
  kms.reset();
  kms.on(DescribeKeyCommand, { KeyId: 'alias/stowage/dev/uploads' }).resolves({
    KeyMetadata: { KeyId: '1111-2222', Arn: KEY_ARN, KeyState: 'Enabled' },
  });
});

describe('buckets found', () => {
  it('passes found buckets saying how, and fails the others with the discovery problem', () => {
    const results = bucketsFoundChecks(
      {
        buckets: { uploads: 'u', backups: 'b' },
        foundBy: { uploads: 'tags', backups: 'flag' },
        problems: { quarantine: 'no quarantine bucket …' },
      },
      ['uploads', 'backups', 'quarantine'],
      'dev',
    );
    expect(results).toEqual([
      {
        name: 'uploads: bucket found',
        status: 'PASS',
        detail: 'u (tagged stowage:env=dev, stowage:bucket=uploads)',
      },
      { name: 'backups: bucket found', status: 'PASS', detail: 'b (named by flag or environment)' },
      expect.objectContaining({
        name: 'quarantine: bucket found',
        status: 'FAIL',
        detail: 'no quarantine bucket …',
      }),
    ]);
  });
});

describe('reachable', () => {
  it('passes when HeadBucket answers', async () => {
    s3.on(HeadBucketCommand).resolves({});
    expect((await reachableCheck(doctorContext(), 'uploads', 'u')).status).toBe('PASS');
  });

  it('fails a 403 with the bucket policy and role tag hint', async () => {
    s3.on(HeadBucketCommand).rejects(serviceError('Forbidden', 403, 'UnknownError'));
    const result = await reachableCheck(doctorContext(), 'quarantine', 'q');
    expect(result.status).toBe('FAIL');
    expect(result.detail).toBe('access to q denied (403)');
    expect(result.hint).toMatch(/bucket policy.*stowage:access.*stowage:access=dev:operations/);
  });

  it('fails a missing bucket with the deploy hint', async () => {
    s3.on(HeadBucketCommand).rejects(serviceError('NotFound', 404, 'UnknownError'));
    const result = await reachableCheck(doctorContext(), 'uploads', 'gone');
    expect(result.status).toBe('FAIL');
    expect(result.detail).toBe('gone does not exist (NoSuchBucket)');
    expect(result.hint).toMatch(/npx cdk deploy Stowage-dev-Storage -c env=dev/);
  });

  it('fails with the credentials hint when there are none', async () => {
    s3.on(HeadBucketCommand).rejects(missingCredentials());
    const result = await reachableCheck(doctorContext(), 'uploads', 'u');
    expect(result.status).toBe('FAIL');
    expect(result.hint).toMatch(/AWS_PROFILE/);
  });
});

describe('encryption', () => {
  it("passes SSE-KMS with a bucket key under the env's alias", async () => {
    const ctx = doctorContext();
    s3.on(GetBucketEncryptionCommand).resolves(kmsEncryption(KEY_ARN));
    const result = await encryptionCheck(ctx, ctx.keys, 'uploads', 'u');
    expect(result).toEqual({
      name: 'uploads: encryption',
      status: 'PASS',
      detail: `u: SSE-KMS with a bucket key under alias/stowage/dev/uploads (${KEY_ARN})`,
    });
  });

  it('fails another key, SSE-S3, a missing bucket key and no default encryption', async () => {
    const ctx = doctorContext();
    s3.on(GetBucketEncryptionCommand)
      .resolvesOnce(kmsEncryption('arn:aws:kms:eu-west-1:123456789012:key/other'))
      .resolvesOnce({
        ServerSideEncryptionConfiguration: {
          Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
        },
      })
      .resolvesOnce(kmsEncryption(KEY_ARN, false))
      .rejectsOnce(serviceError('ServerSideEncryptionConfigurationNotFoundError', 404));
    const results = [];
    for (let i = 0; i < 4; i++) results.push(await encryptionCheck(ctx, ctx.keys, 'uploads', 'u'));
    expect(results.map((r) => r.status)).toEqual(['FAIL', 'FAIL', 'FAIL', 'FAIL']);
    expect(results[0]!.detail).toMatch(
      /under arn:aws:kms:eu-west-1:123456789012:key\/other, expected alias\/stowage\/dev\/uploads/,
    );
    expect(results[1]!.detail).toMatch(/AES256, expected SSE-KMS/);
    expect(results[2]!.detail).toMatch(/without a bucket key/);
    expect(results[3]!.detail).toMatch(/no default encryption/);
    expect(results[3]!.hint).toMatch(/Stowage-dev-Storage/);
  });

  it('fails naming kms:DescribeKey when the alias cannot be resolved', async () => {
    kms.on(DescribeKeyCommand).rejects(serviceError('AccessDeniedException', 400));
    const ctx = doctorContext();
    s3.on(GetBucketEncryptionCommand).resolves(kmsEncryption(KEY_ARN));
    const result = await encryptionCheck(ctx, ctx.keys, 'uploads', 'u');
    expect(result.status).toBe('FAIL');
    expect(result.detail).toMatch(/cannot resolve alias\/stowage\/dev\/uploads: AccessDeniedException/);
    expect(result.hint).toMatch(/allow kms:DescribeKey on alias\/stowage\/dev\/uploads/);
  });

  it('fails a key pending deletion with the command that saves it', async () => {
    kms
      .on(DescribeKeyCommand)
      .resolves({ KeyMetadata: { KeyId: '1111-2222', Arn: KEY_ARN, KeyState: 'PendingDeletion' } });
    const ctx = doctorContext();
    s3.on(GetBucketEncryptionCommand).resolves(kmsEncryption('1111-2222'));
    const result = await encryptionCheck(ctx, ctx.keys, 'uploads', 'u');
    expect(result.status).toBe('FAIL');
    expect(result.hint).toMatch(/aws kms cancel-key-deletion/);
  });

  it('expects SSE-S3 on access-logs', async () => {
    const ctx = doctorContext();
    s3.on(GetBucketEncryptionCommand)
      .resolvesOnce({
        ServerSideEncryptionConfiguration: {
          Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
        },
      })
      .resolvesOnce(kmsEncryption(KEY_ARN));
    expect((await encryptionCheck(ctx, ctx.keys, 'access-logs', 'l')).status).toBe('PASS');
    const kmsLogs = await encryptionCheck(ctx, ctx.keys, 'access-logs', 'l');
    expect(kmsLogs.status).toBe('FAIL');
    expect(kmsLogs.detail).toMatch(/log delivery fails with SSE-KMS/);
  });

  it('is SKIP against an S3-compatible endpoint without bucket default encryption', async () => {
    const ctx = doctorContext({ endpoint: ENDPOINT });
    s3.on(GetBucketEncryptionCommand).resolves({ ServerSideEncryptionConfiguration: { Rules: [] } });
    const result = await encryptionCheck(ctx, ctx.keys, 'uploads', 'u');
    expect(result.status).toBe('SKIP');
    expect(result.detail).toMatch(/Ceph RGW refuses PutBucketEncryption/);
    expect(kms.calls()).toHaveLength(0);
  });
});

describe('versioning', () => {
  it('passes Enabled and fails Suspended or never enabled', async () => {
    s3.on(GetBucketVersioningCommand)
      .resolvesOnce({ Status: 'Enabled' })
      .resolvesOnce({ Status: 'Suspended' })
      .resolvesOnce({});
    const ctx = doctorContext();
    expect((await versioningCheck(ctx, 'backups', 'b')).status).toBe('PASS');
    const suspended = await versioningCheck(ctx, 'backups', 'b');
    expect(suspended).toMatchObject({ status: 'FAIL', detail: 'b: versioning Suspended' });
    expect((await versioningCheck(ctx, 'backups', 'b')).detail).toBe('b: versioning never enabled');
  });

  it('fails an AccessDenied naming the permission', async () => {
    s3.on(GetBucketVersioningCommand).rejects(serviceError('AccessDenied', 403));
    const result = await versioningCheck(doctorContext(), 'backups', 'b');
    expect(result.status).toBe('FAIL');
    expect(result.hint).toBe('allow s3:GetBucketVersioning on b for your principal');
  });
});

describe('public access block', () => {
  const ALL_ON = {
    BlockPublicAcls: true,
    IgnorePublicAcls: true,
    BlockPublicPolicy: true,
    RestrictPublicBuckets: true,
  };

  it('passes all four on and fails any off on AWS', async () => {
    s3.on(GetPublicAccessBlockCommand)
      .resolvesOnce({ PublicAccessBlockConfiguration: ALL_ON })
      .resolvesOnce({ PublicAccessBlockConfiguration: { ...ALL_ON, RestrictPublicBuckets: false } })
      .rejectsOnce(serviceError('NoSuchPublicAccessBlockConfiguration', 404));
    const ctx = doctorContext();
    expect((await publicAccessBlockCheck(ctx, 'uploads', 'u')).status).toBe('PASS');
    expect(await publicAccessBlockCheck(ctx, 'uploads', 'u')).toMatchObject({
      status: 'FAIL',
      detail: 'u: RestrictPublicBuckets off',
    });
    expect((await publicAccessBlockCheck(ctx, 'uploads', 'u')).detail).toMatch(
      /BlockPublicAcls, IgnorePublicAcls, BlockPublicPolicy, RestrictPublicBuckets off/,
    );
  });

  it('is SKIP, not FAIL and not PASS, when an S3-compatible server has it off or does not support it', async () => {
    s3.on(GetPublicAccessBlockCommand)
      .resolvesOnce({ PublicAccessBlockConfiguration: { BlockPublicAcls: false } })
      .rejectsOnce(serviceError('NotImplemented', 501));
    const ctx = doctorContext({ endpoint: ENDPOINT });
    expect((await publicAccessBlockCheck(ctx, 'uploads', 'u')).status).toBe('SKIP');
    expect(await publicAccessBlockCheck(ctx, 'uploads', 'u')).toMatchObject({
      status: 'SKIP',
      detail: expect.stringMatching(/does not support/),
    });
  });
});

describe('lifecycle', () => {
  it('fails a bucket without lifecycle, listing what is missing and how to fix it', async () => {
    s3.on(GetBucketLifecycleConfigurationCommand).rejects(serviceError('NoSuchLifecycleConfiguration', 404));
    const result = await lifecycleCheck(doctorContext(), 'quarantine', 'q');
    expect(result.status).toBe('FAIL');
    expect(result.detail).toMatch(/^q: missing: .*expire current versions after 90 days/);
    expect(result.hint).toMatch(/Stowage-dev-Storage/);
  });

  it('passes the rules the config gives', async () => {
    s3.on(GetBucketLifecycleConfigurationCommand).resolves({
      Rules: [
        { Status: 'Enabled', Filter: {}, AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 } },
        { Status: 'Enabled', Filter: {}, NoncurrentVersionExpiration: { NoncurrentDays: 30 } },
        { Status: 'Enabled', Filter: {}, Expiration: { Days: 90 } },
      ],
    });
    expect((await lifecycleCheck(doctorContext(), 'quarantine', 'q')).status).toBe('PASS');
  });
});
