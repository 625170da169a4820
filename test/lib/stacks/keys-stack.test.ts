import { Match } from 'aws-cdk-lib/assertions';
import { KEY_ADMIN_ACTIONS } from '../../../lib/constructs/data-key';
import { ALL_ENVS, templateOf } from '../../support/app';

const PURPOSES = ['uploads', 'processed', 'quarantine', 'backups', 'messaging', 'status', 'logs'];
const BUCKET_PURPOSES = ['uploads', 'processed', 'quarantine', 'backups'];

/** The key policy statements of the key behind `alias/stowage/<env>/<purpose>`. */
function keyStatements(template: ReturnType<typeof templateOf>, env: string, purpose: string) {
  const resources = template.toJSON().Resources as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  const alias = Object.values(resources).find(
    (r) => r.Type === 'AWS::KMS::Alias' && r.Properties.AliasName === `alias/stowage/${env}/${purpose}`,
  );
  const keyId = alias.Properties.TargetKeyId['Fn::GetAtt'][0] as string;
  return resources[keyId].Properties.KeyPolicy.Statement as Array<Record<string, any>>; // eslint-disable-line @typescript-eslint/no-explicit-any
}

describe.each(ALL_ENVS)('Keys stack (%s)', (env) => {
  const template = () => templateOf(env, 'keys');

  it('has one customer-managed key per kind of data, with rotation on and an env alias', () => {
    template().resourceCountIs('AWS::KMS::Key', PURPOSES.length);
    template().allResourcesProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      RotationPeriodInDays: 365,
      KeySpec: Match.absent(),
    });
    for (const purpose of PURPOSES) {
      template().hasResourceProperties('AWS::KMS::Alias', { AliasName: `alias/stowage/${env}/${purpose}` });
    }
  });

  it('lets the account root administer the keys but not use them', () => {
    template().allResourcesProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'KeyAdministration',
            Effect: 'Allow',
            Principal: { AWS: 'arn:aws:iam::123456789012:root' },
            Action: [...KEY_ADMIN_ACTIONS].sort(),
          }),
        ]),
      },
    });
    for (const action of [
      'kms:Encrypt',
      'kms:Decrypt',
      'kms:GenerateDataKey',
      'kms:CreateGrant',
      'kms:Create*',
    ]) {
      expect(KEY_ADMIN_ACTIONS).not.toContain(action);
    }
  });

  it("lets only this env's Stowage roles use the keys", () => {
    template().allResourcesProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'StowagePrincipalsUseKey',
            Effect: 'Allow',
            Action: Match.arrayWith(['kms:Decrypt', 'kms:GenerateDataKey']),
            Condition: {
              ArnLike: { 'aws:PrincipalArn': [`arn:aws:iam::123456789012:role/Stowage-${env}-*`] },
            },
          }),
        ]),
      },
    });
  });

  it("lets the S3 service use the bucket keys only for this account's Stowage buckets", () => {
    for (const purpose of BUCKET_PURPOSES) {
      expect(keyStatements(template(), env, purpose)).toContainEqual(
        expect.objectContaining({
          Sid: 'S3ServiceUsesKeyForStowageBuckets',
          Effect: 'Allow',
          Principal: { Service: 's3.amazonaws.com' },
          Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
          Condition: {
            StringEquals: { 'aws:SourceAccount': '123456789012' },
            ArnLike: { 'aws:SourceArn': `arn:aws:s3:::stowage-${env}-*` },
          },
        }),
      );
    }
  });

  it("lets EventBridge and SQS use the messaging key only for this env's rules, buses and queues", () => {
    const statements = keyStatements(template(), env, 'messaging');
    const prefix = 'arn:aws:events:eu-west-1:123456789012';
    expect(statements).toContainEqual(
      expect.objectContaining({
        Sid: 'EventsUsesKey',
        Principal: { Service: 'events.amazonaws.com' },
        Action: [
          'kms:Decrypt',
          'kms:DescribeKey',
          'kms:GenerateDataKey',
          'kms:ReEncryptFrom',
          'kms:ReEncryptTo',
        ],
        Condition: {
          StringEquals: { 'aws:SourceAccount': '123456789012' },
          ArnLike: {
            'aws:SourceArn': [
              `${prefix}:rule/Stowage-${env}-*`,
              `${prefix}:rule/stowage-${env}-*/*`,
              `${prefix}:event-bus/stowage-${env}-*`,
              `${prefix}:archive/stowage-${env}-*`,
            ],
          },
        },
      }),
    );
    expect(statements).toContainEqual(
      expect.objectContaining({
        Sid: 'SqsUsesKey',
        Principal: { Service: 'sqs.amazonaws.com' },
        Condition: {
          StringEquals: { 'aws:SourceAccount': '123456789012' },
          ArnLike: { 'aws:SourceArn': [`arn:aws:sqs:eu-west-1:123456789012:Stowage-${env}-*`] },
        },
      }),
    );
    expect(JSON.stringify(statements)).not.toContain('s3.amazonaws.com');
  });

  it("lets CloudWatch use the messaging key only for this env's alarms (they publish to the encrypted operations topic)", () => {
    const statements = keyStatements(template(), env, 'messaging');
    expect(statements).toContainEqual({
      Sid: 'CloudwatchUsesKey',
      Effect: 'Allow',
      Principal: { Service: 'cloudwatch.amazonaws.com' },
      Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
      Resource: '*',
      Condition: {
        StringEquals: { 'aws:SourceAccount': '123456789012' },
        ArnLike: { 'aws:SourceArn': [`arn:aws:cloudwatch:eu-west-1:123456789012:alarm:Stowage-${env}-*`] },
      },
    });
  });

  it("lets CloudWatch Logs use the logs key only for this env's log groups, and DynamoDB create grants on the status key", () => {
    expect(keyStatements(template(), env, 'logs')).toContainEqual(
      expect.objectContaining({
        Sid: 'LogsEuWest1UsesKey',
        Principal: { Service: 'logs.eu-west-1.amazonaws.com' },
        Condition: {
          ArnLike: {
            'kms:EncryptionContext:aws:logs:arn': [
              `arn:aws:logs:eu-west-1:123456789012:log-group:Stowage-${env}-*`,
            ],
          },
        },
      }),
    );
    expect(keyStatements(template(), env, 'status')).toContainEqual(
      expect.objectContaining({
        Sid: 'CreateGrantsViaAwsServices',
        Condition: expect.objectContaining({
          StringEquals: {
            'kms:ViaService': ['dynamodb.eu-west-1.amazonaws.com'],
            'kms:CallerAccount': '123456789012',
          },
        }),
      }),
    );
  });

  it('refuses grants that are not for AWS resources', () => {
    template().allResourcesProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'DenyGrantsExceptForAwsServices',
            Effect: 'Deny',
            Principal: { AWS: '*' },
            Action: 'kms:CreateGrant',
            Condition: {
              BoolIfExists: { 'kms:GrantIsForAWSResource': 'false', 'aws:PrincipalIsAWSService': 'false' },
            },
          }),
        ]),
      },
    });
  });

  it.each([
    ...BUCKET_PURPOSES.map((p) => [p, 'S3ServiceUsesKeyForStowageBuckets']),
    ['messaging', 'EventsUsesKey', 'SqsUsesKey', 'CloudwatchUsesKey'],
    ['status', 'CreateGrantsViaAwsServices'],
    ['logs', 'LogsEuWest1UsesKey'],
  ])('grants no wildcard action on the %s key and has no other statements', (purpose, ...serviceSids) => {
    const statements = keyStatements(template(), env, purpose);
    expect(statements.map((s) => s.Sid).sort()).toEqual(
      [
        'DenyGrantsExceptForAwsServices',
        'KeyAdministration',
        'StowagePrincipalsUseKey',
        ...serviceSids,
      ].sort(),
    );
    for (const statement of statements) {
      if (statement.Sid === 'KeyAdministration') continue;
      for (const action of [statement.Action].flat()) expect(action).not.toContain('*');
    }
  });

  it(`applies the env's removal policy to the keys`, () => {
    const expected = env === 'dev' ? 'Delete' : 'Retain';
    template().allResources('AWS::KMS::Key', { DeletionPolicy: expected, UpdateReplacePolicy: expected });
    template().allResourcesProperties('AWS::KMS::Key', { PendingWindowInDays: env === 'dev' ? 7 : 30 });
  });
});
