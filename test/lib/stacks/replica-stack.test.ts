import { Match, Template } from 'aws-cdk-lib/assertions';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { buildEnv } from '../../support/app';

const REPLICA_REGION = 'eu-central-1';
const replicaName = (bucket: string) => `stowage-prod-123456789012-${REPLICA_REGION}-${bucket}-replica`;

describe('replication (prod)', () => {
  const { stacks } = buildEnv('prod');
  const replicaStack = stacks.replica;
  if (!replicaStack) throw new Error('prod must have a Replica stack');
  const replica = Template.fromStack(replicaStack);
  const storage = Template.fromStack(stacks.storage);
  const logicalId = (bucket: s3.Bucket) =>
    stacks.storage.resolve((bucket.node.defaultChild as s3.CfnBucket).logicalId);

  it('puts the Replica stack in the replica region, deployed before Storage', () => {
    expect(replicaStack.stackName).toBe('Stowage-prod-Replica');
    expect(replicaStack.region).toBe(REPLICA_REGION);
    expect(stacks.storage.region).toBe('eu-west-1');
    expect(stacks.storage.dependencies).toContain(replicaStack);
  });

  it('has its own rotating key with a stable alias', () => {
    replica.resourceCountIs('AWS::KMS::Key', 1);
    replica.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    replica.hasResourceProperties('AWS::KMS::Alias', { AliasName: 'alias/stowage/prod/replica' });
  });

  it.each(['processed', 'backups'])('has a hardened %s replica bucket with a fixed name', (bucket) => {
    replica.hasResourceProperties('AWS::S3::Bucket', {
      BucketName: replicaName(bucket),
      VersioningConfiguration: { Status: 'Enabled' },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          {
            BucketKeyEnabled: true,
            ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: Match.anyValue() },
          },
        ],
      },
      LoggingConfiguration: {
        DestinationBucketName: Match.anyValue(),
        LogFilePrefix: Match.stringLikeRegexp('Replica/$'),
      },
    });
  });

  it('tags each replica bucket with its purpose (stowage:bucket)', () => {
    for (const [purpose, name] of [
      ['processed', replicaName('processed')],
      ['backups', replicaName('backups')],
    ]) {
      replica.hasResourceProperties('AWS::S3::Bucket', {
        BucketName: name,
        Tags: Match.arrayWith([{ Key: 'stowage:bucket', Value: purpose }]),
      });
    }
    replica.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
      Tags: Match.arrayWith([{ Key: 'stowage:bucket', Value: 'access-logs' }]),
    });
  });

  it('logs replica access to a bucket in its own region (3 buckets in all)', () => {
    replica.resourceCountIs('AWS::S3::Bucket', 3);
    replica.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
    });
  });

  it.each([
    ['processed', () => stacks.storage.processed],
    ['backups', () => stacks.storage.backups],
  ])('replicates %s with re-encryption under the replica key, delete markers and RTC', (bucket, of) => {
    storage.hasResource('AWS::S3::Bucket', {
      Properties: Match.objectLike({
        ReplicationConfiguration: {
          Role: Match.anyValue(),
          Rules: [
            {
              Id: 'replicate-all',
              Status: 'Enabled',
              Filter: { Prefix: '' },
              DeleteMarkerReplication: { Status: 'Enabled' },
              SourceSelectionCriteria: { SseKmsEncryptedObjects: { Status: 'Enabled' } },
              Destination: {
                Bucket: `arn:aws:s3:::${replicaName(bucket)}`,
                EncryptionConfiguration: {
                  ReplicaKmsKeyID: `arn:aws:kms:${REPLICA_REGION}:123456789012:alias/stowage/prod/replica`,
                },
                ReplicationTime: { Status: 'Enabled', Time: { Minutes: 15 } },
                Metrics: { Status: 'Enabled', EventThreshold: { Minutes: 15 } },
              },
            },
          ],
        },
      }),
    });
    expect(storage.toJSON().Resources[logicalId(of())].Properties.ReplicationConfiguration).toBeDefined();
  });

  it('gives each replication role a least-privilege managed policy and no inline policy', () => {
    storage.resourceCountIs('AWS::IAM::Role', 2);
    storage.resourceCountIs('AWS::IAM::Policy', 0);
    storage.allResourcesProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          {
            Action: 'sts:AssumeRole',
            Effect: 'Allow',
            Principal: { Service: 's3.amazonaws.com' },
            Condition: { StringEquals: { 'aws:SourceAccount': '123456789012' } },
          },
        ],
      },
    });
    storage.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'WriteReplicas',
            Action: ['s3:ReplicateDelete', 's3:ReplicateObject', 's3:ReplicateTags'],
            Resource: `arn:aws:s3:::${replicaName('backups')}/*`,
          }),
          Match.objectLike({
            Sid: 'EncryptReplicasWithReplicaKey',
            Action: ['kms:Encrypt', 'kms:GenerateDataKey'],
            Condition: {
              'ForAnyValue:StringEquals': { 'kms:ResourceAliases': 'alias/stowage/prod/replica' },
              StringEquals: { 'kms:ViaService': `s3.${REPLICA_REGION}.amazonaws.com` },
              StringLike: { 'kms:EncryptionContext:aws:s3:arn': Match.anyValue() },
            },
          }),
          Match.objectLike({
            Sid: 'DecryptSourceObjects',
            Action: 'kms:Decrypt',
            Condition: Match.objectLike({ StringEquals: { 'kms:ViaService': 's3.eu-west-1.amazonaws.com' } }),
          }),
        ]),
      },
    });
    const policies = storage.findResources('AWS::IAM::ManagedPolicy');
    for (const policy of Object.values(policies)) {
      for (const statement of policy.Properties.PolicyDocument.Statement as Array<{
        Action: string | string[];
      }>) {
        for (const action of [statement.Action].flat()) expect(action).not.toMatch(/\*/);
      }
    }
  });
});

describe.each(['dev', 'staging'] as const)('replication (%s, off by default)', (env) => {
  it('creates no Replica stack and no replication rules', () => {
    const { stacks } = buildEnv(env);
    expect(stacks.replica).toBeUndefined();
    const storage = Template.fromStack(stacks.storage);
    storage.resourceCountIs('AWS::IAM::ManagedPolicy', 0);
    for (const bucket of Object.values(storage.findResources('AWS::S3::Bucket'))) {
      expect(bucket.Properties.ReplicationConfiguration).toBeUndefined();
    }
  });

  it('replicates when the env turns it on', () => {
    const { stacks } = buildEnv(env, { overrides: { replication: { enabled: true } } });
    expect(stacks.replica?.stackName).toBe(`Stowage-${env}-Replica`);
    Template.fromStack(stacks.storage).resourcePropertiesCountIs(
      'AWS::S3::Bucket',
      {
        ReplicationConfiguration: Match.objectLike({
          Rules: [Match.objectLike({ Destination: Match.objectLike({ ReplicationTime: Match.absent() }) })],
        }),
      },
      2,
    );
  });
});
