import { CloudWatchClient, SetAlarmStateCommand } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { IdempotencyAlreadyInProgressError } from '@aws-lambda-powertools/idempotency';
import { mockClient } from 'aws-sdk-client-mock';

import {
  createOperationsHandler,
  OperationsReportError,
} from '../../../lambda/operations/operations-handler';
import { LISTED_MAX } from '../../../lambda/operations/operation-outcome';
import { createTransitionStore } from '../../../lambda/operations/operations-idempotency';
import type { OperationsHandlerConfig } from '../../../lambda/operations/operations-config';
import { InvalidEventError } from '../../../core/events/invalid-event-error';
import {
  alarmEvent,
  DLQ_ALARM,
  ENV,
  FAILURES_ALARM,
  FAILURES_QUEUE,
  FAILURES_QUEUE_NAME,
  FakeIdempotencyTable,
  FakeSqs,
  HOLDING_QUEUE,
  INTAKE_DLQ,
  INTAKE_DLQ_NAME,
  INTAKE_QUEUE,
  invokePayload,
  lambdaContext,
  recordingLogger,
  recordingMetrics,
  sentPayload,
  TABLE,
  TOPIC,
  verificationReport,
  VERIFIER,
} from './operations-fixtures';

const sqsMock = mockClient(SQSClient);
const lambdaMock = mockClient(LambdaClient);
const snsMock = mockClient(SNSClient);
const dynamoMock = mockClient(DynamoDBClient);
const cloudwatchMock = mockClient(CloudWatchClient);

/** The handler's clock: a few seconds after the alarm transitions of the fixtures. */
const NOW = Date.parse('2026-11-23T05:00:05.000Z');

const CONFIG: Omit<OperationsHandlerConfig, 'idempotencyTable'> = {
  routes: [
    { deadLetterQueueName: INTAKE_DLQ_NAME, deadLetterQueueUrl: INTAKE_DLQ, sourceQueueUrl: INTAKE_QUEUE },
  ],
  holdingQueueUrl: HOLDING_QUEUE,
  verificationFailuresQueue: { name: FAILURES_QUEUE_NAME, url: FAILURES_QUEUE },
  redriveMaxMessages: 100,
  poisonMaxRedrives: 3,
  verifierFunction: VERIFIER,
  operationsTopicArn: TOPIC,
  envName: ENV,
  backupSources: [
    { name: 'main-db', format: 'pg-dump', maxAgeHours: 26, minBytes: 1, maxDropPercent: 50 },
    { name: 'server-files', format: 'tar-gz', maxAgeHours: 26, minBytes: 1, maxDropPercent: 50 },
  ],
};

let sqs: FakeSqs;
let table: FakeIdempotencyTable;

/** A handler as the adapter builds it, on the shared fake table (a new one = a cold start). */
function build(config: Partial<typeof CONFIG> = {}) {
  const logger = recordingLogger();
  const metrics = recordingMetrics();
  const handler = createOperationsHandler({
    sqs: new SQSClient({ region: 'eu-west-1' }),
    lambda: new LambdaClient({ region: 'eu-west-1' }),
    sns: new SNSClient({ region: 'eu-west-1' }),
    cloudwatch: new CloudWatchClient({ region: 'eu-west-1' }),
    persistenceStore: createTransitionStore(TABLE, new DynamoDBClient({ region: 'eu-west-1' })),
    config: { ...CONFIG, ...config },
    logger,
    metrics,
    now: () => NOW,
  });
  const run = (event: unknown) => handler(event, lambdaContext());
  return { run, logger, metrics };
}

function published() {
  return snsMock.commandCalls(PublishCommand).map((call) => call.args[0].input);
}

function sentEntries(queueUrl: string) {
  return sqsMock
    .commandCalls(SendMessageBatchCommand)
    .filter((call) => call.args[0].input.QueueUrl === queueUrl)
    .flatMap((call) => call.args[0].input.Entries ?? []);
}

beforeEach(() => {
  sqsMock.reset();
  lambdaMock.reset();
  snsMock.reset();
  dynamoMock.reset();
  cloudwatchMock.reset();
  sqs = new FakeSqs(sqsMock);
  table = new FakeIdempotencyTable(dynamoMock);
  snsMock.on(PublishCommand).resolves({ MessageId: 'sns-1' });
  cloudwatchMock.on(SetAlarmStateCommand).resolves({});
});

function alarmStatesSet() {
  return cloudwatchMock.commandCalls(SetAlarmStateCommand).map((call) => call.args[0].input);
}

describe('operations handler: DLQ alarm', () => {
  it('redrives every message to its source queue with body and attributes kept and the count raised, then reports', async () => {
    // Arrange
    sqs.put(INTAKE_DLQ, '{"n":1}');
    sqs.put(INTAKE_DLQ, '{"n":2}', {
      'stowage-redrive-count': { DataType: 'Number', StringValue: '1' },
      traceparent: { DataType: 'String', StringValue: '00-abc-def-01' },
    });
    sqs.put(INTAKE_DLQ, '{"n":3}', { checksum: { DataType: 'Binary', BinaryValue: Buffer.from([1, 2, 3]) } });
    const { run, metrics, logger } = build();

    // Act
    const result = await run(alarmEvent());

    // Assert
    expect(result).toMatchObject({
      status: 'handled',
      acted: true,
      outcome: { kind: 'redrive', redriven: 3 },
    });
    expect(sqs.queue(INTAKE_DLQ)).toHaveLength(0);
    const source = sqs.queue(INTAKE_QUEUE);
    expect(source.map((message) => [message.body, message.attributes])).toEqual([
      ['{"n":1}', { 'stowage-redrive-count': { DataType: 'Number', StringValue: '1' } }],
      [
        '{"n":2}',
        {
          traceparent: { DataType: 'String', StringValue: '00-abc-def-01' },
          'stowage-redrive-count': { DataType: 'Number', StringValue: '2' },
        },
      ],
      [
        '{"n":3}',
        {
          checksum: { DataType: 'Binary', BinaryValue: Buffer.from([1, 2, 3]) },
          'stowage-redrive-count': { DataType: 'Number', StringValue: '1' },
        },
      ],
    ]);
    const receive = sqsMock.commandCalls(ReceiveMessageCommand)[0]!.args[0].input;
    expect(receive).toMatchObject({
      QueueUrl: INTAKE_DLQ,
      MaxNumberOfMessages: 10,
      MessageAttributeNames: ['All'],
      MessageSystemAttributeNames: ['ApproximateReceiveCount'],
    });
    expect(published()).toEqual([
      {
        TopicArn: TOPIC,
        Subject: `Stowage test: redrove 3, parked 0 from ${INTAKE_DLQ_NAME}`,
        Message: [
          `Alarm ${DLQ_ALARM} went from OK to ALARM at 2026-11-23T05:00:00.123Z.`,
          'Reason: Threshold Crossed: 1 out of the last 1 datapoints [3.0 (23/11/26 04:59:00)] was greater than or equal to the threshold (1.0).',
          'Description: Messages in a dead-letter queue',
          `Watches: AWS/SQS ApproximateNumberOfMessagesVisible (QueueName=${INTAKE_DLQ_NAME})`,
          '',
          `Redrive of dead-letter queue ${INTAKE_DLQ_NAME} (at most 100 messages per run):`,
          '  received:  3',
          `  redriven:  3, to ${INTAKE_QUEUE}`,
          '  parked:    0',
          '  failures:  none',
        ].join('\n'),
      },
    ]);
    expect(metrics.totals).toEqual({ MessagesRedriven: 3 });
    expect(logger.entries.find((entry) => entry.message === 'redrove messages')?.attributes).toMatchObject({
      deadLetterQueue: INTAKE_DLQ_NAME,
      messages: [
        { messageId: 'msg-1', redriveCount: 1 },
        { messageId: 'msg-2', redriveCount: 2 },
        { messageId: 'msg-3', redriveCount: 1 },
      ],
    });
  });

  it('deletes a message from the DLQ only after its send succeeded', async () => {
    // Arrange
    sqs.put(INTAKE_DLQ, 'a');
    const { run } = build();

    // Act
    await run(alarmEvent());

    // Assert
    const order = sqsMock
      .calls()
      .map((call) => (call.args[0] as { constructor: { name: string } }).constructor.name);
    expect(order).toEqual([
      'ReceiveMessageCommand',
      'SendMessageBatchCommand',
      'DeleteMessageBatchCommand',
      'ReceiveMessageCommand',
      'GetQueueAttributesCommand',
    ]);
    expect(sqsMock.commandCalls(DeleteMessageBatchCommand)[0]!.args[0].input).toEqual({
      QueueUrl: INTAKE_DLQ,
      Entries: [{ Id: 'd0', ReceiptHandle: 'rh-msg-1-1' }],
    });
  });

  it('parks a message that reached the redrive limit in the holding queue and reports its id', async () => {
    // Arrange
    sqs.put(INTAKE_DLQ, 'healthy', { 'stowage-redrive-count': { DataType: 'Number', StringValue: '2' } });
    sqs.put(INTAKE_DLQ, 'poison', {
      'stowage-redrive-count': { DataType: 'Number', StringValue: '3' },
      tenant: { DataType: 'String', StringValue: 't1' },
    });
    const { run, metrics, logger } = build();

    // Act
    const result = await run(alarmEvent());

    // Assert
    expect(sqs.bodies(INTAKE_QUEUE)).toEqual(['healthy']);
    expect(sqs.queue(HOLDING_QUEUE).map((message) => [message.body, message.attributes])).toEqual([
      [
        'poison',
        {
          tenant: { DataType: 'String', StringValue: 't1' },
          'stowage-redrive-count': { DataType: 'Number', StringValue: '3' },
          'stowage-dead-letter-queue': { DataType: 'String', StringValue: INTAKE_DLQ_NAME },
          'stowage-source-queue': { DataType: 'String', StringValue: INTAKE_QUEUE },
          'stowage-alarm': { DataType: 'String', StringValue: DLQ_ALARM },
          'stowage-parked-reason': { DataType: 'String', StringValue: 'already redriven 3 times (limit 3)' },
        },
      ],
    ]);
    expect(sqs.queue(INTAKE_DLQ)).toHaveLength(0);
    const holdingId = sqs.queue(HOLDING_QUEUE)[0]!.messageId;
    expect(result).toMatchObject({
      outcome: {
        redriven: 1,
        parked: [
          {
            messageId: 'msg-2',
            holdingMessageId: holdingId,
            redriveCount: 3,
            reason: 'already redriven 3 times (limit 3)',
            receiveCount: 1,
          },
        ],
      },
    });
    const [report] = published();
    expect(report!.Subject).toBe(`Stowage test: redrove 1, parked 1 from ${INTAKE_DLQ_NAME}`);
    expect(report!.Message).toContain(
      [
        `  parked:    1, in ${HOLDING_QUEUE}`,
        `    - msg-2 (holding queue id ${holdingId}): already redriven 3 times (limit 3); DLQ receive count 1`,
      ].join('\n'),
    );
    expect(metrics.totals).toEqual({ MessagesRedriven: 1, MessagesParked: 1 });
    expect(logger.entries).toContainEqual(
      expect.objectContaining({ level: 'warn', message: 'parked a poison message in the holding queue' }),
    );
  });

  it('never loops a message: a message whose consumer keeps failing is redriven 3 times, then parked', async () => {
    // Arrange
    sqs.put(INTAKE_DLQ, 'always fails');
    const { run } = build();

    // Act: four alarm transitions; after each redrive the consumer fails the message back into the DLQ.
    for (let transition = 0; transition < 4; transition += 1) {
      await run(alarmEvent({ timestamp: `2026-11-23T0${transition}:00:00.000+0000` }));
      sqs.deadLetter(INTAKE_QUEUE, INTAKE_DLQ);
    }

    // Assert
    expect(
      sentEntries(INTAKE_QUEUE).map(
        (entry) => entry.MessageAttributes!['stowage-redrive-count']!.StringValue,
      ),
    ).toEqual(['1', '2', '3']);
    expect(sqs.bodies(HOLDING_QUEUE)).toEqual(['always fails']);
    expect(sqs.queue(HOLDING_QUEUE)[0]!.attributes['stowage-redrive-count']).toEqual({
      DataType: 'Number',
      StringValue: '3',
    });
    expect(sqs.queue(INTAKE_DLQ)).toHaveLength(0);
  });

  it('moves at most REDRIVE_MAX_MESSAGES per run, then sets its alarm to OK so that the next run follows by itself', async () => {
    // Arrange
    for (let index = 0; index < 25; index += 1) sqs.put(INTAKE_DLQ, `m${index}`);
    const { run, metrics } = build({ redriveMaxMessages: 12 });

    // Act
    const result = await run(alarmEvent());

    // Assert
    expect(
      sqsMock.commandCalls(ReceiveMessageCommand).map((call) => call.args[0].input.MaxNumberOfMessages),
    ).toEqual([10, 2]);
    expect(sqs.queue(INTAKE_QUEUE)).toHaveLength(12);
    expect(sqs.queue(INTAKE_DLQ)).toHaveLength(13);
    expect(sentEntries(INTAKE_QUEUE).length).toBe(12);
    expect(
      sqsMock.commandCalls(SendMessageBatchCommand).every((call) => call.args[0].input.Entries!.length <= 10),
    ).toBe(true);
    expect(sqsMock.commandCalls(GetQueueAttributesCommand).map((call) => call.args[0].input)).toEqual([
      { QueueUrl: INTAKE_DLQ, AttributeNames: ['ApproximateNumberOfMessages'] },
    ]);
    const reason =
      `Set to OK by the Stowage operations handler: the redrive of ${INTAKE_DLQ_NAME} for the ALARM transition at ` +
      `2026-11-23T05:00:00.123Z stopped at its limit of 12 messages, with 13 message(s) left in ${INTAKE_DLQ_NAME}. ` +
      'The next evaluation raises the alarm again and starts another run.';
    expect(alarmStatesSet()).toEqual([{ AlarmName: DLQ_ALARM, StateValue: 'OK', StateReason: reason }]);
    expect(result).toMatchObject({
      outcome: {
        received: 12,
        redriven: 12,
        limitReached: true,
        rearm: { alarmName: DLQ_ALARM, remaining: 13, status: 'rearmed', reason },
      },
    });
    expect(published()[0]!.Message).toContain(
      [
        'The run stopped at its limit of 12 messages.',
        `13 message(s) remain in ${INTAKE_DLQ_NAME}: alarm ${DLQ_ALARM} was set to OK, so its next`,
        'evaluation raises it again and starts another run.',
      ].join('\n'),
    );
    expect(metrics.totals).toEqual({ MessagesRedriven: 12, AlarmsRearmed: 1 });
  });

  it('leaves the alarm alone when the run reached its limit but nothing is left in the DLQ', async () => {
    // Arrange
    for (let index = 0; index < 12; index += 1) sqs.put(INTAKE_DLQ, `m${index}`);
    const { run, metrics } = build({ redriveMaxMessages: 12 });

    // Act
    const result = await run(alarmEvent());

    // Assert
    expect(sqs.queue(INTAKE_DLQ)).toHaveLength(0);
    expect(sqsMock.commandCalls(GetQueueAttributesCommand)).toHaveLength(1);
    expect(cloudwatchMock.calls()).toHaveLength(0);
    expect(result).toMatchObject({
      outcome: { limitReached: true, rearm: { remaining: 0, status: 'not-needed' } },
    });
    expect(published()[0]!.Message).toContain(
      `Nothing remains in ${INTAKE_DLQ_NAME}: the alarm clears by itself.`,
    );
    expect(metrics.totals).toEqual({ MessagesRedriven: 12 });
  });

  it('never re-arms for parked messages: they left the DLQ for the holding queue', async () => {
    // Arrange: the run reaches its limit only by parking poison messages, and empties the DLQ.
    const poison = { 'stowage-redrive-count': { DataType: 'Number', StringValue: '3' } };
    for (let index = 0; index < 12; index += 1) sqs.put(INTAKE_DLQ, `p${index}`, poison);
    const { run } = build({ redriveMaxMessages: 12 });

    // Act
    const result = await run(alarmEvent());

    // Assert
    expect(sqs.queue(HOLDING_QUEUE)).toHaveLength(12);
    expect(result).toMatchObject({ outcome: { parkedCount: 12, limitReached: true } });
    expect(cloudwatchMock.calls()).toHaveLength(0);
  });

  it('reads the DLQ depth after a run that emptied the DLQ below its limit, and leaves the alarm alone', async () => {
    // Arrange
    sqs.put(INTAKE_DLQ, 'a');
    sqs.put(INTAKE_DLQ, 'b', { 'stowage-redrive-count': { DataType: 'Number', StringValue: '3' } });
    const { run } = build({ redriveMaxMessages: 12 });

    // Act
    const result = await run(alarmEvent());

    // Assert
    expect(result).toMatchObject({
      outcome: { redriven: 1, parkedCount: 1, limitReached: false, rearm: { remaining: 0 } },
    });
    expect(sqsMock.commandCalls(GetQueueAttributesCommand)).toHaveLength(1);
    expect(cloudwatchMock.calls()).toHaveLength(0);
  });

  it('re-arms the alarm when messages arrived in the DLQ while a run below its limit emptied it', async () => {
    // Arrange: the depth read after the run sees two new dead letters.
    sqs.put(INTAKE_DLQ, 'a');
    const { run } = build({ redriveMaxMessages: 12 });
    sqsMock.on(GetQueueAttributesCommand).resolves({ Attributes: { ApproximateNumberOfMessages: '2' } });

    // Act
    const result = await run(alarmEvent());

    // Assert
    expect(result).toMatchObject({
      outcome: { redriven: 1, limitReached: false, rearm: { remaining: 2, status: 'rearmed' } },
    });
    expect(alarmStatesSet()).toHaveLength(1);
    expect(alarmStatesSet()[0]).toMatchObject({
      StateValue: 'OK',
      StateReason: expect.stringContaining('found messages that arrived in the DLQ while it ran'),
    });
  });

  it('reports a failed SetAlarmState and throws without undoing the redrive; the retry moves the next batch and re-arms', async () => {
    // Arrange
    for (let index = 0; index < 25; index += 1) sqs.put(INTAKE_DLQ, `m${index}`);
    cloudwatchMock
      .on(SetAlarmStateCommand)
      .rejectsOnce(Object.assign(new Error('not authorized to set alarm state'), { name: 'AccessDenied' }))
      .resolves({});
    const { run, metrics } = build({ redriveMaxMessages: 12 });

    // Act
    const first = run(alarmEvent());

    // Assert: the 12 moved messages stay moved; the failure is reported with them; no record, so Lambda retries.
    await expect(first).rejects.toThrow(
      `the redrive of ${INTAKE_DLQ_NAME} for the ALARM transition at 2026-11-23T05:00:00.123Z completed, but ` +
        `re-arming alarm ${DLQ_ALARM} failed: SetAlarmState failed: AccessDenied: not authorized to set alarm state`,
    );
    expect(sqs.queue(INTAKE_QUEUE)).toHaveLength(12);
    expect(sqs.queue(INTAKE_DLQ)).toHaveLength(13);
    const [failure] = published();
    expect(failure!.Subject).toBe(`Stowage test: operations FAILED for ${DLQ_ALARM}`);
    expect(failure!.Message).toContain(`  redriven:  12, to ${INTAKE_QUEUE}`);
    expect(failure!.Message).toContain(
      [
        `13 message(s) remain in ${INTAKE_DLQ_NAME}, and re-arming alarm ${DLQ_ALARM} FAILED: SetAlarmState failed: AccessDenied: not authorized to set alarm state.`,
        'Until it is set to OK it stays in ALARM and starts no further run. If the retries fail too:',
        `  aws cloudwatch set-alarm-state --alarm-name ${DLQ_ALARM} --state-value OK --state-reason "start another run"`,
      ].join('\n'),
    );
    expect(metrics.totals).toEqual({ MessagesRedriven: 12, OperationsFailures: 1 });
    expect(table.items.size).toBe(0);

    // Act: Lambda's retry of the same transition.
    const retry = await run(alarmEvent());

    // Assert
    expect(retry).toMatchObject({
      acted: true,
      outcome: { redriven: 12, rearm: { remaining: 1, status: 'rearmed' } },
    });
    expect(sqs.queue(INTAKE_QUEUE)).toHaveLength(24);
    expect(sqs.queue(INTAKE_DLQ)).toHaveLength(1);
    expect(alarmStatesSet()).toHaveLength(2);
  });

  it('reports and throws when the DLQ depth cannot be read after a run that reached its limit', async () => {
    // Arrange
    for (let index = 0; index < 3; index += 1) sqs.put(INTAKE_DLQ, `m${index}`);
    sqs.faults.attributesFail = true;
    const { run } = build({ redriveMaxMessages: 2 });

    // Act
    const result = run(alarmEvent());

    // Assert
    await expect(result).rejects.toThrow(
      `re-arming alarm ${DLQ_ALARM} failed: reading the depth of ${INTAKE_DLQ_NAME} failed: AccessDenied: not authorized to get queue attributes`,
    );
    expect(sqs.bodies(INTAKE_QUEUE)).toEqual(['m0', 'm1']);
    expect(cloudwatchMock.calls()).toHaveLength(0);
    expect(published()[0]!.Message).toContain(
      `Messages may remain in ${INTAKE_DLQ_NAME}, and re-arming alarm ${DLQ_ALARM} FAILED: reading the depth`,
    );
  });

  it('counts every parked message but lists at most 500, so the outcome fits its idempotency record', async () => {
    // Arrange
    const poison = { 'stowage-redrive-count': { DataType: 'Number', StringValue: '3' } };
    for (let index = 0; index < LISTED_MAX + 20; index += 1) sqs.put(INTAKE_DLQ, `p${index}`, poison);
    const { run, metrics } = build({ redriveMaxMessages: 1000 });

    // Act
    const result = await run(alarmEvent());

    // Assert
    expect(sqs.queue(HOLDING_QUEUE)).toHaveLength(LISTED_MAX + 20);
    expect(sqs.queue(INTAKE_DLQ)).toHaveLength(0);
    expect(result).toMatchObject({ outcome: { parkedCount: LISTED_MAX + 20, limitReached: false } });
    expect(
      result.status === 'handled' && result.outcome.kind === 'redrive' && result.outcome.parked.length,
    ).toBe(LISTED_MAX);
    const [report] = published();
    expect(report!.Subject).toBe(
      `Stowage test: redrove 0, parked ${LISTED_MAX + 20} from ${INTAKE_DLQ_NAME}`,
    );
    expect(report!.Message).toContain("    ... and 20 more (each is in the handler's log)");
    expect(table.statuses()).toEqual(['COMPLETED', 'COMPLETED']);
    expect(metrics.totals).toEqual({ MessagesParked: LISTED_MAX + 20 });
  });

  it('leaves every message in the DLQ when the send to the source queue fails, reports it and throws; the retry redrives them', async () => {
    // Arrange
    sqs.put(INTAKE_DLQ, 'a');
    sqs.put(INTAKE_DLQ, 'b');
    sqs.faults.sendFails = new Set([INTAKE_QUEUE]);
    const { run, metrics } = build();

    // Act
    const first = run(alarmEvent());

    // Assert: nothing deleted, nothing lost, the failure reported, no record kept so the retry acts.
    await expect(first).rejects.toThrow(
      `redrive of ${INTAKE_DLQ_NAME} did not complete: 2 failure(s), first: KMS.AccessDeniedException: kms:GenerateDataKey denied`,
    );
    expect(sqsMock.commandCalls(DeleteMessageBatchCommand)).toHaveLength(0);
    expect(sqs.bodies(INTAKE_DLQ)).toEqual(['a', 'b']);
    expect(sqs.queue(INTAKE_QUEUE)).toHaveLength(0);
    const [report] = published();
    expect(report!.Subject).toBe(`Stowage test: operations FAILED for ${DLQ_ALARM}`);
    expect(report!.Message).toContain(
      `FAILED: OperationFailedError: redrive of ${INTAKE_DLQ_NAME} did not complete: 2 failure(s)`,
    );
    expect(report!.Message).toContain(
      '    - send msg-1: KMS.AccessDeniedException: kms:GenerateDataKey denied',
    );
    expect(report!.Message).toContain(
      '    - send msg-2: KMS.AccessDeniedException: kms:GenerateDataKey denied',
    );
    expect(metrics.totals).toEqual({ OperationsFailures: 1 });
    expect(table.items.size).toBe(0);

    // Act: Lambda's retry, once the key policy is fixed and the messages are visible again.
    sqs.faults.sendFails = undefined;
    sqs.expireVisibility(INTAKE_DLQ);
    const retry = await run(alarmEvent());

    // Assert
    expect(retry).toMatchObject({ acted: true, outcome: { redriven: 2 } });
    expect(sqs.bodies(INTAKE_QUEUE)).toEqual(['a', 'b']);
    expect(sqs.queue(INTAKE_DLQ)).toHaveLength(0);
  });

  it('deletes only the entries a batch send accepted when some of them fail, and reports the others', async () => {
    // Arrange
    sqs.put(INTAKE_DLQ, 'one');
    sqs.put(INTAKE_DLQ, 'two');
    sqs.put(INTAKE_DLQ, 'three');
    sqs.faults.failBodies = new Set(['two']);
    const { run, metrics } = build();

    // Act
    const result = run(alarmEvent());

    // Assert
    await expect(result).rejects.toThrow(/1 failure\(s\), first: InternalError: try again/);
    expect(sqs.bodies(INTAKE_QUEUE)).toEqual(['one', 'three']);
    expect(sqs.bodies(INTAKE_DLQ)).toEqual(['two']);
    expect(
      sqsMock.commandCalls(DeleteMessageBatchCommand).flatMap((call) => call.args[0].input.Entries!),
    ).toEqual([
      { Id: 'd0', ReceiptHandle: 'rh-msg-1-1' },
      { Id: 'd1', ReceiptHandle: 'rh-msg-3-1' },
    ]);
    const message = published()[0]!.Message!;
    expect(message).toContain(`  redriven:  2, to ${INTAKE_QUEUE}`);
    expect(message).toContain('  failures:  1\n    - send msg-2: InternalError: try again');
    expect(metrics.totals).toEqual({ MessagesRedriven: 2, OperationsFailures: 1 });
  });

  it('does not handle a message twice in one run when it reappears after a failed send', async () => {
    // Arrange: the DLQ's visibility timeout is shorter than the run, so a message left behind is received again.
    sqs.put(INTAKE_DLQ, 'stuck');
    sqs.put(INTAKE_DLQ, 'fine');
    sqs.faults.failBodies = new Set(['stuck']);
    sqs.faults.zeroVisibilityTimeout = true;
    const { run } = build();

    // Act
    await expect(run(alarmEvent())).rejects.toThrow(/1 failure\(s\)/);

    // Assert
    expect(sentEntries(INTAKE_QUEUE).map((entry) => entry.MessageBody)).toEqual(['stuck', 'fine']);
    expect(sqs.bodies(INTAKE_DLQ)).toEqual(['stuck']);
    expect(sqsMock.commandCalls(ReceiveMessageCommand)).toHaveLength(2);
  });

  it('keeps a message that was sent but could not be deleted (it may be delivered twice, never lost)', async () => {
    // Arrange
    sqs.put(INTAKE_DLQ, 'x');
    sqs.faults.deleteFails = true;
    const { run } = build();

    // Act
    await expect(run(alarmEvent())).rejects.toThrow(/ServiceUnavailable: try later/);

    // Assert
    expect(sqs.bodies(INTAKE_QUEUE)).toEqual(['x']);
    expect(sqs.bodies(INTAKE_DLQ)).toEqual(['x']);
    expect(published()[0]!.Message).toContain(
      '    - delete msg-1: ServiceUnavailable: try later (already sent: it may be delivered twice)',
    );
  });

  it('reports a per-entry delete failure the same way', async () => {
    // Arrange
    sqs.put(INTAKE_DLQ, 'x');
    sqs.put(INTAKE_DLQ, 'y');
    sqs.faults.failDeleteBodies = new Set(['y']);
    const { run } = build();

    // Act
    await expect(run(alarmEvent())).rejects.toThrow(/ReceiptHandleIsInvalid/);

    // Assert
    expect(sqs.bodies(INTAKE_QUEUE)).toEqual(['x', 'y']);
    expect(sqs.bodies(INTAKE_DLQ)).toEqual(['y']);
  });

  it('reports and throws when the DLQ cannot be read, sending and deleting nothing', async () => {
    // Arrange
    sqs.put(INTAKE_DLQ, 'x');
    sqs.faults.receiveFails = new Set([INTAKE_DLQ]);
    const { run, metrics } = build();

    // Act
    await expect(run(alarmEvent())).rejects.toThrow(/AccessDenied: not authorized to receive/);

    // Assert
    expect(sqsMock.commandCalls(SendMessageBatchCommand)).toHaveLength(0);
    expect(sqsMock.commandCalls(DeleteMessageBatchCommand)).toHaveLength(0);
    expect(sqs.bodies(INTAKE_DLQ)).toEqual(['x']);
    expect(published()[0]!.Message).toContain('    - receive: AccessDenied: not authorized to receive');
    expect(metrics.totals).toEqual({ OperationsFailures: 1 });
  });

  it('throws both errors when the failure cannot be reported either', async () => {
    // Arrange
    sqs.put(INTAKE_DLQ, 'x');
    sqs.faults.sendFails = new Set([INTAKE_QUEUE]);
    snsMock.on(PublishCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'Throttling' }));
    const { run, metrics } = build();

    // Act
    const result = run(alarmEvent());

    // Assert
    await expect(result).rejects.toThrow(AggregateError);
    await expect(result).rejects.toThrow(
      /alarm action failed \(OperationFailedError: .*\) and reporting it failed \(Throttling: Rate exceeded\)/,
    );
    expect(sqs.bodies(INTAKE_DLQ)).toEqual(['x']);
    expect(metrics.totals).toEqual({ OperationsFailures: 2 });
  });
});

describe('operations handler: idempotency per alarm transition', () => {
  it('does nothing the second time the same transition arrives, even after a cold start', async () => {
    // Arrange
    sqs.put(INTAKE_DLQ, 'first');
    const first = build();
    await first.run(alarmEvent());
    sqs.put(INTAKE_DLQ, 'arrived later');
    sqsMock.resetHistory();
    snsMock.resetHistory();

    // Act
    const again = await first.run(alarmEvent());
    const afterColdStart = await build().run(alarmEvent());

    // Assert
    expect(again).toMatchObject({
      status: 'handled',
      acted: false,
      outcome: { kind: 'redrive', redriven: 1 },
    });
    expect(afterColdStart).toMatchObject({ acted: false, outcome: { redriven: 1 } });
    expect(sqsMock.calls()).toHaveLength(0);
    expect(snsMock.calls()).toHaveLength(0);
    expect(sqs.bodies(INTAKE_DLQ)).toEqual(['arrived later']);
    expect(first.metrics.totals).toEqual({ MessagesRedriven: 1 });
  });

  it('keeps the records in the table the Operations stack creates: key id, TTL expiration, 48 hours', async () => {
    // Arrange
    const { run } = build();
    const before = Math.floor(Date.now() / 1000);

    // Act
    await run(alarmEvent());

    // Assert
    expect([...table.tableNames]).toEqual([TABLE]);
    expect(table.statuses()).toEqual(['COMPLETED', 'COMPLETED']);
    for (const [id, item] of table.items) {
      expect(id).toMatch(/^stowage-operations#/);
      expect(item['id']).toEqual({ S: id });
      const expiration = Number(item['expiration']!.N);
      expect(expiration).toBeGreaterThanOrEqual(before + 48 * 3600);
      expect(expiration).toBeLessThanOrEqual(before + 48 * 3600 + 5);
    }
  });

  it('acts again on a new transition of the same alarm', async () => {
    // Arrange
    sqs.put(INTAKE_DLQ, 'one');
    const { run } = build();
    await run(alarmEvent());
    sqs.put(INTAKE_DLQ, 'two');

    // Act
    const result = await run(alarmEvent({ timestamp: '2026-11-23T09:00:00.000+0000' }));

    // Assert
    expect(result).toMatchObject({ acted: true, outcome: { redriven: 1 } });
    expect(sqs.bodies(INTAKE_QUEUE)).toEqual(['one', 'two']);
    expect(published()).toHaveLength(2);
  });

  it('throws when SNS fails after the redrive; the retry reports the stored outcome without redriving again', async () => {
    // Arrange
    sqs.put(INTAKE_DLQ, 'a');
    sqs.put(INTAKE_DLQ, 'b');
    snsMock
      .on(PublishCommand)
      .rejectsOnce(Object.assign(new Error('Rate exceeded'), { name: 'Throttling' }))
      .resolves({ MessageId: 'sns-2' });
    const { run, metrics } = build();

    // Act
    const first = run(alarmEvent());

    // Assert
    await expect(first).rejects.toThrow(OperationsReportError);
    await expect(first).rejects.toThrow(
      `reporting ${DLQ_ALARM} to SNS failed after its actions completed: Throttling: Rate exceeded`,
    );
    expect(sqs.bodies(INTAKE_QUEUE)).toEqual(['a', 'b']);
    expect(metrics.totals).toEqual({ MessagesRedriven: 2, OperationsFailures: 1 });

    // Arrange: a message arrives in the DLQ before Lambda retries. (SNS history is kept: resetting it would
    // re-arm rejectsOnce.)
    sqs.put(INTAKE_DLQ, 'new');
    sqsMock.resetHistory();

    // Act
    const retry = await run(alarmEvent());

    // Assert: the same outcome is reported once; the DLQ is not touched.
    expect(retry).toMatchObject({ acted: false, outcome: { redriven: 2 } });
    expect(sqsMock.calls()).toHaveLength(0);
    expect(published()).toHaveLength(2);
    expect(published()[1]!.Subject).toBe(`Stowage test: redrove 2, parked 0 from ${INTAKE_DLQ_NAME}`);
    expect(published()[1]!.Message).toBe(published()[0]!.Message);
    expect(sqs.bodies(INTAKE_DLQ)).toEqual(['new']);

    // Act: one more repeat publishes nothing.
    await run(alarmEvent());

    // Assert
    expect(published()).toHaveLength(2);
    expect(sqsMock.calls()).toHaveLength(0);
  });

  it('refuses a repeat that arrives while the first delivery is still acting, without reporting a failure', async () => {
    // Arrange: the first delivery's receive is held until the second one has been refused.
    sqs.put(INTAKE_DLQ, 'a');
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    sqsMock.on(ReceiveMessageCommand).callsFakeOnce(async () => {
      await gate;
      return { Messages: [] };
    });
    const { run } = build();

    // Act
    const first = run(alarmEvent());
    // The first delivery has recorded the transition as in progress once it reads the DLQ.
    for (let tick = 0; tick < 1000 && sqsMock.commandCalls(ReceiveMessageCommand).length === 0; tick += 1) {
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(table.statuses()).toEqual(['INPROGRESS']);
    const second = run(alarmEvent());

    // Assert
    await expect(second).rejects.toThrow(IdempotencyAlreadyInProgressError);
    release();
    await expect(first).resolves.toMatchObject({ acted: true });
    expect(published()).toHaveLength(1);
    expect(sqsMock.commandCalls(ReceiveMessageCommand)).toHaveLength(1);
  });
});

describe('operations handler: states and alarms that do not act', () => {
  it.each(['OK', 'INSUFFICIENT_DATA'] as const)('ignores a transition to %s', async (state) => {
    // Arrange
    sqs.put(INTAKE_DLQ, 'x');
    const { run, logger } = build();

    // Act
    const result = await run(alarmEvent({ state, previousState: 'ALARM' }));

    // Assert
    expect(result).toEqual({ status: 'ignored', alarmName: DLQ_ALARM, state });
    expect(sqsMock.calls()).toHaveLength(0);
    expect(snsMock.calls()).toHaveLength(0);
    expect(lambdaMock.calls()).toHaveLength(0);
    expect(dynamoMock.calls()).toHaveLength(0);
    expect(logger.entries).toEqual([
      expect.objectContaining({
        level: 'info',
        message: 'alarm state change ignored: only ALARM transitions act',
      }),
    ]);
  });

  it('reports any other Stowage alarm with its reason and metric, and takes no action', async () => {
    // Arrange
    const { run } = build();

    // Act
    const result = await run(
      alarmEvent({
        alarmName: 'Stowage-test-ScanErrors',
        reason: 'Threshold Crossed: 1 datapoint [4.0] was greater than the threshold (0.0).',
        metrics: [{ namespace: 'Stowage', name: 'ScanERROR', dimensions: { env: 'test', service: 'scan' } }],
      }),
    );

    // Assert
    expect(result).toMatchObject({ outcome: { kind: 'report-only' } });
    expect(sqsMock.calls()).toHaveLength(0);
    expect(lambdaMock.calls()).toHaveLength(0);
    expect(published()).toEqual([
      {
        TopicArn: TOPIC,
        Subject: 'Stowage test: ALARM Stowage-test-ScanErrors',
        Message: [
          'Alarm Stowage-test-ScanErrors went from OK to ALARM at 2026-11-23T05:00:00.123Z.',
          'Reason: Threshold Crossed: 1 datapoint [4.0] was greater than the threshold (0.0).',
          'Description: Messages in a dead-letter queue',
          'Watches: Stowage ScanERROR (env=test, service=scan)',
          '',
          'Action: none (no automatic action for this alarm).',
        ].join('\n'),
      },
    ]);
  });

  it('reports a composite alarm and an alarm on a queue that is not a configured DLQ without acting', async () => {
    // Arrange
    const { run } = build();

    // Act
    await run(alarmEvent({ alarmName: 'Stowage-test-health', composite: true }));
    await run(
      alarmEvent({
        alarmName: 'Stowage-test-IntakeQueueAge',
        metrics: [
          {
            namespace: 'AWS/SQS',
            name: 'ApproximateAgeOfOldestMessage',
            dimensions: { QueueName: 'stowage-test-intake' },
          },
        ],
      }),
    );

    // Assert
    expect(sqsMock.calls()).toHaveLength(0);
    const [composite, age] = published();
    expect(composite!.Message).toContain('Watches: other alarms (composite alarm)');
    expect(composite!.Message).toContain('Action: none (composite alarm: no automatic action).');
    expect(age!.Message).toContain(
      'Action: none (queue stowage-test-intake is not a configured dead-letter queue: no automatic action).',
    );
  });

  it('answers an event that is not an alarm state change with an error naming the fields', async () => {
    // Arrange
    const event = alarmEvent();
    const detail = event['detail'] as Record<string, unknown>;
    delete detail['alarmName'];
    (detail['state'] as Record<string, unknown>)['value'] = 'BROKEN';
    (detail['state'] as Record<string, unknown>)['timestamp'] = 'yesterday';
    const { run } = build();

    // Act
    const result = run({ ...event, source: 'aws.s3' });

    // Assert
    await expect(result).rejects.toThrow(InvalidEventError);
    await expect(result).rejects.toThrow(
      "invalid alarm state change event: source: must be 'aws.cloudwatch'; detail.alarmName: Invalid input: expected string, received undefined; " +
        'detail.state.value: Invalid option: expected one of "OK"|"ALARM"|"INSUFFICIENT_DATA"; ' +
        'detail.state.timestamp: an ISO 8601 time such as 2026-11-23T05:00:00.000+0000',
    );
    expect(sqsMock.calls()).toHaveLength(0);
    expect(snsMock.calls()).toHaveLength(0);
  });
});

describe('operations handler: backup alarms', () => {
  const backupAlarm = (dimensions: Record<string, string>, name = 'BackupVerified') =>
    alarmEvent({
      alarmName: 'Stowage-test-BackupVerification-main-db',
      metrics: [{ namespace: 'Stowage', name, dimensions }],
    });

  it('invokes the verifier for the source at the transition time and publishes its detailed report', async () => {
    // Arrange
    const report = verificationReport([
      {
        status: 'failed',
        ageHours: 30.5,
        checks: [
          { name: 'present', ok: true, detail: 'newest backup found' },
          { name: 'freshness', ok: false, detail: 'stale: newest backup is 30.5 h old (max 26 h)' },
          { name: 'replication', ok: true, skipped: true, detail: 'skipped: not required' },
        ],
      },
    ]);
    lambdaMock.on(InvokeCommand).resolves({ StatusCode: 200, Payload: invokePayload(report) });
    const { run, metrics } = build();

    // Act
    const result = await run(backupAlarm({ env: 'test', service: 'backup-verify', source: 'main-db' }));

    // Assert
    const invoke = lambdaMock.commandCalls(InvokeCommand)[0]!.args[0].input;
    expect(invoke.FunctionName).toBe(VERIFIER);
    expect(invoke.InvocationType).toBe('RequestResponse');
    expect(sentPayload(invoke)).toEqual({
      source: 'main-db',
      at: '2026-11-23T05:00:00.123Z',
    });
    expect(result).toMatchObject({ outcome: { kind: 'reverify', runs: [{ source: 'main-db', report }] } });
    const [message] = published();
    expect(message!.Subject).toBe('Stowage test: re-verified main-db: FAILED');
    expect(message!.Message).toContain(
      [
        'Re-verification of main-db as of 2026-11-23T05:00:00.123Z (env test, bucket stowage-test-backups): FAILED',
        'main-db (pg-dump): failed - backups/main-db/20261123/main-db_20261123_040000.dump',
        '  taken 2026-11-23T04:00:00.000Z, 30.5 h old, 123456 bytes',
        '  [ok] present: newest backup found',
        '  [FAILED] freshness: stale: newest backup is 30.5 h old (max 26 h)',
        '  [skipped] replication: skipped: not required',
      ].join('\n'),
    );
    expect(message!.Message).toContain(`Full report for main-db (JSON):\n${JSON.stringify(report, null, 2)}`);
    expect(metrics.totals).toEqual({ ReverificationsRun: 1 });
  });

  it('runs the whole verification when a backup alarm names no source', async () => {
    // Arrange
    const report = verificationReport([{ source: 'main-db' }, { source: 'server-files', format: 'tar-gz' }]);
    lambdaMock.on(InvokeCommand).resolves({ StatusCode: 200, Payload: invokePayload(report) });
    const { run } = build();

    // Act
    await run(backupAlarm({ env: 'test' }, 'BackupAgeHours'));

    // Assert
    const invoke = lambdaMock.commandCalls(InvokeCommand)[0]!.args[0].input;
    expect(sentPayload(invoke)).toEqual({});
    expect(published()[0]!.Subject).toBe('Stowage test: re-verified all backups: 2 ok');
  });

  it('reports a backup alarm for a source the verifier does not know, and invokes nothing', async () => {
    // Arrange
    const { run } = build();

    // Act
    await run(backupAlarm({ source: 'old-db' }));

    // Assert
    expect(lambdaMock.calls()).toHaveLength(0);
    expect(published()[0]!.Message).toContain(
      "Action: none (backup source 'old-db' is not configured for the verifier (configured: main-db, server-files): no re-verification).",
    );
  });

  it('reports and throws when the invoke fails; the retry invokes again', async () => {
    // Arrange
    lambdaMock
      .on(InvokeCommand)
      .rejectsOnce(Object.assign(new Error('Rate exceeded'), { name: 'TooManyRequestsException' }))
      .resolves({ StatusCode: 200, Payload: invokePayload(verificationReport([{}])) });
    const { run, metrics } = build();

    // Act
    const first = run(backupAlarm({ source: 'main-db' }));

    // Assert
    await expect(first).rejects.toThrow(
      're-verification of main-db failed: TooManyRequestsException: Rate exceeded',
    );
    const [failure] = published();
    expect(failure!.Subject).toBe(
      'Stowage test: operations FAILED for Stowage-test-BackupVerification-main-db',
    );
    expect(failure!.Message).toContain('Action: re-verify backup source main-db');
    expect(failure!.Message).toContain(
      'Re-verification of main-db FAILED: TooManyRequestsException: Rate exceeded',
    );
    expect(metrics.totals).toEqual({ OperationsFailures: 1 });

    // Act
    const retry = await run(backupAlarm({ source: 'main-db' }));

    // Assert
    expect(retry).toMatchObject({ acted: true, outcome: { kind: 'reverify' } });
    expect(lambdaMock.commandCalls(InvokeCommand)).toHaveLength(2);
    expect(published()[1]!.Subject).toBe('Stowage test: re-verified main-db: ok');
  });

  it('reports and throws the verifier’s FunctionError', async () => {
    // Arrange
    lambdaMock.on(InvokeCommand).resolves({
      StatusCode: 200,
      FunctionError: 'Unhandled',
      Payload: invokePayload({
        errorType: 'VerificationRunError',
        errorMessage: 'backup verification did not complete: source main-db: AccessDenied',
        trace: ['at verify'],
      }),
    });
    const { run } = build();

    // Act
    const result = run(backupAlarm({ source: 'main-db' }));

    // Assert
    await expect(result).rejects.toThrow(
      're-verification of main-db failed: VerifierError: the verifier failed (Unhandled): VerificationRunError: backup verification did not complete: source main-db: AccessDenied',
    );
    expect(published()[0]!.Message).toContain(
      'Re-verification of main-db FAILED: VerifierError: the verifier failed (Unhandled): VerificationRunError: backup verification did not complete',
    );
    expect(table.items.size).toBe(0);
  });

  it('treats an answer that is not a verification report as a failure', async () => {
    // Arrange
    lambdaMock.on(InvokeCommand).resolves({ StatusCode: 200, Payload: invokePayload({ hello: 'world' }) });
    const { run } = build();

    // Act
    const result = run(backupAlarm({ source: 'main-db' }));

    // Assert
    await expect(result).rejects.toThrow(
      /the verifier's answer is not a verification report: env: Invalid input/,
    );
  });
});

describe('operations handler: verification failures queue', () => {
  const failuresAlarm = () =>
    alarmEvent({
      alarmName: FAILURES_ALARM,
      metrics: [
        {
          namespace: 'AWS/SQS',
          name: 'ApproximateNumberOfMessagesVisible',
          dimensions: { QueueName: FAILURES_QUEUE_NAME },
        },
      ],
    });
  /** A record of a run that never completed, as the verifier's on-failure destination writes it. */
  const record = (night: string) =>
    JSON.stringify({
      version: '1.0',
      requestContext: { condition: 'RetriesExhausted', approximateInvokeCount: 3 },
      requestPayload: { scheduledTime: `${night}T04:00:00Z` },
      responsePayload: { errorType: 'VerificationRunError', errorMessage: 'AccessDenied' },
    });
  const before = (seconds: number) => NOW - seconds * 1000;
  const report = verificationReport([
    { source: 'main-db' },
    {
      source: 'server-files',
      format: 'tar-gz',
      status: 'failed',
      checks: [{ name: 'checksum', ok: false, detail: 'sha256 mismatch' }],
    },
  ]);

  it('runs a full verification, then deletes the records that were waiting and reports how many it settled', async () => {
    // Arrange
    sqs.put(FAILURES_QUEUE, record('2026-11-21'), {}, before(86_400));
    sqs.put(FAILURES_QUEUE, record('2026-11-22'), {}, before(3_600));
    sqs.put(FAILURES_QUEUE, record('2026-11-23'), {}, before(60));
    let recordsWhenInvoked = -1;
    lambdaMock.on(InvokeCommand).callsFake(() => {
      recordsWhenInvoked = sqs.queue(FAILURES_QUEUE).length;
      return { StatusCode: 200, Payload: invokePayload(report) };
    });
    const { run, metrics, logger } = build();

    // Act
    const result = await run(failuresAlarm());

    // Assert: the verification completed before anything was received; its FAILED verdict settles the records too.
    const invoke = lambdaMock.commandCalls(InvokeCommand)[0]!.args[0].input;
    expect(invoke).toMatchObject({ FunctionName: VERIFIER, InvocationType: 'RequestResponse' });
    expect(sentPayload(invoke)).toEqual({});
    expect(recordsWhenInvoked).toBe(3);
    expect(sqs.queue(FAILURES_QUEUE)).toHaveLength(0);
    expect(sqsMock.commandCalls(ReceiveMessageCommand)[0]!.args[0].input).toMatchObject({
      QueueUrl: FAILURES_QUEUE,
      MaxNumberOfMessages: 10,
      MessageSystemAttributeNames: ['SentTimestamp', 'ApproximateReceiveCount'],
    });
    expect(sqsMock.commandCalls(SendMessageBatchCommand)).toHaveLength(0);
    expect(result).toMatchObject({
      status: 'handled',
      acted: true,
      outcome: {
        kind: 'settle',
        queueName: FAILURES_QUEUE_NAME,
        startedAt: '2026-11-23T05:00:05.000Z',
        verification: { report },
        received: 3,
        settled: 3,
        leftForNextRun: 0,
        limitReached: false,
      },
    });
    expect(cloudwatchMock.calls()).toHaveLength(0);
    const [message] = published();
    expect(message!.Subject).toBe(
      'Stowage test: settled 3 verification failure records; re-verified all backups: 1 of 2 FAILED',
    );
    expect(message!.Message).toContain(
      [
        `Verification failures queue ${FAILURES_QUEUE_NAME} (at most 100 records per run):`,
        '  full verification started 2026-11-23T05:00:05.000Z: completed, with FAILED sources (each keeps its own alarms)',
        '  received:  3',
        '  settled:   3 (deleted, each logged with its body: runs that never completed, superseded by this verification)',
        '  left:      0',
        '  failures:  none',
        '',
        'Re-verification of every source as of 2026-11-23T05:00:00.123Z (env test, bucket stowage-test-backups): FAILED',
      ].join('\n'),
    );
    expect(message!.Message).toContain(`Full report (JSON):\n${JSON.stringify(report, null, 2)}`);
    expect(metrics.totals).toEqual({ ReverificationsRun: 1, VerificationFailuresSettled: 3 });
    const settled = logger.entries.filter(
      (entry) => entry.message === 'settled a verification failure record',
    );
    expect(settled.map((entry) => entry.attributes['body'])).toEqual([
      record('2026-11-21'),
      record('2026-11-22'),
      record('2026-11-23'),
    ]);
  });

  it('deletes nothing when the verification fails, reports it and throws; the retry settles the records', async () => {
    // Arrange
    sqs.put(FAILURES_QUEUE, record('2026-11-22'), {}, before(3_600));
    lambdaMock
      .on(InvokeCommand)
      .resolvesOnce({
        StatusCode: 200,
        FunctionError: 'Unhandled',
        Payload: invokePayload({ errorType: 'VerificationRunError', errorMessage: 'AccessDenied' }),
      })
      .resolves({ StatusCode: 200, Payload: invokePayload(report) });
    const { run, metrics } = build();

    // Act
    const first = run(failuresAlarm());

    // Assert
    await expect(first).rejects.toThrow(
      `the full verification failed, so no record of ${FAILURES_QUEUE_NAME} was deleted: re-verification of all backup sources failed: ` +
        'VerifierError: the verifier failed (Unhandled): VerificationRunError: AccessDenied',
    );
    expect(sqsMock.calls()).toHaveLength(0);
    expect(sqs.bodies(FAILURES_QUEUE)).toEqual([record('2026-11-22')]);
    const [failure] = published();
    expect(failure!.Subject).toBe(`Stowage test: operations FAILED for ${FAILURES_ALARM}`);
    expect(failure!.Message).toContain(
      'Action: a full verifier run, then delete the verification failure records it supersedes',
    );
    expect(failure!.Message).toContain(
      [
        '  full verification started 2026-11-23T05:00:05.000Z: FAILED: VerifierError: the verifier failed (Unhandled): VerificationRunError: AccessDenied',
        '  No record was received or deleted: the records stay until a verification completes.',
      ].join('\n'),
    );
    expect(metrics.totals).toEqual({ OperationsFailures: 1 });
    expect(table.items.size).toBe(0);

    // Act
    const retry = await run(failuresAlarm());

    // Assert
    expect(retry).toMatchObject({ acted: true, outcome: { kind: 'settle', settled: 1 } });
    expect(sqs.queue(FAILURES_QUEUE)).toHaveLength(0);
  });

  it('leaves records sent after the verification started for the next run, and sets the alarm to OK so it comes', async () => {
    // Arrange
    sqs.put(FAILURES_QUEUE, 'older', {}, before(600));
    sqs.put(FAILURES_QUEUE, 'during the run', {}, NOW + 30_000);
    sqs.put(FAILURES_QUEUE, 'also older', {}, before(1));
    lambdaMock.on(InvokeCommand).resolves({ StatusCode: 200, Payload: invokePayload(report) });
    const { run, metrics } = build();

    // Act
    const result = await run(failuresAlarm());

    // Assert
    expect(sqs.bodies(FAILURES_QUEUE)).toEqual(['during the run']);
    expect(result).toMatchObject({
      outcome: { received: 3, settled: 2, leftForNextRun: 1, rearm: { remaining: 1, status: 'rearmed' } },
    });
    expect(sqsMock.commandCalls(GetQueueAttributesCommand)).toHaveLength(0);
    expect(alarmStatesSet()).toEqual([
      {
        AlarmName: FAILURES_ALARM,
        StateValue: 'OK',
        StateReason:
          'Set to OK by the Stowage operations handler: the settling of verification failure records for the ALARM ' +
          'transition at 2026-11-23T05:00:00.123Z left records sent after its verification started, with 1 ' +
          `message(s) left in ${FAILURES_QUEUE_NAME}. The next evaluation raises the alarm again and starts another run.`,
      },
    ]);
    const message = published()[0]!.Message!;
    expect(message).toContain('  left:      1 (sent after the verification started: for the next run)');
    expect(message).toContain(
      `1 message(s) remain in ${FAILURES_QUEUE_NAME}: alarm ${FAILURES_ALARM} was set to OK`,
    );
    expect(metrics.totals).toEqual({
      ReverificationsRun: 1,
      VerificationFailuresSettled: 2,
      AlarmsRearmed: 1,
    });
  });

  it('settles at most REDRIVE_MAX_MESSAGES records per run and sets the alarm to OK while records remain', async () => {
    // Arrange
    for (let index = 0; index < 15; index += 1) sqs.put(FAILURES_QUEUE, `r${index}`, {}, before(60));
    lambdaMock.on(InvokeCommand).resolves({ StatusCode: 200, Payload: invokePayload(report) });
    const { run } = build({ redriveMaxMessages: 10 });

    // Act
    const result = await run(failuresAlarm());

    // Assert
    expect(sqs.queue(FAILURES_QUEUE)).toHaveLength(5);
    expect(result).toMatchObject({
      outcome: { settled: 10, limitReached: true, rearm: { remaining: 5, status: 'rearmed' } },
    });
    expect(sqsMock.commandCalls(GetQueueAttributesCommand)[0]!.args[0].input.QueueUrl).toBe(FAILURES_QUEUE);
    expect(alarmStatesSet().map((input) => input.AlarmName)).toEqual([FAILURES_ALARM]);
    expect(published()[0]!.Message).toContain('The run stopped at its limit of 10 records.');
  });

  it('keeps a record it could not delete, reports it and throws', async () => {
    // Arrange
    sqs.put(FAILURES_QUEUE, 'kept', {}, before(60));
    sqs.put(FAILURES_QUEUE, 'settled', {}, before(60));
    sqs.faults.failDeleteBodies = new Set(['kept']);
    lambdaMock.on(InvokeCommand).resolves({ StatusCode: 200, Payload: invokePayload(report) });
    const { run, metrics } = build();

    // Act
    const result = run(failuresAlarm());

    // Assert
    await expect(result).rejects.toThrow(
      `settling the records of ${FAILURES_QUEUE_NAME} did not complete: 1 failure(s), first: ReceiptHandleIsInvalid: expired (left in the queue)`,
    );
    expect(sqs.bodies(FAILURES_QUEUE)).toEqual(['kept']);
    const message = published()[0]!.Message!;
    expect(message).toContain('  settled:   1');
    expect(message).toContain(
      '  failures:  1\n    - delete msg-1: ReceiptHandleIsInvalid: expired (left in the queue)',
    );
    expect(metrics.totals).toEqual({
      ReverificationsRun: 1,
      VerificationFailuresSettled: 1,
      OperationsFailures: 1,
    });
  });

  it('deletes nothing when the queue cannot be read after the verification, and says so', async () => {
    // Arrange
    sqs.put(FAILURES_QUEUE, 'x', {}, before(60));
    sqs.faults.receiveFails = new Set([FAILURES_QUEUE]);
    lambdaMock.on(InvokeCommand).resolves({ StatusCode: 200, Payload: invokePayload(report) });
    const { run } = build();

    // Act
    const result = run(failuresAlarm());

    // Assert
    await expect(result).rejects.toThrow(/AccessDenied: not authorized to receive/);
    expect(sqs.bodies(FAILURES_QUEUE)).toEqual(['x']);
    expect(sqsMock.commandCalls(DeleteMessageBatchCommand)).toHaveLength(0);
    expect(published()[0]!.Message).toContain('    - receive: AccessDenied: not authorized to receive');
  });
});
