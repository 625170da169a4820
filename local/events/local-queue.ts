import { randomUUID } from 'crypto';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';

/** What a queue consumer is: the same signature as an SQS-triggered Lambda handler with partial batch responses. */
export type BatchConsumer = (event: SQSEvent) => Promise<SQSBatchResponse | void>;

/** Deliveries before a message is dead-lettered when the options name none (SQS maxReceiveCount). */
export const DEFAULT_MAX_RECEIVE_COUNT = 5;

export interface LocalQueueOptions {
  /** Queue name, shown in the records' eventSourceARN. */
  readonly name: string;
  /** Deliveries before a message is moved to the dead-letter list (SQS maxReceiveCount). Default 5. */
  readonly maxReceiveCount?: number;
  /** Records per batch (SQS batchSize). Default 10. */
  readonly batchSize?: number;
  /** Delay before a failed message is delivered again; doubles per receive. Default 200 ms. */
  readonly retryDelayMs?: number;
  /**
   * Batches handled at the same time (Lambda runs one invocation per batch and scales out), so one slow batch (a
   * large object, a clamd that does not answer) does not hold the messages behind it. Default 4.
   */
  readonly concurrency?: number;
  /** Called when a message is dead-lettered. */
  readonly onDeadLetter?: (message: DeadLetter) => void;
}

/** A message that failed `maxReceiveCount` times. */
export interface DeadLetter {
  readonly messageId: string;
  readonly body: string;
  readonly receiveCount: number;
  /** The last failure: a batch item failure, or the consumer's thrown error. */
  readonly lastError: string;
}

interface Message {
  readonly messageId: string;
  readonly body: string;
  readonly sentAt: number;
  receiveCount: number;
  visibleAt: number;
}

/**
 * An in-process stand-in for an SQS queue with a DLQ, for local mode and tests: at-least-once delivery in
 * batches to the same batch handler Lambda runs, partial batch failures retried with backoff, and messages
 * that fail `maxReceiveCount` times moved to a dead-letter list, never dropped. A consumer that throws fails
 * its whole batch, as on AWS.
 */
export class LocalQueue {
  private readonly messages: Message[] = [];
  private readonly deadLetters: DeadLetter[] = [];
  private readonly maxReceiveCount: number;
  private readonly batchSize: number;
  private readonly retryDelayMs: number;
  private readonly concurrency: number;
  private timer: NodeJS.Timeout | undefined;
  private readonly running = new Set<Promise<void>>();
  private inFlight = 0;
  private stopped = false;
  private paused = false;
  private idleWaiters: Array<() => void> = [];

  constructor(
    private readonly consumer: BatchConsumer,
    private readonly options: LocalQueueOptions,
  ) {
    this.maxReceiveCount = options.maxReceiveCount ?? DEFAULT_MAX_RECEIVE_COUNT;
    this.batchSize = options.batchSize ?? 10;
    this.retryDelayMs = options.retryDelayMs ?? 200;
    this.concurrency = options.concurrency ?? 4;
    if (this.maxReceiveCount < 1 || this.batchSize < 1 || !(this.concurrency >= 1)) {
      throw new Error(
        `LocalQueue ${options.name}: maxReceiveCount, batchSize and concurrency must be at least 1`,
      );
    }
  }

  /** Enqueues a message; resolves once it is held (delivery happens asynchronously). */
  send(body: string): string {
    if (this.stopped) throw new Error(`LocalQueue ${this.options.name} is stopped`);
    const messageId = randomUUID();
    const now = Date.now();
    this.messages.push({ messageId, body, sentAt: now, receiveCount: 0, visibleAt: now });
    this.schedule(0);
    return messageId;
  }

  /** Messages dead-lettered so far. */
  get deadLettered(): readonly DeadLetter[] {
    return this.deadLetters;
  }

  /** Messages waiting or in flight. */
  get depth(): number {
    return this.messages.length;
  }

  /** Resolves when no message is waiting or in flight. */
  idle(): Promise<void> {
    if (this.messages.length === 0 && this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * Holds deliveries (a batch in flight completes) while messages keep being accepted: the local counterpart of
   * disabling a Lambda event source mapping. Tests use it to act between an event's arrival and its handling.
   */
  pause(): void {
    this.paused = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Delivers again after `pause`, starting with every message that became visible meanwhile. */
  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.schedule(0);
  }

  /** Batches being handled right now (at most `concurrency`). */
  get batchesInFlight(): number {
    return this.running.size;
  }

  /**
   * Stops delivering; messages still held stay in `depth`. Resolves once the batches in flight (if any) have been
   * handled, so nothing runs against resources the caller tears down next.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await Promise.all(this.running);
  }

  private schedule(delayMs: number): void {
    if (this.stopped || this.paused) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.dispatch();
    }, delayMs);
  }

  /** Starts batches of visible messages up to `concurrency`, then sets the timer for the next one to become visible. */
  private dispatch(): void {
    if (this.stopped || this.paused) return;
    while (this.running.size < this.concurrency) {
      const now = Date.now();
      const batch = this.messages.filter((m) => m.visibleAt <= now).slice(0, this.batchSize);
      if (batch.length === 0) break;
      const run: Promise<void> = this.handle(batch).finally(() => {
        this.running.delete(run);
        this.dispatch();
      });
      this.running.add(run);
    }
    const next = this.nextVisibleIn();
    if (next !== undefined) this.schedule(next);
    else this.notifyIdle();
  }

  /** Milliseconds until the next waiting (not in flight) message is visible; undefined when none waits. */
  private nextVisibleIn(): number | undefined {
    const waiting = this.messages.filter((m) => Number.isFinite(m.visibleAt));
    if (waiting.length === 0) return undefined;
    return Math.max(0, Math.min(...waiting.map((m) => m.visibleAt)) - Date.now());
  }

  private notifyIdle(): void {
    if (this.messages.length > 0 || this.inFlight > 0) return;
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  /** Delivers one batch and settles each of its messages: removed, retried later, or dead-lettered. */
  private async handle(batch: readonly Message[]): Promise<void> {
    for (const message of batch) {
      message.receiveCount += 1;
      message.visibleAt = Number.POSITIVE_INFINITY; // in flight
    }
    this.inFlight += batch.length;
    const failures = await this.deliver(batch);
    this.inFlight -= batch.length;
    for (const message of batch) {
      const failure = failures.get(message.messageId);
      if (failure === undefined) {
        this.remove(message);
      } else if (message.receiveCount >= this.maxReceiveCount) {
        this.remove(message);
        const dead: DeadLetter = {
          messageId: message.messageId,
          body: message.body,
          receiveCount: message.receiveCount,
          lastError: failure,
        };
        this.deadLetters.push(dead);
        this.options.onDeadLetter?.(dead);
      } else {
        message.visibleAt = Date.now() + this.retryDelayMs * 2 ** (message.receiveCount - 1);
      }
    }
  }

  /** Delivers one batch; returns the failed message ids with the reason. */
  private async deliver(batch: readonly Message[]): Promise<Map<string, string>> {
    const event: SQSEvent = { Records: batch.map((m) => this.toRecord(m)) };
    try {
      const response = await this.consumer(event);
      const failed = new Map<string, string>();
      for (const item of response?.batchItemFailures ?? []) {
        failed.set(item.itemIdentifier, 'reported as a batch item failure');
      }
      return failed;
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      return new Map(batch.map((m) => [m.messageId, `batch failed: ${reason}`]));
    }
  }

  private remove(message: Message): void {
    const index = this.messages.indexOf(message);
    if (index >= 0) this.messages.splice(index, 1);
  }

  private toRecord(message: Message): SQSRecord {
    return {
      messageId: message.messageId,
      receiptHandle: `${message.messageId}#${message.receiveCount}`,
      body: message.body,
      attributes: {
        ApproximateReceiveCount: String(message.receiveCount),
        SentTimestamp: String(message.sentAt),
        SenderId: 'stowage-local',
        ApproximateFirstReceiveTimestamp: String(message.sentAt),
      },
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: `arn:aws:sqs:local:000000000000:${this.options.name}`,
      awsRegion: 'local',
    };
  }
}
