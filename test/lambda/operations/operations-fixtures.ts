import * as dynamoDbModule from '@aws-sdk/client-dynamodb';
import type { AttributeValue, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { InvokeCommandInput, InvokeCommandOutput } from '@aws-sdk/client-lambda';
import * as sqsModule from '@aws-sdk/client-sqs';
import type { MessageAttributeValue, SQSClient } from '@aws-sdk/client-sqs';
import type { AwsClientStub } from 'aws-sdk-client-mock';

import type { SourceReport, VerificationReport } from '../../../core/backup/verify/verification-report';
import type { PipelineLogger } from '../../../core/logging/pipeline-logger';

export const ENV = 'test';
export const ACCOUNT_URL = 'https://sqs.eu-west-1.amazonaws.com/123456789012';
export const INTAKE_QUEUE = `${ACCOUNT_URL}/stowage-test-intake`;
export const INTAKE_DLQ_NAME = 'stowage-test-intake-dlq';
export const INTAKE_DLQ = `${ACCOUNT_URL}/${INTAKE_DLQ_NAME}`;
export const HOLDING_QUEUE = `${ACCOUNT_URL}/stowage-test-operations-holding`;
export const FAILURES_QUEUE_NAME = 'Stowage-test-Backups-VerificationFailuresQueue1A2B3C4D-abc123';
export const FAILURES_QUEUE = `${ACCOUNT_URL}/${FAILURES_QUEUE_NAME}`;
export const FAILURES_ALARM = 'Stowage-test-BackupFailures-NotEmpty';
export const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:stowage-test-operations';
export const VERIFIER = 'Stowage-test-Backups-Verifier';
export const TABLE = 'stowage-test-operations-idempotency';
export const DLQ_ALARM = 'Stowage-test-IntakeDlqDepth';
export const TRANSITION_TIME = '2026-11-23T05:00:00.123+0000';

/** A "CloudWatch Alarm State Change" event as EventBridge delivers it. */
export function alarmEvent(
  options: {
    alarmName?: string;
    state?: 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';
    previousState?: 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';
    timestamp?: string;
    reason?: string;
    metrics?: { namespace: string; name: string; dimensions: Record<string, string> }[];
    composite?: boolean;
  } = {},
): Record<string, unknown> {
  const alarmName = options.alarmName ?? DLQ_ALARM;
  const metrics = options.metrics ?? [
    {
      namespace: 'AWS/SQS',
      name: 'ApproximateNumberOfMessagesVisible',
      dimensions: { QueueName: INTAKE_DLQ_NAME },
    },
  ];
  return {
    version: '0',
    id: 'c4c1c1c9-6542-e61b-6ef0-8c4d36933a92',
    'detail-type': 'CloudWatch Alarm State Change',
    source: 'aws.cloudwatch',
    account: '123456789012',
    time: '2026-11-23T05:00:01Z',
    region: 'eu-west-1',
    resources: [`arn:aws:cloudwatch:eu-west-1:123456789012:alarm:${alarmName}`],
    detail: {
      alarmName,
      state: {
        value: options.state ?? 'ALARM',
        reason:
          options.reason ??
          'Threshold Crossed: 1 out of the last 1 datapoints [3.0 (23/11/26 04:59:00)] was greater than or equal to the threshold (1.0).',
        reasonData: '{"version":"1.0"}',
        timestamp: options.timestamp ?? TRANSITION_TIME,
      },
      previousState: {
        value: options.previousState ?? 'OK',
        reason: 'Threshold Crossed',
        timestamp: '2026-11-22T05:00:00.000+0000',
      },
      configuration: options.composite
        ? { alarmRule: 'ALARM(Stowage-test-A) OR ALARM(Stowage-test-B)', description: 'Stowage health' }
        : {
            description: 'Messages in a dead-letter queue',
            metrics: metrics.map((metric, index) => ({
              id: `m${index}`,
              metricStat: { metric, period: 60, stat: 'Maximum' },
              returnData: true,
            })),
          },
    },
  };
}

/** A Lambda context: the idempotency layer reads the remaining time to bound an in-progress record. */
export function lambdaContext() {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: 'Stowage-test-Operations-Handler',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:Stowage-test-Operations-Handler',
    memoryLimitInMB: '256',
    awsRequestId: 'req-1',
    logGroupName: '/aws/lambda/Stowage-test-Operations-Handler',
    logStreamName: 'stream',
    getRemainingTimeInMillis: () => 60_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** A logger that keeps each entry with its attributes. */
export function recordingLogger(): PipelineLogger & {
  entries: { level: string; message: string; attributes: Record<string, unknown> }[];
} {
  const entries: { level: string; message: string; attributes: Record<string, unknown> }[] = [];
  return {
    entries,
    info: (message, attributes) => entries.push({ level: 'info', message, attributes }),
    warn: (message, attributes) => entries.push({ level: 'warn', message, attributes }),
    error: (message, attributes) => entries.push({ level: 'error', message, attributes }),
  };
}

/** Metrics stand-in: the sum of each metric over everything flushed, and how often it was flushed. */
export function recordingMetrics() {
  const totals: Record<string, number> = {};
  let pending: Record<string, number> = {};
  const state = { flushes: 0 };
  return {
    totals,
    state,
    addMetric: (name: string, _unit: string, value: number) => {
      pending[name] = (pending[name] ?? 0) + value;
    },
    publishStoredMetrics: () => {
      for (const [name, value] of Object.entries(pending)) totals[name] = (totals[name] ?? 0) + value;
      pending = {};
      state.flushes += 1;
    },
  };
}

/** The Payload of an Invoke answer (the SDK hands back a Uint8Array subclass; a Buffer reads the same). */
export function invokePayload(value: unknown): InvokeCommandOutput['Payload'] {
  return Buffer.from(JSON.stringify(value)) as unknown as InvokeCommandOutput['Payload'];
}

/** The JSON payload an Invoke call sent. */
export function sentPayload(input: InvokeCommandInput): unknown {
  return JSON.parse(Buffer.from(input.Payload as Uint8Array).toString('utf8'));
}

/** A verification report as the verifier returns it. */
export function verificationReport(
  sources: Partial<SourceReport>[],
  fields: Partial<VerificationReport> = {},
) {
  const entries: SourceReport[] = sources.map((source) => ({
    source: 'main-db',
    format: 'pg-dump',
    status: 'ok',
    key: 'backups/main-db/20261123/main-db_20261123_040000.dump',
    takenAt: '2026-11-23T04:00:00.000Z',
    ageHours: 1,
    sizeBytes: 123456,
    checks: [{ name: 'present', ok: true, detail: 'newest backup found' }],
    ...source,
  }));
  return {
    env: ENV,
    at: '2026-11-23T05:00:00.123Z',
    bucket: 'stowage-test-backups',
    ok: entries.every((entry) => entry.status === 'ok' || entry.status === 'archived'),
    sources: entries,
    ...fields,
  } satisfies VerificationReport;
}

// ---------------------------------------------------------------------------------------------------------------
// An in-memory SQS behind aws-sdk-client-mock: queues by URL, receive hides what it hands out, batch calls honour
// SQS's limits (10 entries, 10 attributes per message) and report per entry. Faults are injected per test.

export interface StoredMessage {
  readonly messageId: string;
  readonly body: string;
  readonly attributes: Record<string, MessageAttributeValue>;
  receiveCount: number;
  /** When it was sent (epoch milliseconds; SQS's SentTimestamp). */
  readonly sentAt: number;
  /** The latest receipt handle, once received. */
  receiptHandle?: string;
  /** Received and still hidden by its visibility timeout. */
  inFlight: boolean;
}

export interface SqsFaults {
  /** Receives from these queues are rejected. */
  receiveFails?: Set<string>;
  /** Whole SendMessageBatch calls to these queues are rejected. */
  sendFails?: Set<string>;
  /** Entries with these bodies fail inside a SendMessageBatch (per-entry failure). */
  failBodies?: Set<string>;
  /** Whole DeleteMessageBatch calls are rejected. */
  deleteFails?: boolean;
  /** Delete entries for messages with these bodies fail (per-entry failure). */
  failDeleteBodies?: Set<string>;
  /** Received messages stay visible (a visibility timeout that ends before the run does). */
  zeroVisibilityTimeout?: boolean;
  /** GetQueueAttributes calls are rejected. */
  attributesFail?: boolean;
}

export class FakeSqs {
  readonly queues = new Map<string, StoredMessage[]>();
  readonly faults: SqsFaults = {};
  private nextId = 1;

  /** `commands`: the client module whose command classes the code under test sends (jest.isolateModules). */
  constructor(sqs: AwsClientStub<SQSClient>, commands: typeof sqsModule = sqsModule) {
    const {
      DeleteMessageBatchCommand,
      GetQueueAttributesCommand,
      ReceiveMessageCommand,
      SendMessageBatchCommand,
    } = commands;
    sqs.on(ReceiveMessageCommand).callsFake((input: sqsModule.ReceiveMessageCommandInput) => {
      const url = input.QueueUrl!;
      if (this.faults.receiveFails?.has(url)) throw awsError('AccessDenied', 'not authorized to receive');
      const visible = this.queue(url).filter((message) => !message.inFlight);
      const batch = visible.slice(0, input.MaxNumberOfMessages ?? 1);
      for (const message of batch) {
        message.receiveCount += 1;
        message.receiptHandle = `rh-${message.messageId}-${message.receiveCount}`;
        message.inFlight = !this.faults.zeroVisibilityTimeout;
      }
      return {
        Messages: batch.map((message) => ({
          MessageId: message.messageId,
          ReceiptHandle: message.receiptHandle,
          Body: message.body,
          Attributes: {
            ApproximateReceiveCount: String(message.receiveCount),
            SentTimestamp: String(message.sentAt),
          },
          ...(Object.keys(message.attributes).length > 0 ? { MessageAttributes: message.attributes } : {}),
        })),
      };
    });
    sqs.on(SendMessageBatchCommand).callsFake((input: sqsModule.SendMessageBatchCommandInput) => {
      const url = input.QueueUrl!;
      const entries = input.Entries ?? [];
      if (entries.length > 10) throw awsError('TooManyEntriesInBatchRequest', `${entries.length} entries`);
      if (this.faults.sendFails?.has(url))
        throw awsError('KMS.AccessDeniedException', 'kms:GenerateDataKey denied');
      const Successful: { Id: string; MessageId: string; MD5OfMessageBody: string }[] = [];
      const Failed: { Id: string; Code: string; Message: string; SenderFault: boolean }[] = [];
      for (const entry of entries) {
        const attributes = entry.MessageAttributes ?? {};
        if (Object.keys(attributes).length > 10) {
          Failed.push({
            Id: entry.Id!,
            Code: 'InvalidParameterValue',
            Message: 'too many attributes',
            SenderFault: true,
          });
        } else if (this.faults.failBodies?.has(entry.MessageBody!)) {
          Failed.push({ Id: entry.Id!, Code: 'InternalError', Message: 'try again', SenderFault: false });
        } else {
          const stored = this.put(url, entry.MessageBody!, attributes);
          Successful.push({ Id: entry.Id!, MessageId: stored.messageId, MD5OfMessageBody: '' });
        }
      }
      return { Successful, Failed };
    });
    sqs.on(GetQueueAttributesCommand).callsFake((input: sqsModule.GetQueueAttributesCommandInput) => {
      if (this.faults.attributesFail)
        throw awsError('AccessDenied', 'not authorized to get queue attributes');
      const queue = this.queue(input.QueueUrl!);
      const counts: Record<string, string> = {
        ApproximateNumberOfMessages: String(queue.filter((message) => !message.inFlight).length),
        ApproximateNumberOfMessagesNotVisible: String(queue.filter((message) => message.inFlight).length),
      };
      return {
        Attributes: Object.fromEntries((input.AttributeNames ?? []).map((name) => [name, counts[name]])),
      };
    });
    sqs.on(DeleteMessageBatchCommand).callsFake((input: sqsModule.DeleteMessageBatchCommandInput) => {
      if (this.faults.deleteFails) throw awsError('ServiceUnavailable', 'try later');
      const queue = this.queue(input.QueueUrl!);
      const Successful: { Id: string }[] = [];
      const Failed: { Id: string; Code: string; Message: string; SenderFault: boolean }[] = [];
      for (const entry of input.Entries ?? []) {
        const index = queue.findIndex((message) => message.receiptHandle === entry.ReceiptHandle);
        if (index < 0 || this.faults.failDeleteBodies?.has(queue[index]!.body)) {
          Failed.push({
            Id: entry.Id!,
            Code: 'ReceiptHandleIsInvalid',
            Message: 'expired',
            SenderFault: true,
          });
          continue;
        }
        queue.splice(index, 1);
        Successful.push({ Id: entry.Id! });
      }
      return { Successful, Failed };
    });
  }

  /** Puts a message on a queue (as a failed consumer's message lands in its DLQ), sent at `sentAt` (default now). */
  put(
    url: string,
    body: string,
    attributes: Record<string, MessageAttributeValue> = {},
    sentAt: number = Date.now(),
  ): StoredMessage {
    const stored: StoredMessage = {
      messageId: `msg-${this.nextId++}`,
      body,
      attributes,
      receiveCount: 0,
      sentAt,
      inFlight: false,
    };
    this.queue(url).push(stored);
    return stored;
  }

  /** Every message of a queue, in flight or not. */
  queue(url: string): StoredMessage[] {
    let queue = this.queues.get(url);
    if (!queue) {
      queue = [];
      this.queues.set(url, queue);
    }
    return queue;
  }

  /** The bodies on a queue. */
  bodies(url: string): string[] {
    return this.queue(url).map((message) => message.body);
  }

  /** The consumer of `from` fails every message: SQS moves them, id and attributes unchanged, to the DLQ `to`. */
  deadLetter(from: string, to: string): void {
    for (const message of this.queue(from).splice(0)) {
      this.queue(to).push({ ...message, receiveCount: 0, inFlight: false });
    }
  }

  /** Makes the DLQ's in-flight messages visible again (their visibility timeout ended). */
  expireVisibility(url: string): void {
    for (const message of this.queue(url)) message.inFlight = false;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// An in-memory DynamoDB table behind aws-sdk-client-mock, enough for Powertools' DynamoDBPersistenceLayer: the
// conditional put (absent, expired, or in progress past its in-progress expiry), get, update (SET) and delete.

export class FakeIdempotencyTable {
  readonly items = new Map<string, Record<string, AttributeValue>>();
  /** Every table name the layer used. */
  readonly tableNames = new Set<string>();

  /** `commands`: the client module whose commands and errors the persistence layer uses (jest.isolateModules). */
  constructor(dynamo: AwsClientStub<DynamoDBClient>, commands: typeof dynamoDbModule = dynamoDbModule) {
    const {
      ConditionalCheckFailedException,
      DeleteItemCommand,
      GetItemCommand,
      PutItemCommand,
      UpdateItemCommand,
    } = commands;
    dynamo.on(PutItemCommand).callsFake((input: dynamoDbModule.PutItemCommandInput) => {
      this.tableNames.add(input.TableName!);
      const item = input.Item!;
      const key = item['id']!.S!;
      const existing = this.items.get(key);
      if (existing && !this.replaceable(existing)) {
        throw new ConditionalCheckFailedException({
          message: 'The conditional request failed',
          $metadata: {},
          Item: existing,
        });
      }
      this.items.set(key, { ...item });
    });
    dynamo.on(GetItemCommand).callsFake((input: dynamoDbModule.GetItemCommandInput) => {
      const item = this.items.get(input.Key!['id']!.S!);
      return item ? { Item: item } : {};
    });
    dynamo.on(UpdateItemCommand).callsFake((input: dynamoDbModule.UpdateItemCommandInput) => {
      const key = input.Key!['id']!.S!;
      const item = { ...(this.items.get(key) ?? input.Key!) };
      const assignments = input.UpdateExpression!.replace(/^SET\s+/, '').split(/\s*,\s*/);
      for (const assignment of assignments) {
        const [name, value] = assignment.split(/\s*=\s*/) as [string, string];
        item[input.ExpressionAttributeNames![name]!] = input.ExpressionAttributeValues![value]!;
      }
      // DynamoDB refuses items over 400 KB (the marshalled JSON is a close, slightly larger, estimate).
      if (Buffer.byteLength(JSON.stringify(item)) > 400 * 1024) {
        throw Object.assign(new Error('Item size has exceeded the maximum allowed size'), {
          name: 'ValidationException',
        });
      }
      this.items.set(key, item);
    });
    dynamo.on(DeleteItemCommand).callsFake((input: dynamoDbModule.DeleteItemCommandInput) => {
      this.items.delete(input.Key!['id']!.S!);
    });
  }

  /** Records by status. */
  statuses(): string[] {
    return [...this.items.values()].map((item) => item['status']!.S!);
  }

  private replaceable(item: Record<string, AttributeValue>): boolean {
    const now = Date.now();
    if (Number(item['expiration']!.N) < now / 1000) return true;
    const inProgressExpiry = item['in_progress_expiration']?.N;
    return (
      item['status']!.S === 'INPROGRESS' && inProgressExpiry !== undefined && Number(inProgressExpiry) < now
    );
  }
}

function awsError(name: string, message: string): Error {
  return Object.assign(new Error(message), { name, $fault: 'client', $metadata: {} });
}
