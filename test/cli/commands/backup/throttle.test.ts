import { Readable } from 'stream';
import { BytePacer, createThrottleStream, parseByteRate } from '../../../../cli/commands/backup/throttle';

describe('bandwidth limit', () => {
  it('computes waits that hold the average rate, after a burst of 100 ms worth', () => {
    // Arrange: 100 KB/s; 10 pieces of 10 KB offered at once at t=0.
    const pacer = new BytePacer(100_000);
    // Act
    const waits = Array.from({ length: 10 }, () => pacer.reserve(10_000, 0));
    // Assert: piece n may leave at (n+1) * 100 ms - 100 ms of burst.
    expect(waits).toEqual([0, 100, 200, 300, 400, 500, 600, 700, 800, 900]);
  });

  it('gives idle time back only up to the burst', () => {
    const pacer = new BytePacer(1_000);
    expect(pacer.reserve(100, 0)).toBe(0);
    // Ten seconds idle: still only 100 ms of credit.
    expect(pacer.reserve(1_000, 10_000)).toBe(900);
  });

  it('a throttle stream passes every byte and sleeps for the computed time (virtual clock)', async () => {
    // Arrange: 1 MiB at 256 KiB/s ≈ 4 s minus the 100 ms burst, on a clock that only moves when it sleeps.
    let clock = 0;
    const sleeps: number[] = [];
    const throttle = createThrottleStream(256 * 1024, {
      now: () => clock,
      sleep: async (ms) => {
        sleeps.push(ms);
        clock += ms;
      },
    });
    const input = Buffer.alloc(1024 * 1024, 7);
    // Act
    const chunks: Buffer[] = [];
    for await (const chunk of Readable.from([input.subarray(0, 300_000), input.subarray(300_000)]).pipe(
      throttle,
    )) {
      chunks.push(chunk as Buffer);
    }
    // Assert
    expect(Buffer.concat(chunks).equals(input)).toBe(true);
    expect(clock).toBeCloseTo(4000 - 100, 0);
    expect(sleeps.length).toBeGreaterThan(30);
  });

  it('parses --max-bandwidth with k/M/G suffixes', () => {
    expect(parseByteRate('512k')).toBe(512 * 1024);
    expect(parseByteRate('10M')).toBe(10 * 1024 * 1024);
    expect(parseByteRate('2048')).toBe(2048);
    expect(() => parseByteRate('fast')).toThrow('--max-bandwidth must be a number of bytes');
    expect(() => parseByteRate('10')).toThrow('at least 1024');
  });
});
