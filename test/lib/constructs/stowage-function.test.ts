import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { cdkJsonContext } from '../../../lib/cdk-json-context';
import type { StowageFunctionProps } from '../../../lib/constructs/stowage-function';
import { StowageFunction } from '../../../lib/constructs/stowage-function';
import { BUNDLING_STACKS_CONTEXT } from '../../support/app';

function stack(): Stack {
  const app = new App({ context: { ...cdkJsonContext(), [BUNDLING_STACKS_CONTEXT]: [] } });
  return new Stack(app, 'Test', { env: { account: '123456789012', region: 'eu-west-1' } });
}

const props: StowageFunctionProps = {
  entry: 'lambda/scan/index.ts',
  description: 'test handler',
  memoryMb: 1024,
  timeoutSeconds: 60,
  reservedConcurrency: 3,
  environment: { STOWAGE_ENV: 'dev' },
  serviceName: 'stowage-test',
  logLevel: 'WARN',
  logRetentionDays: 14,
  logRemovalPolicy: RemovalPolicy.RETAIN,
};

describe('StowageFunction', () => {
  it('fixes the runtime, architecture, tracing, logging and bundling defaults', () => {
    // Arrange
    const s = stack();
    // Act
    new StowageFunction(s, 'Fn', props);
    const template = Template.fromStack(s);
    // Assert
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      MemorySize: 1024,
      Timeout: 60,
      ReservedConcurrentExecutions: 3,
      TracingConfig: { Mode: 'Active' },
      LoggingConfig: {
        LogFormat: 'JSON',
        ApplicationLogLevel: 'WARN',
        SystemLogLevel: 'INFO',
        LogGroup: Match.anyValue(),
      },
      Environment: {
        Variables: {
          STOWAGE_ENV: 'dev',
          NODE_OPTIONS: '--enable-source-maps',
          POWERTOOLS_SERVICE_NAME: 'stowage-test',
          POWERTOOLS_LOG_LEVEL: 'WARN',
          POWERTOOLS_METRICS_NAMESPACE: 'Stowage',
        },
      },
    });
    template.hasResource('AWS::Logs::LogGroup', {
      Properties: { RetentionInDays: 14 },
      DeletionPolicy: 'Retain',
    });
    template.resourceCountIs('AWS::Lambda::EventInvokeConfig', 0);
  });

  it('puts every grant into one customer-managed policy: no inline policies, no AWS managed policies', () => {
    // Arrange
    const s = stack();
    const fn = new StowageFunction(s, 'Fn', props);
    // Act
    new sqs.Queue(s, 'Q').grantConsumeMessages(fn.role);
    const template = Template.fromStack(s);
    // Assert
    template.resourceCountIs('AWS::IAM::Policy', 0);
    template.resourceCountIs('AWS::IAM::ManagedPolicy', 1);
    template.hasResourceProperties('AWS::IAM::Role', {
      ManagedPolicyArns: [{ Ref: Match.stringLikeRegexp('^FnPolicy') }],
      AssumeRolePolicyDocument: {
        Statement: [
          Match.objectLike({
            Principal: { Service: 'lambda.amazonaws.com' },
            Condition: { StringEquals: { 'aws:SourceAccount': '123456789012' } },
          }),
        ],
      },
    });
    template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Action: ['logs:CreateLogStream', 'logs:PutLogEvents'] }),
          Match.objectLike({ Action: Match.arrayWith(['sqs:ReceiveMessage']) }),
        ]),
      },
    });
  });

  it('sends failed asynchronous invocations to the given queue', () => {
    // Arrange
    const s = stack();
    const failures = new sqs.Queue(s, 'Failures');
    // Act
    new StowageFunction(s, 'Fn', { ...props, asyncFailureQueue: failures });
    // Assert
    Template.fromStack(s).hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      MaximumRetryAttempts: 2,
      DestinationConfig: {
        OnFailure: { Destination: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Failures'), 'Arn'] } },
      },
    });
  });

  it('lets its role send failure records to an encrypted queue with named actions only, through SQS', () => {
    // Arrange
    const s = stack();
    const key = new kms.Key(s, 'Key');
    const failures = new sqs.Queue(s, 'Failures', {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: key,
    });
    // Act
    const fn = new StowageFunction(s, 'Fn', { ...props, asyncFailureQueue: failures });
    const template = Template.fromStack(s);
    // Assert
    const policyId = s.resolve((fn.policy.node.defaultChild as iam.CfnManagedPolicy).logicalId) as string;
    const statements = template.toJSON().Resources[policyId].Properties.PolicyDocument.Statement as Array<{
      Sid?: string;
      Action: string | string[];
    }>;
    expect(statements.filter((st) => st.Sid?.includes('FailedInvocations'))).toEqual([
      {
        Sid: 'SendFailedInvocations',
        Effect: 'Allow',
        Action: 'sqs:SendMessage',
        Resource: { 'Fn::GetAtt': [expect.stringMatching(/^Failures/), 'Arn'] },
      },
      {
        Sid: 'EncryptFailedInvocations',
        Effect: 'Allow',
        Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
        Resource: { 'Fn::GetAtt': [expect.stringMatching(/^Key/), 'Arn'] },
        Condition: { StringEquals: { 'kms:ViaService': 'sqs.eu-west-1.amazonaws.com' } },
      },
    ]);
    expect(statements.flatMap((st) => [st.Action].flat()).filter((a) => a.includes('*'))).toEqual([]);
    template.resourceCountIs('AWS::IAM::Policy', 0);
  });

  it.each<[string, Partial<StowageFunctionProps>, string]>([
    [
      'an env var outside the handler contract',
      { environment: { AWS_SECRET: 'x' } as unknown as StowageFunctionProps['environment'] },
      'environment may only hold HANDLER_ENV names (got AWS_SECRET)',
    ],
    [
      'an entry outside lambda/<handler>/index.ts',
      { entry: 'lib/x.ts' },
      'entry must be lambda/<handler>/index.ts',
    ],
    [
      'a retention CloudWatch does not offer',
      { logRetentionDays: 45 },
      'logRetentionDays 45 is not a CloudWatch',
    ],
  ])('rejects %s', (_what, overrides, message) => {
    expect(() => new StowageFunction(stack(), 'Fn', { ...props, ...overrides })).toThrow(message);
  });
});
