import { SendMessageBatchCommand, type Message, type SQSClient } from '@aws-sdk/client-sqs';
import { MetricUnit } from '@aws-lambda-powertools/metrics';

import { describeError } from '../../core/backup/verify/error-message';
import type { HandlerMetrics } from '../runtime/batch-metrics';
import type { PipelineLogger } from '../../core/logging/pipeline-logger';
import { OPERATIONS_METRICS } from './operations-metrics';
import type { RedriveRoute } from './operations-config';
import {
  LISTED_MAX,
  OperationFailedError,
  type ParkedMessage,
  type RedriveFailure,
  type RedriveOutcome,
} from './operation-outcome';
import { dispositionOf, messageSize, type Disposition } from './redrive-attributes';
import { deleteInBatches, FailureLog, receiveInBatches, SQS_BATCH } from './sqs-batches';

/** Bytes one SendMessageBatch may carry in all (SQS's classic 256 KiB limit, the conservative one). */
const SEND_BATCH_BYTES = 256 * 1024;

export interface RedriveDependencies {
  readonly sqs: SQSClient;
  readonly logger: PipelineLogger;
  readonly metrics: HandlerMetrics;
}

export interface RedriveRequest {
  readonly route: RedriveRoute;
  readonly holdingQueueUrl: string;
  /** Most messages received in this run. */
  readonly maxMessages: number;
  /** A message already redriven this many times is parked. */
  readonly poisonMaxRedrives: number;
  /** The alarm that asked for the redrive (named on parked messages). */
  readonly alarmName: string;
  /** Long-poll wait of each receive, so an empty answer means the DLQ is empty. Default 1. */
  readonly waitTimeSeconds?: number;
  /** How long received messages stay hidden from other consumers while they are moved. Default 60. */
  readonly visibilityTimeoutSeconds?: number;
}

interface Decided {
  readonly message: Message & { MessageId: string; ReceiptHandle: string; Body: string };
  readonly disposition: Disposition;
}

/**
 * Moves up to `maxMessages` messages out of a DLQ, in batches of 10: each goes back to its source queue with its
 * body and attributes and a redrive count one higher, or, once it has been redriven `poisonMaxRedrives` times, to
 * the holding queue. A message is deleted from the DLQ only after its send succeeded, so a failed send leaves it
 * where it was and a failed delete at worst delivers it twice. Per-entry failures are recorded and the run goes
 * on; a failed call (receive, a whole send batch, a delete batch) stops the run. Any failure ends in an
 * OperationFailedError carrying what was done, after everything that could be done was done.
 */
export async function redriveDeadLetterQueue(
  deps: RedriveDependencies,
  request: RedriveRequest,
): Promise<RedriveOutcome> {
  const { sqs, logger, metrics } = deps;
  const { route } = request;
  let redriven = 0;
  const parked: ParkedMessage[] = [];
  let parkedCount = 0;
  const failures = new FailureLog((failure) =>
    logger.error('redrive step failed', { deadLetterQueue: route.deadLetterQueueName, ...failure }),
  );

  const received = await receiveInBatches(
    sqs,
    {
      queueUrl: route.deadLetterQueueUrl,
      maxMessages: request.maxMessages,
      waitTimeSeconds: request.waitTimeSeconds,
      visibilityTimeoutSeconds: request.visibilityTimeoutSeconds,
      messageAttributes: true,
      systemAttributes: ['ApproximateReceiveCount'],
      requireBody: true,
      where: 'the DLQ',
    },
    failures,
    async (fresh) => {
      const decided = (fresh as Decided['message'][]).map((message) => ({
        message,
        disposition: dispositionOf(message, {
          poisonMaxRedrives: request.poisonMaxRedrives,
          deadLetterQueueName: route.deadLetterQueueName,
          sourceQueueUrl: route.sourceQueueUrl,
          alarmName: request.alarmName,
        }),
      }));

      const toDelete: Decided['message'][] = [];
      const redrive = await sendAll(sqs, route.sourceQueueUrl, 'send', decided.filter(isRedrive));
      for (const sent of redrive.sent) toDelete.push(sent.decided.message);
      redrive.failures.forEach((failure) => failures.add(failure));
      if (redrive.sent.length > 0) {
        redriven += redrive.sent.length;
        metrics.addMetric(OPERATIONS_METRICS.MESSAGES_REDRIVEN, MetricUnit.Count, redrive.sent.length);
        logger.info('redrove messages', {
          deadLetterQueue: route.deadLetterQueueName,
          sourceQueueUrl: route.sourceQueueUrl,
          messages: redrive.sent.map(({ decided: { message, disposition }, newMessageId }) => ({
            messageId: message.MessageId,
            newMessageId,
            redriveCount: disposition.redriveCount,
          })),
        });
      }

      const park = await sendAll(sqs, request.holdingQueueUrl, 'park', decided.filter(isPark));
      park.failures.forEach((failure) => failures.add(failure));
      for (const { decided: item, newMessageId } of park.sent) {
        if (item.disposition.kind !== 'park') continue;
        toDelete.push(item.message);
        const receiveCount = Number(item.message.Attributes?.ApproximateReceiveCount);
        const entry: ParkedMessage = {
          messageId: item.message.MessageId,
          holdingMessageId: newMessageId,
          redriveCount: item.disposition.redriveCount,
          reason: item.disposition.reason,
          ...(Number.isInteger(receiveCount) ? { receiveCount } : {}),
        };
        parkedCount += 1;
        if (parked.length < LISTED_MAX) parked.push(entry);
        logger.warn('parked a poison message in the holding queue', {
          deadLetterQueue: route.deadLetterQueueName,
          holdingQueueUrl: request.holdingQueueUrl,
          ...entry,
        });
      }
      if (park.sent.length > 0) {
        metrics.addMetric(OPERATIONS_METRICS.MESSAGES_PARKED, MetricUnit.Count, park.sent.length);
      }

      const deleted = await deleteInBatches(
        sqs,
        route.deadLetterQueueUrl,
        toDelete,
        '(already sent: it may be delivered twice)',
      );
      deleted.failures.forEach((failure) => failures.add(failure));
      return { stop: redrive.callFailed || park.callFailed || deleted.callFailed };
    },
  );

  const outcome: RedriveOutcome = {
    kind: 'redrive',
    deadLetterQueueName: route.deadLetterQueueName,
    sourceQueueUrl: route.sourceQueueUrl,
    holdingQueueUrl: request.holdingQueueUrl,
    received,
    redriven,
    parkedCount,
    parked,
    failureCount: failures.count,
    failures: failures.listed,
    limitReached: received >= request.maxMessages,
    maxMessages: request.maxMessages,
  };
  if (failures.count > 0) {
    throw new OperationFailedError(
      `redrive of ${route.deadLetterQueueName} did not complete: ${failures.count} failure(s), first: ${failures.listed[0]!.error}`,
      outcome,
    );
  }
  return outcome;
}

function isRedrive(item: Decided): boolean {
  return item.disposition.kind === 'redrive';
}

function isPark(item: Decided): boolean {
  return item.disposition.kind === 'park';
}

interface SendResult {
  readonly sent: { readonly decided: Decided; readonly newMessageId: string }[];
  readonly failures: RedriveFailure[];
  /** A whole call was rejected (not just entries): the run stops after this batch. */
  readonly callFailed: boolean;
}

/** SendMessageBatch in chunks of at most 10 entries and SEND_BATCH_BYTES; reports what was sent and what was not. */
async function sendAll(
  sqs: SQSClient,
  queueUrl: string,
  step: 'send' | 'park',
  items: readonly Decided[],
): Promise<SendResult> {
  const sent: SendResult['sent'] = [];
  const failures: RedriveFailure[] = [];
  let callFailed = false;
  for (const chunk of chunkForSend(items)) {
    const byId = new Map(chunk.map((item, index) => [`m${index}`, item]));
    try {
      const response = await sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: [...byId].map(([id, item]) => ({
            Id: id,
            MessageBody: item.message.Body,
            MessageAttributes: item.disposition.attributes,
          })),
        }),
      );
      for (const entry of response.Successful ?? []) {
        const item = entry.Id ? byId.get(entry.Id) : undefined;
        if (!item) continue;
        byId.delete(entry.Id!);
        sent.push({ decided: item, newMessageId: entry.MessageId ?? '' });
      }
      for (const entry of response.Failed ?? []) {
        const item = entry.Id ? byId.get(entry.Id) : undefined;
        if (!item) continue;
        byId.delete(entry.Id!);
        failures.push({
          step,
          messageId: item.message.MessageId,
          error: `${entry.Code ?? 'Failed'}${entry.SenderFault ? ' (sender fault)' : ''}: ${entry.Message ?? 'no message'}`,
        });
      }
      // An entry SQS reported neither way: its fate is unknown, so it is not deleted.
      for (const item of byId.values()) {
        failures.push({
          step,
          messageId: item.message.MessageId,
          error: 'SendMessageBatch reported no result for this entry',
        });
      }
    } catch (error) {
      callFailed = true;
      for (const item of chunk) {
        failures.push({ step, messageId: item.message.MessageId, error: describeError(error) });
      }
    }
  }
  return { sent, failures, callFailed };
}

/** Chunks of at most 10 entries whose messages add up to at most SEND_BATCH_BYTES (a bigger message goes alone). */
function chunkForSend(items: readonly Decided[]): Decided[][] {
  const chunks: Decided[][] = [];
  let current: Decided[] = [];
  let bytes = 0;
  for (const item of items) {
    const size = messageSize(item.message.Body, item.disposition.attributes);
    if (current.length > 0 && (current.length === SQS_BATCH || bytes + size > SEND_BATCH_BYTES)) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}
