import type * as CloudWatch from '@aws-sdk/client-cloudwatch';
import type * as DynamoDb from '@aws-sdk/client-dynamodb';
import type * as Sns from '@aws-sdk/client-sns';
import type * as Sqs from '@aws-sdk/client-sqs';
import type { AwsClientStub } from 'aws-sdk-client-mock';

import type { handler } from '../../../lambda/operations/index';
import { HANDLER_ENV } from '../../../core/contracts/handler-env';
import { HANDLER_SERVICES, METRICS_NAMESPACE } from '../../../core/contracts/metrics';
import {
  alarmEvent,
  DLQ_ALARM,
  FAILURES_QUEUE,
  FakeIdempotencyTable,
  FakeSqs,
  HOLDING_QUEUE,
  INTAKE_DLQ,
  INTAKE_DLQ_NAME,
  INTAKE_QUEUE,
  lambdaContext,
  TABLE,
  TOPIC,
  VERIFIER,
} from './operations-fixtures';

interface ColdStart {
  readonly handler: typeof handler;
  readonly sqs: FakeSqs;
  readonly table: FakeIdempotencyTable;
  readonly snsMock: AwsClientStub<Sns.SNSClient>;
  readonly sns: typeof Sns;
  readonly cloudwatchMock: AwsClientStub<CloudWatch.CloudWatchClient>;
  readonly cloudwatch: typeof CloudWatch;
}

const ENV = {
  [HANDLER_ENV.REDRIVE_ROUTES]: JSON.stringify([
    { deadLetterQueueName: INTAKE_DLQ_NAME, deadLetterQueueUrl: INTAKE_DLQ, sourceQueueUrl: INTAKE_QUEUE },
  ]),
  [HANDLER_ENV.HOLDING_QUEUE_URL]: HOLDING_QUEUE,
  [HANDLER_ENV.VERIFICATION_FAILURES_QUEUE_URL]: FAILURES_QUEUE,
  [HANDLER_ENV.VERIFIER_FUNCTION]: VERIFIER,
  [HANDLER_ENV.IDEMPOTENCY_TABLE]: TABLE,
  [HANDLER_ENV.OPERATIONS_TOPIC_ARN]: TOPIC,
  [HANDLER_ENV.ENV_NAME]: 'test',
  [HANDLER_ENV.BACKUP_SOURCES]: JSON.stringify([{ name: 'main-db', format: 'pg-dump' }]),
  AWS_REGION: 'eu-west-1',
  AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
  AWS_SECRET_ACCESS_KEY: 'secret',
  POWERTOOLS_LOG_LEVEL: 'SILENT',
  // What StowageFunction sets (lib/constructs/stowage-function.ts).
  POWERTOOLS_SERVICE_NAME: HANDLER_SERVICES.operations,
  POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
};

const savedEnv = process.env;

/** Loads the adapter afresh (a cold start) with `env`, with the AWS clients of that module registry mocked. */
async function coldStart(env: Record<string, string | undefined>): Promise<ColdStart> {
  process.env = { ...savedEnv, ...env };
  let loaded: ColdStart | undefined;
  await jest.isolateModulesAsync(async () => {
    const { mockClient } = await import('aws-sdk-client-mock');
    const sqs: typeof Sqs = await import('@aws-sdk/client-sqs');
    const sns: typeof Sns = await import('@aws-sdk/client-sns');
    const dynamo: typeof DynamoDb = await import('@aws-sdk/client-dynamodb');
    const cloudwatch: typeof CloudWatch = await import('@aws-sdk/client-cloudwatch');
    const sqsMock = mockClient(sqs.SQSClient);
    const snsMock = mockClient(sns.SNSClient);
    const dynamoMock = mockClient(dynamo.DynamoDBClient);
    const cloudwatchMock = mockClient(cloudwatch.CloudWatchClient);
    snsMock.on(sns.PublishCommand).resolves({ MessageId: 'sns-1' });
    cloudwatchMock.on(cloudwatch.SetAlarmStateCommand).resolves({});
    const { handler } = await import('../../../lambda/operations/index');
    loaded = {
      handler,
      sqs: new FakeSqs(sqsMock, sqs),
      table: new FakeIdempotencyTable(dynamoMock, dynamo),
      snsMock,
      sns,
      cloudwatchMock,
      cloudwatch,
    };
  });
  return loaded as ColdStart;
}

afterEach(() => {
  process.env = savedEnv;
  jest.restoreAllMocks();
});

describe('operations handler adapter', () => {
  it('wires the env, the clients, the DynamoDB transition store and Stowage metrics at cold start', async () => {
    // Arrange
    const output: string[] = [];
    jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      output.push(String(chunk));
      return true;
    });
    const { handler, sqs, table, snsMock, sns } = await coldStart(ENV);
    sqs.put(INTAKE_DLQ, 'a');

    // Act
    const result = await handler(alarmEvent(), lambdaContext());

    // Assert
    expect(result).toMatchObject({
      status: 'handled',
      acted: true,
      outcome: { kind: 'redrive', redriven: 1 },
    });
    expect(sqs.bodies(INTAKE_QUEUE)).toEqual(['a']);
    expect([...table.tableNames]).toEqual([TABLE]);
    expect(snsMock.commandCalls(sns.PublishCommand)[0]!.args[0].input.TopicArn).toBe(TOPIC);
    const emf = output
      .flatMap((line) => line.split('\n'))
      .filter((line) => line.includes('"_aws"'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(emf).toHaveLength(1);
    expect(emf[0]).toMatchObject({
      _aws: { CloudWatchMetrics: [{ Namespace: 'Stowage', Dimensions: [['service', 'env']] }] },
      service: 'operations',
      env: 'test',
      MessagesRedriven: 1,
    });
  });

  it('sets the alarm to OK through its CloudWatch client when a run stops at STOWAGE_REDRIVE_MAX_MESSAGES', async () => {
    // Arrange
    jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const { handler, sqs, cloudwatchMock, cloudwatch } = await coldStart({
      ...ENV,
      [HANDLER_ENV.REDRIVE_MAX_MESSAGES]: '1',
    });
    sqs.put(INTAKE_DLQ, 'a');
    sqs.put(INTAKE_DLQ, 'b');

    // Act
    const result = await handler(alarmEvent(), lambdaContext());

    // Assert
    expect(result).toMatchObject({ outcome: { redriven: 1, rearm: { remaining: 1, status: 'rearmed' } } });
    expect(
      cloudwatchMock
        .commandCalls(cloudwatch.SetAlarmStateCommand)
        .map((call) => call.args[0].input.AlarmName),
    ).toEqual([DLQ_ALARM]);
  });

  it('refuses to start with an invalid environment, naming the variables', async () => {
    // Act
    const start = coldStart({ ...ENV, [HANDLER_ENV.HOLDING_QUEUE_URL]: undefined });

    // Assert
    await expect(start).rejects.toThrow(
      'invalid environment for the operations handler: STOWAGE_HOLDING_QUEUE_URL:',
    );
  });
});
