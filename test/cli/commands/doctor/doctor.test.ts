import { DescribeKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import {
  DeleteObjectCommand,
  GetBucketEncryptionCommand,
  GetBucketLifecycleConfigurationCommand,
  GetBucketVersioningCommand,
  GetObjectCommand,
  GetPublicAccessBlockCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  ListMultipartUploadsCommand,
  PutObjectCommand,
  S3Client,
  type LifecycleRule,
} from '@aws-sdk/client-s3';
import { GetQueueAttributesCommand, ListQueuesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { IAMClient, ListRolesCommand } from '@aws-sdk/client-iam';
import { mockClient } from 'aws-sdk-client-mock';
import { runDoctorCommand, type DoctorReport } from '../../../../cli/commands/doctor';
import { UsageError } from '../../../../cli/commands/scan';
import { loadConfig } from '../../../../lib/config';
import { BUCKET_PURPOSES, type BucketPurpose } from '../../../../lib/config/naming';
import { bucketLifecycle } from '../../../../lib/buckets/bucket-lifecycle';
import { recordingCommandIo, serviceError } from '../../shared/fake-command-io';

const s3 = mockClient(S3Client);
const kms = mockClient(KMSClient);
const sts = mockClient(STSClient);
const sqs = mockClient(SQSClient);
const iam = mockClient(IAMClient);

const BUCKETS: Record<BucketPurpose, string> = {
  uploads: 'b-uploads',
  processed: 'b-processed',
  quarantine: 'b-quarantine',
  backups: 'b-backups',
  'access-logs': 'b-logs',
};
const ENV = {
  STOWAGE_UPLOADS_BUCKET: BUCKETS.uploads,
  STOWAGE_PROCESSED_BUCKET: BUCKETS.processed,
  STOWAGE_QUARANTINE_BUCKET: BUCKETS.quarantine,
  STOWAGE_BACKUPS_BUCKET: BUCKETS.backups,
  STOWAGE_ACCESS_LOGS_BUCKET: BUCKETS['access-logs'],
};
const QUEUES = 'https://sqs.eu-west-1.amazonaws.com/123456789012';
const dev = loadConfig('dev');

/** The S3 lifecycle rules the Storage stack writes for a bucket (as SecureBucket builds them from the config). */
function deployedRules(purpose: BucketPurpose): LifecycleRule[] {
  const lc = bucketLifecycle(dev, purpose === 'access-logs' ? 'accessLogs' : purpose);
  const rules: LifecycleRule[] = [
    {
      Status: 'Enabled',
      Filter: {},
      AbortIncompleteMultipartUpload: { DaysAfterInitiation: lc.abortIncompleteMultipartUploadDays },
    },
    {
      Status: 'Enabled',
      Filter: {},
      NoncurrentVersionExpiration: { NoncurrentDays: lc.noncurrentVersionExpirationDays },
    },
    {
      Status: 'Enabled',
      Filter: {},
      ...(lc.archiveAfterDays
        ? { Transitions: [{ Days: lc.archiveAfterDays, StorageClass: lc.archiveStorageClass }] }
        : {}),
      ...(lc.expirationDays ? { Expiration: { Days: lc.expirationDays } } : {}),
    },
  ];
  for (const [prefix, days] of Object.entries(lc.prefixExpirationDays ?? {})) {
    rules.push({ Status: 'Enabled', Filter: { Prefix: prefix }, Expiration: { Days: days } });
  }
  return rules;
}

function arrangeHealthyAws(): void {
  // The role permission check has its own tests (permissions-check.test.ts): here it may not read IAM, so it skips.
  iam.on(ListRolesCommand).rejects(serviceError('AccessDenied', 403));
  sts
    .on(GetCallerIdentityCommand)
    .resolves({ Arn: 'arn:aws:iam::123456789012:user/ops', Account: '123456789012' });
  for (const purpose of BUCKET_PURPOSES) {
    const Bucket = BUCKETS[purpose];
    s3.on(HeadBucketCommand, { Bucket }).resolves({});
    if (purpose === 'access-logs') {
      s3.on(GetBucketEncryptionCommand, { Bucket }).resolves({
        ServerSideEncryptionConfiguration: {
          Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
        },
      });
    } else {
      const arn = `arn:aws:kms:eu-west-1:123456789012:key/${purpose}`;
      kms.on(DescribeKeyCommand, { KeyId: `alias/stowage/dev/${purpose}` }).resolves({
        KeyMetadata: { KeyId: purpose, Arn: arn, KeyState: 'Enabled' },
      });
      s3.on(GetBucketEncryptionCommand, { Bucket }).resolves({
        ServerSideEncryptionConfiguration: {
          Rules: [
            {
              ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: arn },
              BucketKeyEnabled: true,
            },
          ],
        },
      });
    }
    s3.on(GetBucketLifecycleConfigurationCommand, { Bucket }).resolves({ Rules: deployedRules(purpose) });
  }
  s3.on(GetBucketVersioningCommand).resolves({ Status: 'Enabled' });
  s3.on(GetPublicAccessBlockCommand).resolves({
    PublicAccessBlockConfiguration: {
      BlockPublicAcls: true,
      IgnorePublicAcls: true,
      BlockPublicPolicy: true,
      RestrictPublicBuckets: true,
    },
  });
  let written = { body: '', keyId: '' };
  s3.on(PutObjectCommand).callsFake((input: { Body: string; SSEKMSKeyId: string }) => {
    written = { body: input.Body, keyId: input.SSEKMSKeyId };
    return { VersionId: 'v1' };
  });
  s3.on(GetObjectCommand).callsFake(() => ({
    Body: { transformToString: async () => written.body } as never,
    ServerSideEncryption: 'aws:kms',
    SSEKMSKeyId: written.keyId,
  }));
  s3.on(DeleteObjectCommand).resolves({});
  s3.on(HeadObjectCommand).rejects(serviceError('NotFound', 404));
  sqs.on(ListQueuesCommand).resolves({
    QueueUrls: [
      `${QUEUES}/Stowage-dev-Intake-IntakeQueue-a`,
      `${QUEUES}/Stowage-dev-Intake-IntakeQueueDeadLetterQueue-b`,
    ],
  });
  sqs.on(GetQueueAttributesCommand).resolves({
    Attributes: {
      ApproximateNumberOfMessages: '0',
      ApproximateNumberOfMessagesNotVisible: '0',
      ApproximateNumberOfMessagesDelayed: '0',
    },
  });
}

beforeEach(() => {
  s3.reset();
  kms.reset();
  sts.reset();
  sqs.reset();
  iam.reset();
  s3.on(ListMultipartUploadsCommand).resolves({});
});

describe('stowage doctor', () => {
  it('passes a healthy AWS deployment: every check in order, one JSON document, exit 0', async () => {
    // Arrange
    arrangeHealthyAws();
    const io = recordingCommandIo({ env: ENV });
    // Act
    const code = await runDoctorCommand({ json: true }, io);
    // Assert
    const report = JSON.parse(io.stdout.join('\n')) as DoctorReport;
    expect(report.checks.filter((c) => c.status === 'FAIL')).toEqual([]);
    expect(code).toBe(0);
    expect(report.ok).toBe(true);
    expect(report.checks.map((c) => c.name).slice(0, 8)).toEqual([
      'caller identity',
      'uploads: bucket found',
      'processed: bucket found',
      'quarantine: bucket found',
      'backups: bucket found',
      'access-logs: bucket found',
      'uploads: reachable',
      'uploads: encryption',
    ]);
    expect(report.checks.find((c) => c.name === 'backups: write, read and delete under test/')!.status).toBe(
      'PASS',
    );
    expect(report.checks.find((c) => c.name === 'clamd')!.status).toBe('SKIP');
    expect(report.checks.find((c) => c.name === 'permissions')).toMatchObject({
      status: 'SKIP',
      detail: expect.stringContaining('iam:ListRoles denied'),
    });
    expect(report.summary).toEqual({ PASS: report.checks.length - 2, FAIL: 0, SKIP: 2 });
  });

  it('turns a check that throws into a FAIL and still runs every other check; exit 1', async () => {
    // Arrange
    arrangeHealthyAws();
    s3.on(GetBucketVersioningCommand, { Bucket: BUCKETS.processed }).rejects(
      new TypeError('unexpected shape'),
    );
    const io = recordingCommandIo({ env: ENV });
    // Act
    const code = await runDoctorCommand({}, io);
    // Assert
    expect(code).toBe(1);
    const lines = io.stdout;
    const failed = lines.findIndex((l) =>
      l.startsWith('FAIL  processed: versioning: the check itself failed: TypeError'),
    );
    expect(failed).toBeGreaterThan(0);
    expect(lines[failed + 1]).toMatch(/^ {6}fix: /);
    expect(lines).toContainEqual(expect.stringMatching(/^PASS {2}processed: lifecycle: /));
    expect(lines).toContainEqual(
      expect.stringMatching(/^PASS {2}backups: write, read and delete under test\//),
    );
    expect(lines).toContainEqual(
      expect.stringMatching(/^PASS {2}DLQ Stowage-dev-Intake-IntakeQueueDeadLetterQueue-b: empty/),
    );
    expect(lines.at(-1)).toMatch(/passed, 1 failed, 2 skipped$/);
  });

  it('reports a bucket that cannot be found once, skips the write check without backups, and exits 1', async () => {
    arrangeHealthyAws();
    const withoutBackups: Record<string, string> = { ...ENV };
    delete withoutBackups.STOWAGE_BACKUPS_BUCKET;
    s3.on(ListBucketsCommand).resolves({ Buckets: [] });
    const io = recordingCommandIo({ env: withoutBackups });
    const code = await runDoctorCommand({ json: true }, io);
    const report = JSON.parse(io.stdout.join('\n')) as DoctorReport;
    expect(code).toBe(1);
    expect(report.checks.filter((c) => c.status === 'FAIL').map((c) => c.name)).toEqual([
      'backups: bucket found',
    ]);
    expect(
      report.checks.filter((c) => c.name.startsWith('backups: ')).map((c) => [c.name, c.status]),
    ).toEqual([
      ['backups: bucket found', 'FAIL'],
      ['backups: write, read and delete under test/', 'SKIP'],
    ]);
    expect(report.checks.find((c) => c.name === 'permissions')).toMatchObject({
      status: 'SKIP',
      detail: "the roles' calls name the env's buckets: see 'backups: bucket found'",
    });
  });

  it('against an S3-compatible endpoint skips what the server cannot answer and never asks STS, SQS or KMS', async () => {
    // Arrange
    arrangeHealthyAws();
    s3.on(GetBucketEncryptionCommand).resolves({ ServerSideEncryptionConfiguration: { Rules: [] } });
    s3.on(GetPublicAccessBlockCommand).resolves({ PublicAccessBlockConfiguration: {} });
    const io = recordingCommandIo({ env: { ...ENV, STOWAGE_S3_ENDPOINT: 'http://127.0.0.1:7480' } });
    // Act
    const code = await runDoctorCommand({ json: true, kmsKeyId: 'local-key' }, io);
    // Assert
    const report = JSON.parse(io.stdout.join('\n')) as DoctorReport;
    expect(code).toBe(0);
    const status = (name: string) => report.checks.find((c) => c.name === name)?.status;
    expect(status('caller identity')).toBe('SKIP');
    expect(status('intake queues')).toBe('SKIP');
    for (const purpose of BUCKET_PURPOSES) {
      expect(status(`${purpose}: encryption`)).toBe('SKIP');
      expect(status(`${purpose}: public access block`)).toBe('SKIP');
      expect(status(`${purpose}: reachable`)).toBe('PASS');
    }
    expect(status('backups: write, read and delete under test/')).toBe('PASS');
    expect(status('permissions')).toBe('SKIP');
    expect(iam.calls()).toHaveLength(0);
    expect(sts.calls()).toHaveLength(0);
    expect(sqs.calls()).toHaveLength(0);
    expect(kms.calls()).toHaveLength(0);
  });

  it('checks the clamd named by --clamd, and refuses a malformed one as a usage error', async () => {
    arrangeHealthyAws();
    const io = recordingCommandIo({ env: ENV });
    const code = await runDoctorCommand({ clamd: '127.0.0.1:1' }, io);
    expect(code).toBe(1);
    expect(io.stdout).toContainEqual(
      expect.stringMatching(/^FAIL {2}clamd: 127\.0\.0\.1:1 \(--clamd\): cannot connect/),
    );
    await expect(runDoctorCommand({ clamd: 'nope' }, recordingCommandIo({ env: ENV }))).rejects.toThrow(
      UsageError,
    );
  });
});
