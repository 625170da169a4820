import type { VerificationReport } from '../../core/backup/verify/verification-report';

/**
 * Most parked messages and failures an outcome lists one by one (the counts are always complete; the log has every
 * message): keeps an outcome well inside a DynamoDB item (400 KB) and an SNS message (256 KB).
 */
export const LISTED_MAX = 500;

/**
 * What one alarm transition's actions did. Plain JSON: the idempotency table stores it, so a retry after a failed
 * report publishes the same outcome without acting again.
 */
export type OperationOutcome = RedriveOutcome | ReverifyOutcome | SettleOutcome | ReportOnlyOutcome;

/** The outcomes of actions that can fail part-way (an OperationFailedError carries one). */
export type ActionOutcome = RedriveOutcome | ReverifyOutcome | SettleOutcome;

/** A message moved from a DLQ to the holding queue. */
export interface ParkedMessage {
  /** Its message id in the DLQ. */
  readonly messageId: string;
  /** Its message id in the holding queue. */
  readonly holdingMessageId: string;
  /** Redrives it had been through; null when its count attribute was unreadable. */
  readonly redriveCount: number | null;
  /** Why it was parked. */
  readonly reason: string;
  /** How often the DLQ has handed it out (SQS ApproximateReceiveCount), when known. */
  readonly receiveCount?: number;
}

/** A message or call that failed; the messages concerned stay in their queue (or, after a failed delete, may repeat). */
export interface RedriveFailure {
  readonly step: 'receive' | 'send' | 'park' | 'delete';
  /** The message concerned; absent when a receive failed. */
  readonly messageId?: string;
  readonly error: string;
}

export interface RedriveOutcome {
  readonly kind: 'redrive';
  readonly deadLetterQueueName: string;
  readonly sourceQueueUrl: string;
  readonly holdingQueueUrl: string;
  /** Messages received from the DLQ. */
  readonly received: number;
  /** Messages sent back to the source queue. */
  readonly redriven: number;
  /** Messages sent to the holding queue. */
  readonly parkedCount: number;
  /** The first LISTED_MAX of them. */
  readonly parked: readonly ParkedMessage[];
  /** Failed messages and calls: 0 in a completed outcome. */
  readonly failureCount: number;
  /** The first LISTED_MAX failures; empty in a completed outcome. */
  readonly failures: readonly RedriveFailure[];
  /** True when the run stopped at its message limit (more may remain in the DLQ). */
  readonly limitReached: boolean;
  /** The per-run limit. */
  readonly maxMessages: number;
  /** Set when the run stopped at its limit: whether the alarm was set back to OK to start another run. */
  readonly rearm?: AlarmRearm;
}

/**
 * A bounded run stopped with messages left in the queue its alarm watches. The alarm stays in ALARM and would never
 * fire again, so the handler sets it to OK: its next evaluation raises it again, and that transition starts the next
 * run. Only for messages left in the alarm's own queue (never for parked messages, which left it).
 */
export interface AlarmRearm {
  /** The alarm set (or to be set) to OK. */
  readonly alarmName: string;
  /** Messages left in the queue after the run; null when it could not be read. */
  readonly remaining: number | null;
  /** `rearmed`: set to OK; `not-needed`: nothing left, the alarm clears by itself; `failed`: see `error`. */
  readonly status: 'rearmed' | 'not-needed' | 'failed';
  /** The state reason sent to CloudWatch (`rearmed`, and `failed` when SetAlarmState itself failed). */
  readonly reason?: string;
  /** Why re-arming failed. */
  readonly error?: string;
}

/** One verifier invocation and the report it returned. */
export interface ReverifyRun {
  /** The source re-verified; absent for a full run. */
  readonly source?: string;
  readonly report: VerificationReport;
}

export interface ReverifyOutcome {
  readonly kind: 'reverify';
  /** Completed invocations, in order. */
  readonly runs: readonly ReverifyRun[];
  /** Empty in a completed outcome; the invocation that failed in a failed one. */
  readonly failures: readonly { readonly source?: string; readonly error: string }[];
}

/**
 * The verification failures queue's alarm fired: a full verification ran, and once it completed (whatever its
 * verdicts) the records of runs that never completed, sent before it started, were deleted.
 */
export interface SettleOutcome {
  readonly kind: 'settle';
  /** The verification failures queue. */
  readonly queueName: string;
  readonly queueUrl: string;
  /** When the verification was started (ISO 8601): records sent before it are settled by it. */
  readonly startedAt: string;
  /** The full verification run; absent when it failed (then no record was received or deleted). */
  readonly verification?: ReverifyRun;
  /** Why the verification failed; absent when it completed. */
  readonly verificationError?: string;
  /** Records received from the queue. */
  readonly received: number;
  /** Records deleted: the runs they stand for are superseded by this verification. */
  readonly settled: number;
  /** Records sent after the verification started: left in the queue for the next run. */
  readonly leftForNextRun: number;
  /** Failed records and calls: 0 in a completed outcome. */
  readonly failureCount: number;
  /** The first LISTED_MAX failures; empty in a completed outcome. */
  readonly failures: readonly RedriveFailure[];
  /** True when the run stopped at its record limit (more may remain). */
  readonly limitReached: boolean;
  /** The per-run limit. */
  readonly maxMessages: number;
  /** Set when records were left in the queue: whether the alarm was set back to OK to start another run. */
  readonly rearm?: AlarmRearm;
}

export interface ReportOnlyOutcome {
  readonly kind: 'report-only';
  /** Why nothing was done. */
  readonly note: string;
}

/**
 * An action did not complete. Carries what had been done up to the failure (messages already moved, reports
 * already received), so the failure report is complete; the invocation then fails and is retried.
 */
export class OperationFailedError extends Error {
  constructor(
    message: string,
    readonly outcome: ActionOutcome,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'OperationFailedError';
  }
}
