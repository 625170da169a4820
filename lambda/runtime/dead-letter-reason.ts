import type { SQSRecord } from 'aws-lambda';
import { z } from 'zod';

import type { StatusStore } from '../../core/status/upload-status';
import { NON_FINAL_STATUSES } from '../../core/status/status-transitions';

/**
 * What a message's last failing delivery does before SQS moves it to the DLQ: SQS says nothing to the handler when
 * it dead-letters a message, so the handler counts itself. A delivery whose `ApproximateReceiveCount` has reached
 * the queue's `maxReceiveCount` is the last one; when it fails, the uploads it concerns get the status `error` with
 * a reason that says no retry comes (instead of "retrying"). A redrive (or local mode's requeue at start) delivers
 * the message again; a step that then completes the upload writes a final status, and a final status never keeps
 * the old reason (the status stores drop it, see status-record-fields.ts).
 */
export interface DeadLetterPolicy {
  /** The source queue's maxReceiveCount (the stack passes the value it gives the queue). */
  readonly maxReceiveCount: number;
}

/**
 * The handler setting `STOWAGE_DLQ_MAX_RECEIVE_COUNT` (HANDLER_ENV.DLQ_MAX_RECEIVE_COUNT): the source queue's
 * maxReceiveCount, 1-1000 as SQS allows; unset, no dead-letter reasons are recorded.
 */
export const maxReceiveCountSetting = z.coerce
  .number()
  .int('a whole number')
  .min(1, 'at least 1')
  .max(1000, 'at most 1000')
  .optional();

/** How many times SQS has delivered this message (1 on the first delivery). */
export function receiveCountOf(record: Pick<SQSRecord, 'attributes'>): number {
  const count = Number(record.attributes?.ApproximateReceiveCount);
  return Number.isInteger(count) && count > 0 ? count : 1;
}

/** True when a failure of this delivery sends the message to the DLQ. */
export function isLastDelivery(record: Pick<SQSRecord, 'attributes'>, policy: DeadLetterPolicy): boolean {
  return receiveCountOf(record) >= policy.maxReceiveCount;
}

/**
 * The owner-facing reason of a dead-lettered upload, e.g. `dead-lettered after 5 attempts: scan could not
 * complete`. `what` names the last failure by its kind only: the status is shown to the uploader, never internals.
 */
export function deadLetterReason(attempts: number, what: string): string {
  return `dead-lettered after ${attempts} attempts: ${what}`;
}

/** How a handler records dead-letter reasons. */
export interface DeadLetterReasonOptions {
  /** The source queue's redrive policy. */
  readonly policy: DeadLetterPolicy;
  /** Where the reason is written. */
  readonly statusStore: StatusStore;
  /** Upload ids the record concerns (none when the body cannot be read). */
  readonly uploadIdsOf: (record: SQSRecord) => readonly string[];
  /** The last failure in words fit for the owner, e.g. `scan could not complete`. */
  readonly describeFailure: (error: unknown) => string;
  /** Told when the reason could not be written (logging); the original failure is rethrown either way. */
  readonly onRecordFailure?: (uploadId: string, error: unknown) => void;
}

/**
 * Wraps a record handler: when a record fails on its last delivery, records the dead-letter reason on the status
 * of every upload the record concerns (`uploadIdsOf`) that is not final yet, then rethrows the original error so
 * SQS still moves the message to the DLQ. A failure to record the reason never replaces the original error.
 */
export function withDeadLetterReason(
  recordHandler: (record: SQSRecord) => Promise<void>,
  options: DeadLetterReasonOptions,
): (record: SQSRecord) => Promise<void> {
  return async (record) => {
    try {
      await recordHandler(record);
    } catch (error) {
      if (isLastDelivery(record, options.policy)) {
        const reason = deadLetterReason(receiveCountOf(record), options.describeFailure(error));
        let uploadIds: readonly string[] = [];
        try {
          uploadIds = options.uploadIdsOf(record);
        } catch {
          // An unreadable body concerns no known upload; the message itself goes to the DLQ.
        }
        for (const uploadId of uploadIds) {
          try {
            await options.statusStore.update(uploadId, { status: 'error', reason }, NON_FINAL_STATUSES);
          } catch (recordError) {
            options.onRecordFailure?.(uploadId, recordError);
          }
        }
      }
      throw error;
    }
  };
}
