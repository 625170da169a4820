import type { VerificationReport } from '../../core/backup/verify/verification-report';
import { parseCronSchedule, type CronSchedule } from './cron-schedule';

/** setTimeout's longest delay (about 24.8 days); longer waits are chained. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Why a verification ran. */
export type VerifierTrigger = 'start' | 'schedule' | 'on-demand';

/** One verification run, as reported to `onRun`. */
export interface VerifierRun {
  readonly trigger: VerifierTrigger;
  /** ISO 8601. */
  readonly startedAt: string;
  readonly durationMs: number;
  /** The report, when the handler returned one. */
  readonly report?: VerificationReport;
  /** What the handler threw (on AWS: a failed invocation, retried, then the failures queue). */
  readonly error?: unknown;
}

export interface LocalVerifierOptions {
  /** The backup verification handler (createBackupVerifyHandler), the one Lambda runs. Required. */
  readonly handler: (event: unknown) => Promise<VerificationReport>;
  /** EventBridge Scheduler cron expression, evaluated in UTC (config `backups.verifySchedule`). Required. */
  readonly schedule: string;
  /** Also run once when started. Default: true. */
  readonly runAtStart?: boolean;
  /** Called after every run, with its report or its error (local mode prints it). Default: none. */
  readonly onRun?: (run: VerifierRun) => void;
  /** Clock. Default: the system clock. */
  readonly now?: () => Date;
}

export interface LocalVerifier {
  /** The cron expression it runs on. */
  readonly schedule: string;
  /** When the next scheduled run is due; undefined once stopped or when the schedule has no fire time left. */
  nextRunAt(): Date | undefined;
  /** Runs a verification now (after any run in progress); rejects with the handler's error. */
  runNow(): Promise<VerificationReport>;
  /** Resolves when no run is in progress or queued. */
  idle(): Promise<void>;
  /** Stops scheduling and waits for a run in progress. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Runs the backup verifier locally the way EventBridge Scheduler runs it on AWS: at every fire time of the
 * schedule (UTC), with the schedule's input (`scheduledTime`), one run at a time (reserved concurrency 1); and,
 * unlike AWS, once at start and on demand. Scheduled and start-up runs never throw: their outcome, failures
 * included, goes to `onRun`.
 */
export function startLocalVerifier(options: LocalVerifierOptions): LocalVerifier {
  const schedule: CronSchedule = parseCronSchedule(options.schedule);
  const now = options.now ?? (() => new Date());
  let chain: Promise<unknown> = Promise.resolve();
  let pending = 0;
  let timer: NodeJS.Timeout | undefined;
  let nextAt: Date | undefined;
  let stopped = false;

  const run = (trigger: VerifierTrigger, scheduledTime: Date): Promise<VerificationReport> => {
    pending += 1;
    const result = chain.then(async () => {
      const started = Date.now();
      const startedAt = now().toISOString();
      try {
        const report = await options.handler({ scheduledTime: scheduledTime.toISOString() });
        options.onRun?.({ trigger, startedAt, durationMs: Date.now() - started, report });
        return report;
      } catch (error) {
        options.onRun?.({ trigger, startedAt, durationMs: Date.now() - started, error });
        throw error;
      }
    });
    chain = result.catch(() => undefined).finally(() => (pending -= 1));
    return result;
  };

  const arm = (after: Date): void => {
    nextAt = stopped ? undefined : schedule.next(after);
    if (nextAt === undefined) return;
    const due = nextAt;
    const wait = (): void => {
      const remaining = due.getTime() - now().getTime();
      if (remaining > 0) {
        timer = setTimeout(wait, Math.min(remaining, MAX_TIMER_MS));
        timer.unref();
        return;
      }
      timer = undefined;
      // Reported through onRun; the next fire time is armed whatever the outcome.
      run('schedule', due).catch(() => undefined);
      arm(due);
    };
    wait();
  };

  arm(now());
  if (options.runAtStart ?? true) run('start', now()).catch(() => undefined);

  return {
    schedule: options.schedule,
    nextRunAt: () => nextAt,
    runNow: () => {
      if (stopped) return Promise.reject(new Error('the local verifier is stopped'));
      return run('on-demand', now());
    },
    async idle() {
      while (pending > 0) await chain;
    },
    async stop() {
      stopped = true;
      nextAt = undefined;
      if (timer) clearTimeout(timer);
      timer = undefined;
      while (pending > 0) await chain;
    },
  };
}
