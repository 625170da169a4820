import type { DeepPartial, StowageConfig } from '../../../lib/config';
import { ConfigError, ENV_NAMES, loadConfig } from '../../../lib/config';

/** The ConfigError message for `env` with `overrides`, or a failure if the config is valid. */
function problemsOf(env: string, overrides: DeepPartial<StowageConfig>): string {
  try {
    loadConfig(env, { environment: {}, overrides });
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).message;
  }
  throw new Error('expected the config to be rejected');
}

describe('operations config defaults', () => {
  it.each(ENV_NAMES)('%s has alarm thresholds and windows for every alarm family', (env) => {
    // Act
    const { alarms } = loadConfig(env, { environment: {} });
    // Assert
    expect(alarms).toMatchObject({
      handlers: { periodSeconds: 300, evaluationPeriods: 1, durationPercentOfTimeout: 80 },
      queues: { periodSeconds: 60, evaluationPeriods: 1 },
      intakeQueueAge: { periodSeconds: 300, evaluationPeriods: 1, thresholdSeconds: 900 },
      scanErrors: { periodSeconds: 300, evaluationPeriods: 1, threshold: 5 },
      quarantinedPerHour: { threshold: 10, evaluationPeriods: 1 },
      backups: { windowHours: 26 },
      api5xx: { periodSeconds: 300, evaluationPeriods: 1, ratePercent: 5 },
      replication: { periodSeconds: 300, evaluationPeriods: 1, latencySeconds: 900 },
    });
    expect(alarms.actionsEnabled).toBe(env !== 'dev');
  });

  it.each(ENV_NAMES)(
    '%s sizes the operations handler to wait for a re-verification, with the redrive limits',
    (env) => {
      // Act
      const config = loadConfig(env, { environment: {} });
      // Assert
      expect(config.operations).toEqual({
        handler: { memoryMb: 256, timeoutSeconds: 900, reservedConcurrency: 2 },
        logLevel: env === 'dev' ? 'DEBUG' : 'INFO',
        redriveMaxMessages: 100,
        poisonMaxRedrives: 3,
        holdingRetentionDays: 14,
      });
      expect(config.operations.handler.timeoutSeconds).toBeGreaterThanOrEqual(
        config.backups.verifier.timeoutSeconds,
      );
    },
  );

  it('accepts other thresholds, windows and limits', () => {
    // Act
    const config = loadConfig('prod', {
      environment: {},
      overrides: {
        alarms: {
          handlers: { periodSeconds: 3600, evaluationPeriods: 24, durationPercentOfTimeout: 95 },
          backups: { windowHours: 50 },
          api5xx: { ratePercent: 0.5 },
        },
        operations: { redriveMaxMessages: 500, poisonMaxRedrives: 5, holdingRetentionDays: 7 },
      },
    });
    // Assert
    expect(config.alarms.handlers).toEqual({
      periodSeconds: 3600,
      evaluationPeriods: 24,
      durationPercentOfTimeout: 95,
    });
    expect(config.alarms.api5xx.ratePercent).toBe(0.5);
    expect(config.operations).toMatchObject({
      redriveMaxMessages: 500,
      poisonMaxRedrives: 5,
      holdingRetentionDays: 7,
    });
  });
});

describe('operations config validation', () => {
  it.each<[string, DeepPartial<StowageConfig>, string]>([
    [
      'a period that is not whole minutes',
      { alarms: { handlers: { periodSeconds: 90 } } },
      'alarms.handlers.periodSeconds: must be a whole number of minutes (a multiple of 60) (got 90)',
    ],
    [
      'a period under a minute',
      { alarms: { queues: { periodSeconds: 30 } } },
      'alarms.queues.periodSeconds: must be at least 60 seconds (got 30)',
    ],
    [
      'no evaluation period',
      { alarms: { scanErrors: { evaluationPeriods: 0 } } },
      'alarms.scanErrors.evaluationPeriods: must be at least 1 (got 0)',
    ],
    [
      'a short period evaluated over more than a day',
      { alarms: { queues: { periodSeconds: 60, evaluationPeriods: 1441 } } },
      'alarms.queues.evaluationPeriods: periodSeconds × evaluationPeriods is 86460 seconds; CloudWatch allows at most 86400 (one day for periods under an hour) (got 1441)',
    ],
    [
      'an hourly period evaluated over more than a week',
      { alarms: { replication: { periodSeconds: 3600, evaluationPeriods: 169 } } },
      'alarms.replication.evaluationPeriods: periodSeconds × evaluationPeriods is 608400 seconds; CloudWatch allows at most 604800 (seven days) (got 169)',
    ],
    [
      'a duration alarm above the timeout',
      { alarms: { handlers: { durationPercentOfTimeout: 120 } } },
      'alarms.handlers.durationPercentOfTimeout: must be between 1 and 100 (got 120)',
    ],
    [
      'a zero scan error threshold',
      { alarms: { scanErrors: { threshold: 0 } } },
      'alarms.scanErrors.threshold: must be at least 1 (got 0)',
    ],
    [
      'a negative quarantine threshold',
      { alarms: { quarantinedPerHour: { threshold: -1 } } },
      'alarms.quarantinedPerHour.threshold: must be at least 0 (got -1)',
    ],
    [
      'a backup window over a week',
      { alarms: { backups: { windowHours: 200 } } },
      'alarms.backups.windowHours: must be at most 168 hours (got 200)',
    ],
    [
      'a zero 5xx rate',
      { alarms: { api5xx: { ratePercent: 0 } } },
      'alarms.api5xx.ratePercent: must be above 0 (got 0)',
    ],
    [
      'a backlog threshold under a minute',
      { alarms: { intakeQueueAge: { thresholdSeconds: 30 } } },
      'alarms.intakeQueueAge.thresholdSeconds: must be at least 60 seconds (got 30)',
    ],
    [
      'a replication latency under a minute',
      { alarms: { replication: { latencySeconds: 10 } } },
      'alarms.replication.latencySeconds: must be at least 60 seconds (got 10)',
    ],
    [
      'an operations handler that cannot wait for the verifier',
      { operations: { handler: { timeoutSeconds: 300 } } },
      'operations.handler.timeoutSeconds: must be at least backups.verifier.timeoutSeconds (900): the handler waits for the re-verification it starts (got 300)',
    ],
    [
      'an operations handler over the Lambda maximum',
      { operations: { handler: { timeoutSeconds: 901 } } },
      'operations.handler.timeoutSeconds: must be at most 900 seconds (got 901)',
    ],
    [
      'no redrive per run',
      { operations: { redriveMaxMessages: 0 } },
      'operations.redriveMaxMessages: must be at least 1 (got 0)',
    ],
    [
      'a poison limit of zero',
      { operations: { poisonMaxRedrives: 0 } },
      'operations.poisonMaxRedrives: must be at least 1 (got 0)',
    ],
    [
      'a holding retention SQS does not allow',
      { operations: { holdingRetentionDays: 15 } },
      'operations.holdingRetentionDays: must be at most 14 days (got 15)',
    ],
    ['an invalid log level', { operations: { logLevel: 'TRACE' as 'INFO' } }, 'operations.logLevel: '],
  ])('rejects %s, naming the field', (_what, overrides, expected) => {
    // Act
    const message = problemsOf('staging', overrides);
    // Assert
    expect(message).toContain("Invalid Stowage configuration for env 'staging':");
    expect(message).toContain(`  - ${expected}`);
  });

  it('names every bad operations field in one message', () => {
    // Act
    const message = problemsOf('dev', {
      alarms: { scanErrors: { threshold: 0 }, backups: { windowHours: 0 } },
      operations: { poisonMaxRedrives: 0 },
    });
    // Assert
    const lines = message.split('\n').slice(1);
    expect(lines).toEqual([
      '  - alarms.scanErrors.threshold: must be at least 1 (got 0)',
      '  - alarms.backups.windowHours: must be at least 1 hour (got 0)',
      '  - operations.poisonMaxRedrives: must be at least 1 (got 0)',
    ]);
  });
});
