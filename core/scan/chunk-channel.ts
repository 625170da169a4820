/**
 * A bounded single-producer, single-consumer queue of byte chunks, exposed to the consumer as an async iterable.
 * `write` resolves once the queue is below its high-water mark again, which is how backpressure from a slow
 * consumer reaches the producer. A consumer that stops iterating (break, return, or throw in `for await`) closes
 * the channel: later writes are dropped and resolve at once, so one engine that finished early never stalls the
 * others.
 */
export class ChunkChannel implements AsyncIterable<Uint8Array> {
  private readonly queue: Uint8Array[] = [];
  private queuedBytes = 0;
  private ended = false;
  private closed = false;
  private failure: Error | undefined;
  private wakeConsumer: (() => void) | undefined;
  private wakeProducer: (() => void) | undefined;

  constructor(private readonly highWaterMark: number) {
    if (!(highWaterMark > 0)) {
      throw new RangeError(`highWaterMark must be positive, got ${highWaterMark}`);
    }
  }

  /** True once the consumer has stopped reading. */
  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * Queues a chunk. Returns undefined when there is room for more, else a promise that resolves once there is
   * (no promise per chunk on the fast path).
   */
  write(chunk: Uint8Array): Promise<void> | undefined {
    if (this.closed) return undefined;
    if (this.ended) throw new Error('write after end');
    this.queue.push(chunk);
    this.queuedBytes += chunk.length;
    this.wake('consumer');
    return this.queuedBytes >= this.highWaterMark ? this.waitForRoom() : undefined;
  }

  private async waitForRoom(): Promise<void> {
    while (!this.closed && this.queuedBytes >= this.highWaterMark) {
      await new Promise<void>((resolve) => (this.wakeProducer = resolve));
    }
  }

  /** No more chunks: the consumer sees the end once the queue is empty. */
  end(): void {
    this.ended = true;
    this.wake('consumer');
  }

  /** Aborts the consumer: its next read rejects with `error`. */
  fail(error: Error): void {
    this.failure = error;
    this.ended = true;
    this.wake('consumer');
  }

  /** Consumer side: stop reading, drop queued chunks, release the producer. */
  close(): void {
    this.closed = true;
    this.queue.length = 0;
    this.queuedBytes = 0;
    this.wake('producer');
  }

  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    return {
      next: async (): Promise<IteratorResult<Uint8Array>> => {
        for (;;) {
          if (this.closed) return { done: true, value: undefined };
          const chunk = this.queue.shift();
          if (chunk !== undefined) {
            this.queuedBytes -= chunk.length;
            if (this.queuedBytes < this.highWaterMark) this.wake('producer');
            return { done: false, value: chunk };
          }
          if (this.failure) throw this.failure;
          if (this.ended) return { done: true, value: undefined };
          await new Promise<void>((resolve) => (this.wakeConsumer = resolve));
        }
      },
      return: async (): Promise<IteratorResult<Uint8Array>> => {
        this.close();
        return { done: true, value: undefined };
      },
    };
  }

  private wake(side: 'consumer' | 'producer'): void {
    const wake = side === 'consumer' ? this.wakeConsumer : this.wakeProducer;
    if (side === 'consumer') this.wakeConsumer = undefined;
    else this.wakeProducer = undefined;
    wake?.();
  }
}
