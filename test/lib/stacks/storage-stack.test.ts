import type { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type { EnvName } from '../../../lib/config';
import type { StorageStack } from '../../../lib/stacks/storage-stack';
import { ALL_ENVS, buildEnv } from '../../support/app';

type BucketName = 'uploads' | 'processed' | 'quarantine' | 'backups' | 'accessLogs';
const DATA_BUCKETS = ['uploads', 'processed', 'quarantine', 'backups'] as const;
const KEY_OF: Record<(typeof DATA_BUCKETS)[number], string> = {
  uploads: 'Uploads',
  processed: 'Processed',
  quarantine: 'Quarantine',
  backups: 'Backups',
};

interface Resource {
  Type: string;
  Properties: Record<string, unknown> & {
    PolicyDocument?: { Statement: Statement[] };
    Bucket?: { Ref: string };
  };
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
}
interface Statement {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Principal?: unknown;
  Condition?: Record<string, Record<string, unknown>>;
  Resource: unknown;
}

const built = new Map<EnvName, { storage: StorageStack; resources: Record<string, Resource> }>();
function storageOf(env: EnvName) {
  let entry = built.get(env);
  if (!entry) {
    const { stacks } = buildEnv(env);
    const resources = Template.fromStack(stacks.storage).toJSON().Resources as Record<string, Resource>;
    entry = { storage: stacks.storage, resources };
    built.set(env, entry);
  }
  return entry;
}

function logicalIdOf(stack: Stack, bucket: s3.Bucket): string {
  return stack.resolve((bucket.node.defaultChild as s3.CfnBucket).logicalId) as string;
}

/** The CloudFormation bucket and its bucket policy statements, found through the construct. */
function bucketOf(env: EnvName, name: BucketName) {
  const { storage, resources } = storageOf(env);
  const logicalId = logicalIdOf(storage, storage[name]);
  const policy = Object.values(resources).find(
    (r) => r.Type === 'AWS::S3::BucketPolicy' && r.Properties.Bucket?.Ref === logicalId,
  );
  return {
    logicalId,
    resource: resources[logicalId],
    props: resources[logicalId].Properties as Record<string, any>, // eslint-disable-line @typescript-eslint/no-explicit-any
    statements: policy?.Properties.PolicyDocument?.Statement ?? [],
  };
}

const objectsOf = (logicalId: string) => ({ 'Fn::Join': ['', [{ 'Fn::GetAtt': [logicalId, 'Arn'] }, '/*']] });

describe.each(ALL_ENVS)('Storage stack (%s)', (env) => {
  const ALL: BucketName[] = [...DATA_BUCKETS, 'accessLogs'];

  it('has exactly the five buckets', () => {
    const { resources } = storageOf(env);
    expect(Object.values(resources).filter((r) => r.Type === 'AWS::S3::Bucket')).toHaveLength(5);
  });

  describe.each(ALL)('%s bucket', (name) => {
    it("is tagged with its purpose (stowage:bucket), the tag tools find the env's buckets by", () => {
      const purpose = name === 'accessLogs' ? 'access-logs' : name;
      const { props } = bucketOf(env, name);
      expect(props.Tags).toEqual(
        expect.arrayContaining([
          { Key: 'stowage:bucket', Value: purpose },
          { Key: 'stowage:env', Value: env },
        ]),
      );
      expect((props.Tags as Array<{ Key: string }>).filter((t) => t.Key === 'stowage:bucket')).toHaveLength(
        1,
      );
    });

    it('is versioned, blocks all public access and enforces bucket-owner ownership', () => {
      const { props } = bucketOf(env, name);
      expect(props.VersioningConfiguration).toEqual({ Status: 'Enabled' });
      expect(props.PublicAccessBlockConfiguration).toEqual({
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      });
      expect(props.OwnershipControls).toEqual({ Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] });
      expect(props.AccessControl).toBeUndefined();
    });

    it('denies any request without TLS, or with TLS older than 1.2', () => {
      const { logicalId, statements } = bucketOf(env, name);
      const everything = [{ 'Fn::GetAtt': [logicalId, 'Arn'] }, objectsOf(logicalId)];
      expect(statements).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            Effect: 'Deny',
            Principal: { AWS: '*' },
            Action: 's3:*',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            Resource: everything,
          }),
          expect.objectContaining({
            Effect: 'Deny',
            Principal: { AWS: '*' },
            Action: 's3:*',
            Condition: { NumericLessThan: { 's3:TlsVersion': 1.2 } },
            Resource: everything,
          }),
        ]),
      );
    });

    it('aborts incomplete multipart uploads after 7 days and expires noncurrent versions', () => {
      const { props } = bucketOf(env, name);
      expect(props.LifecycleConfiguration.Rules).toEqual(
        expect.arrayContaining([
          {
            Id: 'abort-incomplete-multipart-uploads',
            Status: 'Enabled',
            AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 },
          },
          {
            Id: 'expire-noncurrent-versions',
            Status: 'Enabled',
            NoncurrentVersionExpiration: { NoncurrentDays: env === 'prod' ? 90 : 30 },
          },
        ]),
      );
    });

    it(`follows the env's removal policy`, () => {
      const { resource } = bucketOf(env, name);
      const expected = env === 'dev' ? 'Delete' : 'Retain';
      expect(resource.DeletionPolicy).toBe(expected);
      expect(resource.UpdateReplacePolicy).toBe(expected);
    });
  });

  describe.each(DATA_BUCKETS)('%s bucket (data)', (name) => {
    it('encrypts with its own customer-managed key and a bucket key', () => {
      const { props } = bucketOf(env, name);
      expect(props.BucketEncryption.ServerSideEncryptionConfiguration).toEqual([
        {
          BucketKeyEnabled: true,
          ServerSideEncryptionByDefault: {
            SSEAlgorithm: 'aws:kms',
            KMSMasterKeyID: expect.objectContaining({
              'Fn::GetStackOutput': expect.objectContaining({
                StackName: `Stowage-${env}-Keys`,
                OutputName: expect.stringContaining(`${KEY_OF[name]}Key`),
              }),
            }),
          },
        },
      ]);
    });

    it('denies uploads encrypted with another algorithm or another key', () => {
      const { logicalId, props, statements } = bucketOf(env, name);
      const key =
        props.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault
          .KMSMasterKeyID;
      expect(statements).toEqual(
        expect.arrayContaining([
          {
            Sid: 'DenyOtherEncryptionAlgorithm',
            Effect: 'Deny',
            Principal: { AWS: '*' },
            Action: 's3:PutObject',
            Resource: objectsOf(logicalId),
            Condition: {
              StringNotEquals: { 's3:x-amz-server-side-encryption': 'aws:kms' },
              Null: { 's3:x-amz-server-side-encryption': 'false' },
            },
          },
          {
            Sid: 'DenyOtherKmsKey',
            Effect: 'Deny',
            Principal: { AWS: '*' },
            Action: 's3:PutObject',
            Resource: objectsOf(logicalId),
            Condition: {
              StringNotEquals: { 's3:x-amz-server-side-encryption-aws-kms-key-id': key },
              Null: { 's3:x-amz-server-side-encryption-aws-kms-key-id': 'false' },
            },
          },
        ]),
      );
    });

    it('logs its access into the access-logs bucket under its own prefix', () => {
      const { props } = bucketOf(env, name);
      expect(props.LoggingConfiguration).toEqual({
        DestinationBucketName: { Ref: bucketOf(env, 'accessLogs').logicalId },
        LogFilePrefix: `${KEY_OF[name]}/`,
      });
    });

    it('sends its object events to EventBridge without a notifications custom resource', () => {
      const { props } = bucketOf(env, name);
      expect(props.NotificationConfiguration).toEqual({
        EventBridgeConfiguration: { EventBridgeEnabled: true },
      });
      const { resources } = storageOf(env);
      expect(Object.values(resources).filter((r) => r.Type === 'Custom::S3BucketNotifications')).toHaveLength(
        0,
      );
    });
  });

  describe('access-logs bucket', () => {
    it('uses SSE-S3, the only encryption S3 log delivery can write', () => {
      const { props } = bucketOf(env, 'accessLogs');
      expect(props.BucketEncryption.ServerSideEncryptionConfiguration).toEqual([
        { ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } },
      ]);
      expect(props.LoggingConfiguration).toBeUndefined();
    });

    it('admits log delivery only from this account and denies other encryption', () => {
      const { logicalId, statements } = bucketOf(env, 'accessLogs');
      expect(statements).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            Effect: 'Allow',
            Principal: { Service: 'logging.s3.amazonaws.com' },
            Action: 's3:PutObject',
            Condition: expect.objectContaining({ StringEquals: { 'aws:SourceAccount': '123456789012' } }),
          }),
          expect.objectContaining({
            Sid: 'DenyOtherEncryptionAlgorithm',
            Effect: 'Deny',
            Resource: objectsOf(logicalId),
            Condition: {
              StringNotEquals: { 's3:x-amz-server-side-encryption': 'AES256' },
              Null: { 's3:x-amz-server-side-encryption': 'false' },
            },
          }),
        ]),
      );
    });

    it('archives logs to Glacier after 90 days and keeps them 7 years', () => {
      expect(bucketOf(env, 'accessLogs').props.LifecycleConfiguration.Rules).toContainEqual({
        Id: 'current-versions',
        Status: 'Enabled',
        ExpirationInDays: 2555,
        Transitions: [{ StorageClass: 'GLACIER', TransitionInDays: 90 }],
      });
    });
  });

  describe('uploads bucket', () => {
    it('expires uploads after 30 days', () => {
      expect(bucketOf(env, 'uploads').props.LifecycleConfiguration.Rules).toContainEqual({
        Id: 'current-versions',
        Status: 'Enabled',
        ExpirationInDays: 30,
      });
    });

    it('denies reads until the object is tagged scan-status=CLEAN, except to the pipeline of this env', () => {
      const { logicalId, statements } = bucketOf(env, 'uploads');
      expect(statements).toContainEqual({
        Sid: 'DenyReadsUntilScannedClean',
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: ['s3:GetObject', 's3:GetObjectVersion'],
        Resource: objectsOf(logicalId),
        Condition: {
          StringNotEquals: {
            'aws:PrincipalTag/stowage:access': [`${env}:pipeline`],
            's3:ExistingObjectTag/scan-status': 'CLEAN',
          },
        },
      });
    });

    it('allows browser uploads from the configured origins only', () => {
      const origins = {
        dev: ['http://localhost:5173', 'http://127.0.0.1:8080'],
        staging: ['https://staging.stowage.example.com'],
        prod: ['https://stowage.example.com'],
      }[env];
      expect(bucketOf(env, 'uploads').props.CorsConfiguration).toEqual({
        CorsRules: [
          {
            AllowedMethods: ['POST', 'PUT', 'GET', 'HEAD'],
            AllowedOrigins: origins,
            AllowedHeaders: ['Content-Type', 'Authorization', 'x-amz-*'],
            ExposedHeaders: ['ETag'],
            MaxAge: 3600,
          },
        ],
      });
    });
  });

  it('has CORS on the uploads bucket only', () => {
    for (const name of ['processed', 'quarantine', 'backups', 'accessLogs'] as const) {
      expect(bucketOf(env, name).props.CorsConfiguration).toBeUndefined();
    }
  });

  describe('processed bucket', () => {
    it('moves files to Glacier Instant Retrieval after 90 days', () => {
      expect(bucketOf(env, 'processed').props.LifecycleConfiguration.Rules).toContainEqual({
        Id: 'current-versions',
        Status: 'Enabled',
        Transitions: [{ StorageClass: 'GLACIER_IR', TransitionInDays: 90 }],
      });
    });
  });

  describe('quarantine bucket', () => {
    it('expires quarantined files after the 90-day review window', () => {
      expect(bucketOf(env, 'quarantine').props.LifecycleConfiguration.Rules).toContainEqual({
        Id: 'current-versions',
        Status: 'Enabled',
        ExpirationInDays: 90,
      });
    });

    it('denies reads to every principal but the operations role of this env', () => {
      const { logicalId, statements } = bucketOf(env, 'quarantine');
      expect(statements).toContainEqual({
        Sid: 'DenyReadsExceptOperations',
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: ['s3:GetObject', 's3:GetObjectVersion'],
        Resource: objectsOf(logicalId),
        Condition: { StringNotEquals: { 'aws:PrincipalTag/stowage:access': [`${env}:operations`] } },
      });
    });
  });

  describe('backups bucket', () => {
    it('archives to Glacier Flexible Retrieval after 30 days, expires after 90, test/ after 7', () => {
      const rules = bucketOf(env, 'backups').props.LifecycleConfiguration.Rules;
      expect(rules).toContainEqual({
        Id: 'current-versions',
        Status: 'Enabled',
        ExpirationInDays: 90,
        Transitions: [{ StorageClass: 'GLACIER', TransitionInDays: 30 }],
      });
      expect(rules).toContainEqual({
        Id: 'expire-test',
        Status: 'Enabled',
        Prefix: 'test/',
        ExpirationInDays: 7,
      });
    });

    it(env === 'prod' ? 'locks every backup version for 30 days (governance)' : 'has no Object Lock', () => {
      const { props } = bucketOf(env, 'backups');
      if (env === 'prod') {
        expect(props.ObjectLockEnabled).toBe(true);
        expect(props.ObjectLockConfiguration).toEqual({
          ObjectLockEnabled: 'Enabled',
          Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: 30 } },
        });
      } else {
        expect(props.ObjectLockEnabled).toBeUndefined();
      }
    });
  });

  it(env === 'dev' ? 'empties buckets on stack deletion (dev only)' : 'never auto-deletes objects', () => {
    const { resources } = storageOf(env);
    const autoDeletes = Object.values(resources).filter((r) => r.Type === 'Custom::S3AutoDeleteObjects');
    expect(autoDeletes).toHaveLength(env === 'dev' ? 5 : 0);
  });
});
