import { parseAlarmEvent } from '../../../lambda/operations/alarm-event';
import { planFor } from '../../../lambda/operations/operation-plan';
import { InvalidEventError } from '../../../core/events/invalid-event-error';
import {
  alarmEvent,
  FAILURES_QUEUE_NAME,
  INTAKE_DLQ,
  INTAKE_DLQ_NAME,
  INTAKE_QUEUE,
} from './operations-fixtures';

const CONTEXT = {
  routes: [
    { deadLetterQueueName: INTAKE_DLQ_NAME, deadLetterQueueUrl: INTAKE_DLQ, sourceQueueUrl: INTAKE_QUEUE },
  ],
  verificationFailuresQueueName: FAILURES_QUEUE_NAME,
  backupSources: ['main-db', 'server-files'],
};

describe('parseAlarmEvent', () => {
  it('reads a metric alarm transition and normalizes CloudWatch’s timestamp to ISO 8601 UTC', () => {
    // Act
    const transition = parseAlarmEvent(alarmEvent({ timestamp: '2026-11-23T07:00:00.123+0200' }));

    // Assert
    expect(transition).toEqual({
      alarmName: 'Stowage-test-IntakeDlqDepth',
      state: 'ALARM',
      reason: expect.stringMatching(/^Threshold Crossed/),
      timestamp: '2026-11-23T07:00:00.123+0200',
      at: '2026-11-23T05:00:00.123Z',
      previousState: 'OK',
      description: 'Messages in a dead-letter queue',
      metrics: [
        {
          namespace: 'AWS/SQS',
          name: 'ApproximateNumberOfMessagesVisible',
          dimensions: { QueueName: INTAKE_DLQ_NAME },
        },
      ],
      composite: false,
    });
  });

  it('reads a composite alarm (no metrics) and keeps only the metrics of a metric-math alarm', () => {
    // Arrange
    const math = alarmEvent();
    const configuration = (math['detail'] as { configuration: { metrics: unknown[] } }).configuration;
    configuration.metrics.push({ id: 'e1', expression: 'm0 * 2', returnData: true });

    // Act
    const composite = parseAlarmEvent(alarmEvent({ composite: true }));
    const parsedMath = parseAlarmEvent(math);

    // Assert
    expect(composite).toMatchObject({ composite: true, metrics: [], description: 'Stowage health' });
    expect(parsedMath.metrics).toHaveLength(1);
  });

  it('accepts Z and +00:00 and rejects impossible dates', () => {
    // Act / Assert
    expect(parseAlarmEvent(alarmEvent({ timestamp: '2026-11-23T05:00:00Z' })).at).toBe(
      '2026-11-23T05:00:00.000Z',
    );
    expect(parseAlarmEvent(alarmEvent({ timestamp: '2026-11-23T05:00:00+00:00' })).at).toBe(
      '2026-11-23T05:00:00.000Z',
    );
    expect(() => parseAlarmEvent(alarmEvent({ timestamp: '2026-13-45T05:00:00Z' }))).toThrow(
      new InvalidEventError(
        'invalid alarm state change event: detail.state.timestamp: a valid date and time',
      ),
    );
  });

  it('names the field at fault', () => {
    // Act / Assert
    expect(() => parseAlarmEvent({ ...alarmEvent(), 'detail-type': 'Object Created' })).toThrow(
      "invalid alarm state change event: detail-type: must be 'CloudWatch Alarm State Change'",
    );
    expect(() => parseAlarmEvent(null)).toThrow(/^invalid alarm state change event: \(root\): Invalid input/);
  });
});

describe('planFor', () => {
  const plan = (event: Record<string, unknown>) => planFor(parseAlarmEvent(event), CONTEXT);

  it('redrives the DLQ named by an AWS/SQS QueueName dimension', () => {
    expect(plan(alarmEvent())).toEqual({ kind: 'redrive', route: CONTEXT.routes[0] });
  });

  it('settles the verification failures queue when its depth alarm fires', () => {
    const depth = (queueName: string) =>
      alarmEvent({
        metrics: [
          {
            namespace: 'AWS/SQS',
            name: 'ApproximateNumberOfMessagesVisible',
            dimensions: { QueueName: queueName },
          },
        ],
      });

    expect(plan(depth(FAILURES_QUEUE_NAME))).toEqual({ kind: 'settle-verification-failures' });
    expect(plan(depth(`${FAILURES_QUEUE_NAME}-other`))).toMatchObject({ kind: 'report-only' });
  });

  it('re-verifies each named backup source, or everything when no source is named', () => {
    const backup = (dimensions: Record<string, string>[], name = 'BackupVerified') =>
      alarmEvent({ metrics: dimensions.map((d) => ({ namespace: 'Stowage', name, dimensions: d })) });

    expect(plan(backup([{ source: 'main-db' }, { source: 'server-files' }, { source: 'main-db' }]))).toEqual({
      kind: 'reverify',
      sources: ['main-db', 'server-files'],
    });
    expect(plan(backup([{ source: 'server-files' }], 'BackupAgeHours'))).toEqual({
      kind: 'reverify',
      sources: ['server-files'],
    });
    expect(plan(backup([{ env: 'test' }]))).toEqual({ kind: 'reverify-all' });
  });

  it('only reports other alarms', () => {
    expect(plan(alarmEvent({ composite: true }))).toMatchObject({ kind: 'report-only' });
    expect(
      plan(alarmEvent({ metrics: [{ namespace: 'Stowage', name: 'QuarantinedPerHour', dimensions: {} }] })),
    ).toEqual({ kind: 'report-only', note: 'no automatic action for this alarm' });
    expect(
      plan(
        alarmEvent({
          metrics: [{ namespace: 'AWS/Lambda', name: 'Errors', dimensions: { FunctionName: 'f' } }],
        }),
      ),
    ).toMatchObject({ kind: 'report-only' });
  });
});
