import type { SQSClient } from '@aws-sdk/client-sqs';
import { MetricUnit } from '@aws-lambda-powertools/metrics';

import { reverifyBackups, type ReverifyDependencies } from './backup-reverification';
import { OperationFailedError, type ReverifyRun, type SettleOutcome } from './operation-outcome';
import type { ConsumedQueue } from './operations-config';
import { OPERATIONS_METRICS } from './operations-metrics';
import { deleteInBatches, FailureLog, receiveInBatches, type ReceivedMessage } from './sqs-batches';

/** Characters of a record's body kept in the log line that records its settling (the record itself is deleted). */
const BODY_PREVIEW = 2000;

export interface SettleDependencies extends ReverifyDependencies {
  readonly sqs: SQSClient;
  /** Epoch milliseconds now: the start of the verification, against the records' SentTimestamp. */
  readonly now: () => number;
}

export interface SettleRequest {
  /** The verification failures queue. */
  readonly queue: ConsumedQueue;
  /** Most records received in this run. */
  readonly maxMessages: number;
  /** The alarm transition's time (ISO 8601). */
  readonly at: string;
  /** Long-poll wait of each receive, so an empty answer means the queue is empty. Default 1. */
  readonly waitTimeSeconds?: number;
  /** How long received records stay hidden while they are deleted. Default 60. */
  readonly visibilityTimeoutSeconds?: number;
}

/**
 * Settles the records of verification runs that never completed: invokes the verifier for a full run and waits for
 * its report; once it came back (whatever its verdicts: they are reported, and failed sources keep their own
 * alarms), receives up to `maxMessages` records and deletes those sent before the verification started. Records
 * sent later stand for runs this one may not cover: they stay for the next run. Each settled record is logged with
 * its body, so why the run failed is kept.
 *
 * A failed verification deletes nothing. Any failure ends in an OperationFailedError carrying what was done.
 */
export async function settleVerificationFailures(
  deps: SettleDependencies,
  request: SettleRequest,
): Promise<SettleOutcome> {
  const { sqs, logger, metrics } = deps;
  const { queue } = request;
  const startedMs = deps.now();
  const startedAt = new Date(startedMs).toISOString();
  const nothingDone = {
    kind: 'settle' as const,
    queueName: queue.name,
    queueUrl: queue.url,
    startedAt,
    received: 0,
    settled: 0,
    leftForNextRun: 0,
    failureCount: 0,
    failures: [],
    limitReached: false,
    maxMessages: request.maxMessages,
  };

  let verification: ReverifyRun;
  try {
    const outcome = await reverifyBackups(deps, { sources: 'all', at: request.at });
    verification = outcome.runs[0]!;
  } catch (error) {
    if (!(error instanceof OperationFailedError)) throw error;
    const cause = error.outcome.kind === 'reverify' ? error.outcome.failures[0]?.error : undefined;
    throw new OperationFailedError(
      `the full verification failed, so no record of ${queue.name} was deleted: ${error.message}`,
      { ...nothingDone, verificationError: cause ?? error.message },
      { cause: error },
    );
  }

  let settled = 0;
  let leftForNextRun = 0;
  const failures = new FailureLog((failure) =>
    logger.error('settling a verification failure record failed', { queue: queue.name, ...failure }),
  );

  const received = await receiveInBatches(
    sqs,
    {
      queueUrl: queue.url,
      maxMessages: request.maxMessages,
      waitTimeSeconds: request.waitTimeSeconds,
      visibilityTimeoutSeconds: request.visibilityTimeoutSeconds,
      systemAttributes: ['SentTimestamp', 'ApproximateReceiveCount'],
      where: 'the queue',
    },
    failures,
    async (fresh) => {
      const toDelete: ReceivedMessage[] = [];
      for (const message of fresh) {
        const sentMs = Number(message.Attributes?.SentTimestamp);
        if (!Number.isSafeInteger(sentMs)) {
          failures.add({
            step: 'receive',
            messageId: message.MessageId,
            error: 'SQS returned the record without a readable SentTimestamp: left in the queue',
          });
        } else if (sentMs > startedMs) {
          // A record left for the next run reappears once its visibility timeout ends: received, never counted twice.
          leftForNextRun += 1;
          logger.info('verification failure record newer than the verification: left for the next run', {
            queue: queue.name,
            messageId: message.MessageId,
            sentAt: new Date(sentMs).toISOString(),
            startedAt,
          });
        } else {
          toDelete.push(message);
        }
      }

      const deleted = await deleteInBatches(sqs, queue.url, toDelete, '(left in the queue)');
      deleted.failures.forEach((failure) => failures.add(failure));
      for (const message of deleted.deleted) {
        settled += 1;
        logger.info('settled a verification failure record', {
          queue: queue.name,
          messageId: message.MessageId,
          sentAt: new Date(Number(message.Attributes?.SentTimestamp)).toISOString(),
          body: preview(message.Body ?? ''),
        });
      }
      if (deleted.deleted.length > 0) {
        metrics.addMetric(
          OPERATIONS_METRICS.VERIFICATION_FAILURES_SETTLED,
          MetricUnit.Count,
          deleted.deleted.length,
        );
      }
      return { stop: deleted.callFailed };
    },
  );

  const outcome: SettleOutcome = {
    ...nothingDone,
    verification,
    received,
    settled,
    leftForNextRun,
    failureCount: failures.count,
    failures: failures.listed,
    limitReached: received >= request.maxMessages,
  };
  if (failures.count > 0) {
    throw new OperationFailedError(
      `settling the records of ${queue.name} did not complete: ${failures.count} failure(s), first: ${failures.listed[0]!.error}`,
      outcome,
    );
  }
  return outcome;
}

function preview(text: string): string {
  return text.length > BODY_PREVIEW ? `${text.slice(0, BODY_PREVIEW)}...` : text;
}
