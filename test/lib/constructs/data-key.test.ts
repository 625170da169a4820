import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { cdkJsonContext } from '../../../lib/cdk-json-context';
import { DataKey } from '../../../lib/constructs/data-key';

function stack(): Stack {
  return new Stack(new App({ context: cdkJsonContext() }), 'Test', {
    env: { account: '123456789012', region: 'eu-west-1' },
  });
}

const base = {
  aliasName: 'alias/stowage/dev/messaging',
  description: 'test',
  userPrincipalArnPatterns: ['arn:aws:iam::123456789012:role/Stowage-dev-*'],
  removalPolicy: RemovalPolicy.DESTROY,
};

describe('DataKey', () => {
  it('lets each named service use the key only for its own resources of this account', () => {
    // Arrange
    const s = stack();
    // Act
    new DataKey(s, 'Key', {
      ...base,
      servicePrincipals: [
        {
          service: 'events.amazonaws.com',
          sourceArnPatterns: ['arn:aws:events:eu-west-1:123456789012:rule/Stowage-dev-*'],
        },
        {
          service: 'sqs.amazonaws.com',
          sourceArnPatterns: ['arn:aws:sqs:eu-west-1:123456789012:Stowage-dev-*'],
        },
      ],
    });
    // Assert
    const [key] = Object.values(Template.fromStack(s).findResources('AWS::KMS::Key'));
    const statements = key.Properties.KeyPolicy.Statement;
    expect(statements.map((st: { Sid: string }) => st.Sid)).toEqual([
      'KeyAdministration',
      'DenyGrantsExceptForAwsServices',
      'StowagePrincipalsUseKey',
      'EventsUsesKey',
      'SqsUsesKey',
    ]);
    expect(statements[3]).toMatchObject({
      Principal: { Service: 'events.amazonaws.com' },
      Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
      Condition: {
        StringEquals: { 'aws:SourceAccount': '123456789012' },
        ArnLike: { 'aws:SourceArn': ['arn:aws:events:eu-west-1:123456789012:rule/Stowage-dev-*'] },
      },
    });
  });

  it('lets S3 use it only when given a bucket pattern, and DynamoDB create grants only through the service', () => {
    // Arrange
    const s = stack();
    // Act
    new DataKey(s, 'Key', { ...base, grantsViaServices: ['dynamodb.eu-west-1.amazonaws.com'] });
    // Assert
    const template = Template.fromStack(s);
    expect(JSON.stringify(template.toJSON())).not.toContain('s3.amazonaws.com');
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'CreateGrantsViaAwsServices',
            Action: ['kms:CreateGrant', 'kms:DescribeKey'],
            Condition: {
              StringEquals: {
                'kms:ViaService': ['dynamodb.eu-west-1.amazonaws.com'],
                'kms:CallerAccount': '123456789012',
              },
              Bool: { 'kms:GrantIsForAWSResource': 'true' },
            },
          }),
        ]),
      },
    });
  });

  it.each([
    [
      'a principal that is not a service',
      { service: 'arn:aws:iam::1:root', sourceArnPatterns: ['x'] },
      'is not a service principal',
    ],
    [
      'a service without source patterns',
      { service: 'sqs.amazonaws.com', sourceArnPatterns: [] },
      'needs at least one',
    ],
  ])('rejects %s', (_what, use, message) => {
    expect(() => new DataKey(stack(), 'Key', { ...base, servicePrincipals: [use] })).toThrow(message);
  });
});
