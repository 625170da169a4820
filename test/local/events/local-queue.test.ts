import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { DeadLetter } from '../../../local/events/local-queue';
import { LocalQueue } from '../../../local/events/local-queue';

describe('LocalQueue', () => {
  it('delivers every message in batches to the consumer, once when it succeeds', async () => {
    // Arrange
    const seen: string[] = [];
    const sizes: number[] = [];
    const queue = new LocalQueue(
      async (event: SQSEvent) => {
        sizes.push(event.Records.length);
        for (const r of event.Records) seen.push(r.body);
      },
      { name: 'q', batchSize: 3, retryDelayMs: 1 },
    );
    // Act
    for (let i = 0; i < 7; i++) queue.send(`m${i}`);
    await queue.idle();
    // Assert
    expect(seen.sort()).toEqual(['m0', 'm1', 'm2', 'm3', 'm4', 'm5', 'm6']);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(3);
    expect(queue.depth).toBe(0);
  });

  it('redelivers only the items a partial batch response names, with the receive count', async () => {
    // Arrange
    const receives = new Map<string, string[]>();
    const queue = new LocalQueue(
      async (event: SQSEvent): Promise<SQSBatchResponse> => {
        const failures = [];
        for (const r of event.Records) {
          receives.set(r.body, [...(receives.get(r.body) ?? []), r.attributes.ApproximateReceiveCount]);
          if (r.body === 'flaky' && r.attributes.ApproximateReceiveCount === '1') {
            failures.push({ itemIdentifier: r.messageId });
          }
        }
        return { batchItemFailures: failures };
      },
      { name: 'q', retryDelayMs: 1 },
    );
    // Act
    queue.send('fine');
    queue.send('flaky');
    await queue.idle();
    // Assert
    expect(receives.get('fine')).toEqual(['1']);
    expect(receives.get('flaky')).toEqual(['1', '2']);
    expect(queue.deadLettered).toEqual([]);
  });

  it('dead-letters a message after maxReceiveCount failures and never drops it', async () => {
    // Arrange
    const dead: DeadLetter[] = [];
    let calls = 0;
    const queue = new LocalQueue(
      async () => {
        calls += 1;
        throw new Error('handler crashed');
      },
      { name: 'q', maxReceiveCount: 3, retryDelayMs: 1, onDeadLetter: (d) => dead.push(d) },
    );
    // Act
    queue.send('poison');
    await queue.idle();
    // Assert
    expect(calls).toBe(3);
    expect(dead).toEqual([
      expect.objectContaining({
        body: 'poison',
        receiveCount: 3,
        lastError: 'batch failed: handler crashed',
      }),
    ]);
    expect(queue.deadLettered).toHaveLength(1);
    expect(queue.depth).toBe(0);
  });

  it('holds messages while paused and delivers them on resume', async () => {
    // Arrange
    const seen: string[] = [];
    const queue = new LocalQueue(
      async (event: SQSEvent) => {
        for (const r of event.Records) seen.push(r.body);
      },
      { name: 'q', retryDelayMs: 1 },
    );
    queue.pause();
    // Act
    queue.send('held');
    await new Promise((resolve) => setImmediate(resolve));
    const whilePaused = { seen: [...seen], depth: queue.depth };
    queue.resume();
    await queue.idle();
    // Assert
    expect(whilePaused).toEqual({ seen: [], depth: 1 });
    expect(seen).toEqual(['held']);
  });

  it('stop resolves only after the batch in flight was handled', async () => {
    // Arrange
    let release: () => void = () => undefined;
    let handled = false;
    let started: () => void = () => undefined;
    const inFlight = new Promise<void>((resolve) => (started = resolve));
    const queue = new LocalQueue(
      async () => {
        started();
        await new Promise<void>((resolve) => (release = resolve));
        handled = true;
      },
      { name: 'q' },
    );
    queue.send('slow');
    await inFlight;
    // Act
    const stopping = queue.stop();
    release();
    await stopping;
    // Assert
    expect(handled).toBe(true);
  });

  it('refuses messages once stopped and bad options up front', async () => {
    const queue = new LocalQueue(async () => undefined, { name: 'q' });
    await queue.stop();
    expect(() => queue.send('x')).toThrow('LocalQueue q is stopped');
    expect(() => new LocalQueue(async () => undefined, { name: 'bad', maxReceiveCount: 0 })).toThrow(
      'LocalQueue bad: maxReceiveCount, batchSize and concurrency must be at least 1',
    );
    expect(() => new LocalQueue(async () => undefined, { name: 'bad', concurrency: 0 })).toThrow(
      'concurrency must be at least 1',
    );
  });

  it('does not let one slow batch hold the messages behind it', async () => {
    // Arrange: the first message hangs (a clamd that does not answer) until released.
    let release: () => void = () => undefined;
    const hung = new Promise<void>((resolve) => (release = resolve));
    const done: string[] = [];
    const queue = new LocalQueue(
      async (event: SQSEvent) => {
        for (const record of event.Records) {
          if (record.body === 'slow') await hung;
          done.push(record.body);
        }
      },
      { name: 'q', batchSize: 1, concurrency: 3 },
    );
    // Act
    queue.send('slow');
    for (let i = 0; i < 5; i++) queue.send(`m${i}`);
    await waitUntil(() => done.length === 5);
    // Assert
    expect(done.sort()).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
    expect(queue.batchesInFlight).toBe(1);
    release();
    await queue.idle();
    expect(done).toContain('slow');
  });

  it('runs at most `concurrency` batches at once', async () => {
    // Arrange
    let running = 0;
    let peak = 0;
    const queue = new LocalQueue(
      async () => {
        running += 1;
        peak = Math.max(peak, running);
        await new Promise((resolve) => setTimeout(resolve, 20));
        running -= 1;
      },
      { name: 'q', batchSize: 2, concurrency: 3 },
    );
    // Act
    for (let i = 0; i < 20; i++) queue.send(`m${i}`);
    await queue.idle();
    // Assert
    expect(peak).toBe(3);
    expect(queue.depth).toBe(0);
  });

  it('stop waits for every batch in flight', async () => {
    // Arrange
    const finished: string[] = [];
    const queue = new LocalQueue(
      async (event: SQSEvent) => {
        await new Promise((resolve) => setTimeout(resolve, 50));
        finished.push(event.Records[0]!.body);
      },
      { name: 'q', batchSize: 1, concurrency: 2 },
    );
    queue.send('a');
    queue.send('b');
    await waitUntil(() => queue.batchesInFlight === 2);
    // Act
    await queue.stop();
    // Assert
    expect(finished.sort()).toEqual(['a', 'b']);
  });
});

async function waitUntil(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
