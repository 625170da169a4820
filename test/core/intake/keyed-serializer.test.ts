import { KeyedSerializer } from '../../../core/intake/keyed-serializer';

function deferred<T = void>() {
  let resolve!: (value: T) => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('KeyedSerializer', () => {
  it('runs tasks with the same key in turn, and other keys alongside', async () => {
    // Arrange
    const serializer = new KeyedSerializer();
    const log: string[] = [];
    const first = deferred();
    // Act
    const a1 = serializer.run('a', async () => {
      log.push('a1 start');
      await first.promise;
      log.push('a1 end');
    });
    const a2 = serializer.run('a', async () => {
      log.push('a2 start');
    });
    const b1 = serializer.run('b', async () => {
      log.push('b1 start');
    });
    await b1;
    // Assert: b ran while a1 was still running; a2 waits for a1.
    expect(log).toEqual(['a1 start', 'b1 start']);
    first.resolve();
    await Promise.all([a1, a2]);
    expect(log).toEqual(['a1 start', 'b1 start', 'a1 end', 'a2 start']);
    expect(serializer.size).toBe(0);
  });

  it("runs the next task after a failure, and each caller gets its own task's outcome", async () => {
    // Arrange
    const serializer = new KeyedSerializer();
    // Act
    const failed = serializer.run('k', async () => {
      throw new Error('copy failed');
    });
    const next = serializer.run('k', async () => 'done');
    // Assert
    await expect(failed).rejects.toThrow('copy failed');
    await expect(next).resolves.toBe('done');
  });
});
