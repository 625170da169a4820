import { Match } from 'aws-cdk-lib/assertions';
import { KEY_ADMIN_ACTIONS } from '../../../lib/constructs/data-key';
import { ALL_ENVS, templateOf } from '../../support/app';

const PURPOSES = ['uploads', 'processed', 'quarantine', 'backups'];

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

  it("lets the S3 service use the keys only for this account's Stowage buckets", () => {
    template().allResourcesProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'S3ServiceUsesKeyForStowageBuckets',
            Effect: 'Allow',
            Principal: { Service: 's3.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
            Condition: {
              StringEquals: { 'aws:SourceAccount': '123456789012' },
              ArnLike: { 'aws:SourceArn': `arn:aws:s3:::stowage-${env}-*` },
            },
          }),
        ]),
      },
    });
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

  it('grants kms:* to nobody and has no other statements', () => {
    const keys = template().findResources('AWS::KMS::Key');
    for (const key of Object.values(keys)) {
      const statements = key.Properties.KeyPolicy.Statement as Array<{
        Sid: string;
        Action: string | string[];
      }>;
      expect(statements.map((s) => s.Sid).sort()).toEqual([
        'DenyGrantsExceptForAwsServices',
        'KeyAdministration',
        'S3ServiceUsesKeyForStowageBuckets',
        'StowagePrincipalsUseKey',
      ]);
      for (const statement of statements) expect([statement.Action].flat()).not.toContain('kms:*');
    }
  });

  it(`applies the env's removal policy to the keys`, () => {
    const expected = env === 'dev' ? 'Delete' : 'Retain';
    template().allResources('AWS::KMS::Key', { DeletionPolicy: expected, UpdateReplacePolicy: expected });
    template().allResourcesProperties('AWS::KMS::Key', { PendingWindowInDays: env === 'dev' ? 7 : 30 });
  });
});
