import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import { cdkJsonContext } from '../../../lib/cdk-json-context';
import { OperationsHandler } from '../../../lib/constructs/operations-handler';

function stack(): Stack {
  return new Stack(new App({ context: cdkJsonContext() }), 'Test', {
    env: { account: '123456789012', region: 'eu-west-1' },
  });
}

describe('OperationsHandler', () => {
  it('refuses to be built without a DLQ to redrive', () => {
    // Arrange
    const s = stack();
    const key = new kms.Key(s, 'Key');
    // Act + Assert
    expect(
      () =>
        new OperationsHandler(s, 'Operations', {
          memoryMb: 256,
          timeoutSeconds: 900,
          reservedConcurrency: 2,
          logLevel: 'INFO',
          logRetentionDays: 30,
          removalPolicy: RemovalPolicy.DESTROY,
          envName: 'dev',
          alarmArnPrefix: 'arn:aws:cloudwatch:eu-west-1:123456789012:alarm:Stowage-dev-',
          redriveRoutes: [],
          redriveMaxMessages: 100,
          poisonMaxRedrives: 3,
          holdingRetentionDays: 14,
          verifier: lambda.Function.fromFunctionName(s, 'Verifier', 'verifier'),
          backupSources: '[]',
          topic: sns.Topic.fromTopicArn(
            s,
            'Topic',
            'arn:aws:sns:eu-west-1:123456789012:stowage-dev-operations',
          ),
          messagingKey: key,
          tableKey: key,
          logsKey: key,
        }),
    ).toThrow('OperationsHandler Operations: redriveRoutes is empty');
  });
});
