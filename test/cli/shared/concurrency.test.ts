import { mapWithConcurrency } from '../../../cli/shared/concurrency';

describe('mapWithConcurrency', () => {
  it('keeps the input order and never has more than the limit in flight', async () => {
    // Arrange
    let inFlight = 0;
    let most = 0;
    const items = Array.from({ length: 20 }, (_, i) => i);
    // Act
    const out = await mapWithConcurrency(items, 3, async (n) => {
      inFlight++;
      most = Math.max(most, inFlight);
      await new Promise((resolve) => setTimeout(resolve, (n * 7) % 5));
      inFlight--;
      return n * 2;
    });
    // Assert
    expect(out).toEqual(items.map((n) => n * 2));
    expect(most).toBe(3);
  });

  it('rejects with the first failure and starts nothing after it', async () => {
    // Arrange
    const started: number[] = [];
    // Act
    const run = mapWithConcurrency([0, 1, 2, 3, 4, 5], 2, async (n) => {
      started.push(n);
      if (n === 1) throw new Error('boom');
      await new Promise((resolve) => setTimeout(resolve, 5));
      return n;
    });
    // Assert
    await expect(run).rejects.toThrow('boom');
    expect(started).toEqual([0, 1]);
  });

  it('refuses a limit below 1', async () => {
    await expect(mapWithConcurrency([1], 0, async (n) => n)).rejects.toThrow('at least 1');
  });
});
