import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { cdkJsonContext } from '../../../lib/cdk-json-context';
import { loadConfig } from '../../../lib/config';
import type { OperationsAlarmsProps } from '../../../lib/constructs/operations-alarms';
import { OperationsAlarms } from '../../../lib/constructs/operations-alarms';

const ARN = 'arn:aws:sqs:eu-west-1:123456789012';

function stack(): Stack {
  return new Stack(new App({ context: cdkJsonContext() }), 'Test', {
    env: { account: '123456789012', region: 'eu-west-1' },
  });
}

function alarmsProps(s: Stack, overrides: Partial<OperationsAlarmsProps> = {}): OperationsAlarmsProps {
  const config = loadConfig('dev', { environment: {} });
  const queue = (name: string) => sqs.Queue.fromQueueArn(s, name, `${ARN}:${name}`);
  return {
    envName: 'dev',
    settings: config.alarms,
    topic: sns.Topic.fromTopicArn(s, 'Topic', 'arn:aws:sns:eu-west-1:123456789012:stowage-dev-operations'),
    handlers: [
      {
        name: 'ScanHandler',
        function: lambda.Function.fromFunctionName(s, 'Scan', 'scan'),
        timeoutSeconds: 300,
        critical: true,
      },
    ],
    messageQueues: [{ name: 'IntakeDLQ', queue: queue('intake-dlq'), meaning: 'Uploads whose scan failed.' }],
    intakeQueue: { name: 'IntakeQueue', queue: queue('intake') },
    backupSources: [{ name: 'main-db', maxAgeHours: 26 }],
    apiId: 'abc123',
    ...overrides,
  };
}

describe('OperationsAlarms', () => {
  it('refuses two alarms with one name, naming it', () => {
    // Arrange
    const s = stack();
    const props = alarmsProps(s);
    const twice = [...props.handlers, ...props.handlers];
    // Act + Assert
    expect(() => new OperationsAlarms(s, 'Alarms', { ...props, handlers: twice })).toThrow(
      'OperationsAlarms Alarms: duplicate alarm names ScanHandler-Errors, ScanHandler-Throttles, ScanHandler-Duration',
    );
  });

  it('puts the duration threshold at the configured share of the handler timeout, in milliseconds', () => {
    // Arrange
    const s = stack();
    const props = alarmsProps(s);
    const settings = {
      ...props.settings,
      handlers: { periodSeconds: 60, evaluationPeriods: 1, durationPercentOfTimeout: 33 },
    };
    // Act
    new OperationsAlarms(s, 'Alarms', {
      ...props,
      settings,
      handlers: [{ ...props.handlers[0]!, timeoutSeconds: 7 }],
    });
    // Assert
    Template.fromStack(s).hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'Stowage-dev-ScanHandler-Duration',
      Threshold: 2310,
    });
  });

  it('only watches replication when rules are given', () => {
    // Arrange
    const s = stack();
    // Act
    const alarms = new OperationsAlarms(s, 'Alarms', alarmsProps(s));
    // Assert
    expect(alarms.alarms.map((a) => a.node.id).filter((id) => id.startsWith('Replication'))).toEqual([]);
  });
});
