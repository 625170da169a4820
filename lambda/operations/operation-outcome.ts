import type { VerificationReport } from '../shared/backup/verify/verification-report';

/**
 * Most parked messages and failures an outcome lists one by one (the counts are always complete; the log has every
 * message): keeps an outcome well inside a DynamoDB item (400 KB) and an SNS message (256 KB).
 */
export const LISTED_MAX = 500;

/**
 * What one alarm transition's actions did. Plain JSON: the idempotency table stores it, so a retry after a failed
 * report publishes the same outcome without acting again.
 */
export type OperationOutcome = RedriveOutcome | ReverifyOutcome | ReportOnlyOutcome;

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

/** A message or call that failed; the messages concerned stay in the DLQ (or, after a failed delete, may repeat). */
export interface RedriveFailure {
  readonly step: 'receive' | 'send' | 'park' | 'delete';
  /** The DLQ message concerned; absent when a receive failed. */
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
    readonly outcome: RedriveOutcome | ReverifyOutcome,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'OperationFailedError';
  }
}
