import {
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { MetricUnit } from '@aws-lambda-powertools/metrics';

import { describeError } from '../shared/backup/verify/error-message';
import { reverifyBackups, type ReverifyDependencies } from './backup-reverification';
import {
  LISTED_MAX,
  OperationFailedError,
  type RedriveFailure,
  type ReverifyRun,
  type SettleOutcome,
} from './operation-outcome';
import type { ConsumedQueue } from './operations-config';
import { OPERATIONS_METRICS } from './operations-metrics';

/** SQS returns at most 10 messages per receive and takes at most 10 entries per batch call. */
const SQS_BATCH = 10;
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

type Received = Message & { MessageId: string; ReceiptHandle: string };

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

  let received = 0;
  let settled = 0;
  let leftForNextRun = 0;
  const failures: RedriveFailure[] = [];
  let failureCount = 0;
  const seen = new Set<string>();
  let stopped = false;
  const fail = (failure: RedriveFailure): void => {
    failureCount += 1;
    if (failures.length < LISTED_MAX) failures.push(failure);
    logger.error('settling a verification failure record failed', { queue: queue.name, ...failure });
  };

  while (!stopped && received < request.maxMessages) {
    let messages: Message[];
    try {
      const response = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queue.url,
          MaxNumberOfMessages: Math.min(SQS_BATCH, request.maxMessages - received),
          WaitTimeSeconds: request.waitTimeSeconds ?? 1,
          VisibilityTimeout: request.visibilityTimeoutSeconds ?? 60,
          MessageSystemAttributeNames: ['SentTimestamp', 'ApproximateReceiveCount'],
        }),
      );
      messages = response.Messages ?? [];
    } catch (error) {
      fail({ step: 'receive', error: describeError(error) });
      break;
    }
    if (messages.length === 0) break;
    received += messages.length;

    let fresh = 0;
    const toDelete: Received[] = [];
    for (const message of messages) {
      if (!message.MessageId || !message.ReceiptHandle) {
        fail({
          step: 'receive',
          ...(message.MessageId ? { messageId: message.MessageId } : {}),
          error: 'SQS returned a record without id or receipt handle: left in the queue',
        });
        continue;
      }
      // A record left for the next run reappears once its visibility timeout ends: never count it twice.
      if (seen.has(message.MessageId)) continue;
      seen.add(message.MessageId);
      fresh += 1;
      const sentMs = Number(message.Attributes?.SentTimestamp);
      if (!Number.isSafeInteger(sentMs)) {
        fail({
          step: 'receive',
          messageId: message.MessageId,
          error: 'SQS returned the record without a readable SentTimestamp: left in the queue',
        });
      } else if (sentMs > startedMs) {
        leftForNextRun += 1;
        logger.info('verification failure record newer than the verification: left for the next run', {
          queue: queue.name,
          messageId: message.MessageId,
          sentAt: new Date(sentMs).toISOString(),
          startedAt,
        });
      } else {
        toDelete.push(message as Received);
      }
    }
    if (fresh === 0) break;

    const deleted = await deleteRecords(sqs, queue.url, toDelete);
    deleted.failures.forEach(fail);
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
    stopped = deleted.callFailed;
  }

  const outcome: SettleOutcome = {
    ...nothingDone,
    verification,
    received,
    settled,
    leftForNextRun,
    failureCount,
    failures,
    limitReached: received >= request.maxMessages,
  };
  if (failureCount > 0) {
    throw new OperationFailedError(
      `settling the records of ${queue.name} did not complete: ${failureCount} failure(s), first: ${failures[0]!.error}`,
      outcome,
    );
  }
  return outcome;
}

/** DeleteMessageBatch in chunks of 10; reports which records were deleted and which were not. */
async function deleteRecords(
  sqs: SQSClient,
  queueUrl: string,
  messages: readonly Received[],
): Promise<{ deleted: Received[]; failures: RedriveFailure[]; callFailed: boolean }> {
  const deleted: Received[] = [];
  const failures: RedriveFailure[] = [];
  for (let start = 0; start < messages.length; start += SQS_BATCH) {
    const chunk = messages.slice(start, start + SQS_BATCH);
    const byId = new Map(chunk.map((message, index) => [`d${index}`, message]));
    try {
      const response = await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: [...byId].map(([id, message]) => ({ Id: id, ReceiptHandle: message.ReceiptHandle })),
        }),
      );
      for (const entry of response.Successful ?? []) {
        const message = entry.Id ? byId.get(entry.Id) : undefined;
        if (!message) continue;
        byId.delete(entry.Id!);
        deleted.push(message);
      }
      for (const entry of response.Failed ?? []) {
        const message = entry.Id ? byId.get(entry.Id) : undefined;
        if (!message) continue;
        byId.delete(entry.Id!);
        failures.push({
          step: 'delete',
          messageId: message.MessageId,
          error: `${entry.Code ?? 'Failed'}: ${entry.Message ?? 'no message'} (left in the queue)`,
        });
      }
      for (const message of byId.values()) {
        failures.push({
          step: 'delete',
          messageId: message.MessageId,
          error: 'DeleteMessageBatch reported no result for this record (left in the queue, or deleted)',
        });
      }
    } catch (error) {
      for (const message of chunk) {
        failures.push({
          step: 'delete',
          messageId: message.MessageId,
          error: `${describeError(error)} (left in the queue)`,
        });
      }
      return { deleted, failures, callFailed: true };
    }
  }
  return { deleted, failures, callFailed: false };
}

function preview(text: string): string {
  return text.length > BODY_PREVIEW ? `${text.slice(0, BODY_PREVIEW)}...` : text;
}
