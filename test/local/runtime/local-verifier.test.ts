import type { VerificationReport } from '../../../core/backup/verify/verification-report';
import { startLocalVerifier, type VerifierRun } from '../../../local/runtime/local-verifier';

const START = new Date('2026-11-23T15:30:00.000Z');

function report(at: string, ok = true): VerificationReport {
  return { env: 'dev', at, bucket: 'stowage-dev-backups', ok, sources: [] };
}

/** A handler that records its events and how many runs overlapped. */
function recordingHandler(
  outcome: (event: unknown) => Promise<VerificationReport> = async () => report(new Date().toISOString()),
) {
  const events: unknown[] = [];
  let running = 0;
  let maxConcurrent = 0;
  const handler = async (event: unknown): Promise<VerificationReport> => {
    events.push(event);
    running += 1;
    maxConcurrent = Math.max(maxConcurrent, running);
    try {
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      return await outcome(event);
    } finally {
      running -= 1;
    }
  };
  return { handler, events, maxConcurrent: () => maxConcurrent };
}

beforeEach(() => {
  jest.useFakeTimers({ now: START });
});

afterEach(() => {
  jest.useRealTimers();
});

describe('startLocalVerifier', () => {
  it('runs once at start, then at every fire time of the schedule with its scheduledTime', async () => {
    // Arrange
    const { handler, events } = recordingHandler();
    const runs: VerifierRun[] = [];

    // Act
    const verifier = startLocalVerifier({
      handler,
      schedule: 'cron(0 4 * * ? *)',
      onRun: (run) => runs.push(run),
    });
    await jest.advanceTimersByTimeAsync(2_000);
    const afterStart = runs.length;
    await jest.advanceTimersByTimeAsync(new Date('2026-11-24T04:00:01Z').getTime() - Date.now());
    await jest.advanceTimersByTimeAsync(2_000);

    // Assert
    expect(afterStart).toBe(1);
    expect(runs.map((run) => run.trigger)).toEqual(['start', 'schedule']);
    expect(events[1]).toEqual({ scheduledTime: '2026-11-24T04:00:00.000Z' });
    expect(verifier.nextRunAt()?.toISOString()).toBe('2026-11-25T04:00:00.000Z');
    await verifier.stop();
  });

  it('does not run at start when told not to', async () => {
    // Arrange
    const { handler, events } = recordingHandler();

    // Act
    const verifier = startLocalVerifier({ handler, schedule: 'cron(0 4 * * ? *)', runAtStart: false });
    await jest.advanceTimersByTimeAsync(60_000);

    // Assert
    expect(events).toEqual([]);
    expect(verifier.nextRunAt()?.toISOString()).toBe('2026-11-24T04:00:00.000Z');
    await verifier.stop();
  });

  it('reports a run that throws and keeps the schedule going', async () => {
    // Arrange
    const failure = new Error('report: AccessDenied');
    const { handler } = recordingHandler(async () => {
      throw failure;
    });
    const runs: VerifierRun[] = [];

    // Act
    const verifier = startLocalVerifier({
      handler,
      schedule: 'cron(0/30 * * * ? *)',
      onRun: (run) => runs.push(run),
    });
    await jest.advanceTimersByTimeAsync(31 * 60_000);

    // Assert
    expect(runs.map((run) => [run.trigger, run.error])).toEqual([
      ['start', failure],
      ['schedule', failure],
    ]);
    expect(verifier.nextRunAt()?.toISOString()).toBe('2026-11-23T16:30:00.000Z');
    await verifier.stop();
  });

  it('runs on demand one run at a time (reserved concurrency 1), returning each report', async () => {
    // Arrange
    const { handler, maxConcurrent } = recordingHandler();
    const verifier = startLocalVerifier({ handler, schedule: 'cron(0 4 * * ? *)', runAtStart: false });

    // Act
    const both = Promise.all([verifier.runNow(), verifier.runNow()]);
    await jest.advanceTimersByTimeAsync(2_500);
    const reports = await both;

    // Assert
    expect(reports).toHaveLength(2);
    expect(maxConcurrent()).toBe(1);
    await verifier.stop();
  });

  it('rejects an on-demand run with the handler error', async () => {
    // Arrange
    const { handler } = recordingHandler(async () => {
      throw new Error('boom');
    });
    const verifier = startLocalVerifier({ handler, schedule: 'cron(0 4 * * ? *)', runAtStart: false });

    // Act
    const run = verifier.runNow();
    const assertion = expect(run).rejects.toThrow('boom');
    await jest.advanceTimersByTimeAsync(1_500);

    // Assert
    await assertion;
    await verifier.stop();
  });

  it('waits past setTimeout’s 24.8-day limit for a distant fire time', async () => {
    // Arrange
    const { handler, events } = recordingHandler();
    const verifier = startLocalVerifier({ handler, schedule: 'cron(0 0 1 1 ? *)', runAtStart: false });

    // Act
    await jest.advanceTimersByTimeAsync(new Date('2027-01-01T00:00:00Z').getTime() - Date.now() - 60_000);
    const before = events.length;
    await jest.advanceTimersByTimeAsync(62_000);

    // Assert
    expect(before).toBe(0);
    expect(events).toEqual([{ scheduledTime: '2027-01-01T00:00:00.000Z' }]);
    await jest.advanceTimersByTimeAsync(1_000);
    await verifier.stop();
  });

  it('stops: waits for the run in flight, schedules nothing more, refuses on-demand runs', async () => {
    // Arrange
    const { handler, events } = recordingHandler();
    const runs: VerifierRun[] = [];
    const verifier = startLocalVerifier({
      handler,
      schedule: 'cron(0/5 * * * ? *)',
      onRun: (run) => runs.push(run),
    });

    // Act
    const stopped = verifier.stop();
    await jest.advanceTimersByTimeAsync(1_000);
    await stopped;
    await jest.advanceTimersByTimeAsync(60 * 60_000);

    // Assert
    expect(runs.map((run) => run.trigger)).toEqual(['start']);
    expect(events).toHaveLength(1);
    expect(verifier.nextRunAt()).toBeUndefined();
    await expect(verifier.runNow()).rejects.toThrow('the local verifier is stopped');
  });

  it('refuses a schedule that is not a cron expression', () => {
    // Act / Assert
    expect(() => startLocalVerifier({ handler: async () => report(''), schedule: 'rate(1 day)' })).toThrow(
      "schedule 'rate(1 day)' must be a cron expression",
    );
  });
});
