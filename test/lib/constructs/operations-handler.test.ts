import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { HANDLER_ENV } from '../../../core/contracts/handler-env';
import { cdkJsonContext } from '../../../lib/cdk-json-context';
import type { OperationsHandlerProps } from '../../../lib/constructs/operations-handler';
import { OperationsHandler } from '../../../lib/constructs/operations-handler';

const PREFIX = 'arn:aws:cloudwatch:eu-west-1:123456789012:alarm:Stowage-dev-';
const QUEUE_ARN = (name: string) => `arn:aws:sqs:eu-west-1:123456789012:${name}`;

function stack(): Stack {
  return new Stack(new App({ context: cdkJsonContext() }), 'Test', {
    env: { account: '123456789012', region: 'eu-west-1' },
  });
}

function props(s: Stack, overrides: Partial<OperationsHandlerProps> = {}): OperationsHandlerProps {
  const key = new kms.Key(s, 'Key');
  return {
    memoryMb: 256,
    timeoutSeconds: 900,
    reservedConcurrency: 2,
    logLevel: 'INFO',
    logRetentionDays: 30,
    removalPolicy: RemovalPolicy.DESTROY,
    envName: 'dev',
    alarmArnPrefix: PREFIX,
    redriveRoutes: [
      {
        deadLetterQueue: sqs.Queue.fromQueueArn(s, 'Dlq', QUEUE_ARN('intake-dlq')),
        sourceQueue: sqs.Queue.fromQueueArn(s, 'Source', QUEUE_ARN('intake')),
      },
    ],
    redriveMaxMessages: 100,
    poisonMaxRedrives: 3,
    holdingRetentionDays: 14,
    verifier: lambda.Function.fromFunctionName(s, 'Verifier', 'verifier'),
    verificationFailuresQueue: sqs.Queue.fromQueueArn(s, 'Failures', QUEUE_ARN('verification-failures')),
    backupSources: '[]',
    topic: sns.Topic.fromTopicArn(s, 'Topic', 'arn:aws:sns:eu-west-1:123456789012:stowage-dev-operations'),
    messagingKey: key,
    tableKey: key,
    logsKey: key,
    ...overrides,
  };
}

describe('OperationsHandler', () => {
  it('refuses to be built without a DLQ to redrive', () => {
    // Arrange
    const s = stack();
    // Act + Assert
    expect(() => new OperationsHandler(s, 'Operations', props(s, { redriveRoutes: [] }))).toThrow(
      'OperationsHandler Operations: redriveRoutes is empty',
    );
  });

  it('may set this env’s alarms to OK (SetAlarmState only, on the alarm ARN prefix) and nothing else in CloudWatch', () => {
    // Arrange
    const s = stack();
    new OperationsHandler(s, 'Operations', props(s));
    // Act
    const statements = policyStatements(s);
    // Assert
    expect(
      statements.filter((statement) => JSON.stringify(statement.Action).includes('cloudwatch:')),
    ).toEqual([
      { Sid: 'RearmAlarms', Effect: 'Allow', Action: 'cloudwatch:SetAlarmState', Resource: `${PREFIX}*` },
    ]);
  });

  it('may receive, delete and count the verification failure records, and never send to that queue', () => {
    // Arrange
    const s = stack();
    new OperationsHandler(s, 'Operations', props(s));
    // Act
    const statements = policyStatements(s);
    // Assert
    expect(statements.find((statement) => statement.Sid === 'SettleVerificationFailures')).toEqual({
      Sid: 'SettleVerificationFailures',
      Effect: 'Allow',
      Action: ['sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:ReceiveMessage'],
      Resource: QUEUE_ARN('verification-failures'),
    });
    const onFailuresQueue = statements.filter((statement) =>
      JSON.stringify(statement.Resource).includes(QUEUE_ARN('verification-failures')),
    );
    expect(onFailuresQueue.map((statement) => statement.Sid)).toEqual(['SettleVerificationFailures']);
    Template.fromStack(s).hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          [HANDLER_ENV.VERIFICATION_FAILURES_QUEUE_URL]: Match.anyValue(),
        }),
      },
    });
  });
});

// Templates are untyped JSON.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function policyStatements(s: Stack): any[] {
  const policies = Template.fromStack(s).findResources('AWS::IAM::ManagedPolicy');
  return Object.values(policies).flatMap((policy) => policy.Properties.PolicyDocument.Statement);
}
