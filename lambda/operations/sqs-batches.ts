import {
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  type Message,
  type MessageSystemAttributeName,
  type SQSClient,
} from '@aws-sdk/client-sqs';

import { describeError } from '../../core/backup/verify/error-message';
import { LISTED_MAX, type RedriveFailure } from './operation-outcome';

/** SQS returns at most 10 messages per receive and takes at most 10 entries per batch call. */
export const SQS_BATCH = 10;

/** A message SQS returned with what a run needs to act on it. */
export type ReceivedMessage = Message & { MessageId: string; ReceiptHandle: string };

/** The failures of one run: every one counted and logged, the first LISTED_MAX kept for the report. */
export class FailureLog {
  count = 0;
  readonly listed: RedriveFailure[] = [];

  constructor(private readonly log: (failure: RedriveFailure) => void) {}

  add(failure: RedriveFailure): void {
    this.count += 1;
    if (this.listed.length < LISTED_MAX) this.listed.push(failure);
    this.log(failure);
  }
}

export interface BoundedReceive {
  readonly queueUrl: string;
  /** Most messages received in the run. */
  readonly maxMessages: number;
  /** Long-poll wait of each receive, so an empty answer means the queue is empty. Default 1. */
  readonly waitTimeSeconds?: number;
  /** How long received messages stay hidden while the run acts on them. Default 60. */
  readonly visibilityTimeoutSeconds?: number;
  /** Receive the message attributes too. Default false. */
  readonly messageAttributes?: boolean;
  readonly systemAttributes: readonly MessageSystemAttributeName[];
  /** A message without a body is left in the queue and counted as a failure. Default false. */
  readonly requireBody?: boolean;
  /** What the queue holds, in failure messages: `the DLQ`, `the queue`. */
  readonly where: string;
}

/**
 * Receives up to `maxMessages` messages in batches of 10 and hands each batch's new messages to `handle`, until the
 * queue answers empty, the bound is reached, a batch brings nothing new, a receive fails (a failure) or `handle`
 * says stop. A message seen before in the run (it reappeared after its visibility timeout) is never handed on twice;
 * one without id or receipt handle (or body, when required) is left where it is and counted as a failure.
 * Returns the number of messages received.
 */
export async function receiveInBatches(
  sqs: SQSClient,
  request: BoundedReceive,
  failures: FailureLog,
  handle: (fresh: ReceivedMessage[]) => Promise<{ readonly stop: boolean }>,
): Promise<number> {
  let received = 0;
  const seen = new Set<string>();
  while (received < request.maxMessages) {
    let messages: Message[];
    try {
      const response = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: request.queueUrl,
          MaxNumberOfMessages: Math.min(SQS_BATCH, request.maxMessages - received),
          WaitTimeSeconds: request.waitTimeSeconds ?? 1,
          VisibilityTimeout: request.visibilityTimeoutSeconds ?? 60,
          ...(request.messageAttributes ? { MessageAttributeNames: ['All'] } : {}),
          MessageSystemAttributeNames: [...request.systemAttributes],
        }),
      );
      messages = response.Messages ?? [];
    } catch (error) {
      failures.add({ step: 'receive', error: describeError(error) });
      break;
    }
    if (messages.length === 0) break;
    received += messages.length;

    const fresh: ReceivedMessage[] = [];
    for (const message of messages) {
      if (
        !message.MessageId ||
        !message.ReceiptHandle ||
        (request.requireBody && message.Body === undefined)
      ) {
        failures.add({
          step: 'receive',
          ...(message.MessageId ? { messageId: message.MessageId } : {}),
          error: `SQS returned a message without ${request.requireBody ? 'id, receipt handle or body' : 'id or receipt handle'}: left in ${request.where}`,
        });
        continue;
      }
      if (seen.has(message.MessageId)) continue;
      seen.add(message.MessageId);
      fresh.push(message as ReceivedMessage);
    }
    if (fresh.length === 0) break;
    if ((await handle(fresh)).stop) break;
  }
  return received;
}

/** What a batch delete did: the messages deleted; failures for the rest; whether a whole call was rejected. */
export interface DeleteResult<M extends ReceivedMessage> {
  readonly deleted: M[];
  readonly failures: RedriveFailure[];
  readonly callFailed: boolean;
}

/**
 * DeleteMessageBatch in chunks of 10. A message SQS did not delete (an entry failure, an entry it reported neither
 * way, or a rejected call, which stops at that chunk) becomes a failure whose message ends with `note`, which says
 * what that means for the message, e.g. `(left in the queue)`.
 */
export async function deleteInBatches<M extends ReceivedMessage>(
  sqs: SQSClient,
  queueUrl: string,
  messages: readonly M[],
  note: string,
): Promise<DeleteResult<M>> {
  const deleted: M[] = [];
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
          error: `${entry.Code ?? 'Failed'}: ${entry.Message ?? 'no message'} ${note}`,
        });
      }
      for (const message of byId.values()) {
        failures.push({
          step: 'delete',
          messageId: message.MessageId,
          error: `DeleteMessageBatch reported no result for this entry ${note}`,
        });
      }
    } catch (error) {
      for (const message of chunk) {
        failures.push({
          step: 'delete',
          messageId: message.MessageId,
          error: `${describeError(error)} ${note}`,
        });
      }
      return { deleted, failures, callFailed: true };
    }
  }
  return { deleted, failures, callFailed: false };
}
