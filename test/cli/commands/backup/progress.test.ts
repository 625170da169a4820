import { createProgress, progressModeFor } from '../../../../cli/commands/backup/progress';

function clockAndOutput(): { now: () => number; advance: (ms: number) => void; out: string[] } {
  let t = 0;
  return { now: () => t, advance: (ms) => void (t += ms), out: [] };
}

describe('progress', () => {
  it('on a TTY redraws one bar in place with percent, rate and ETA, and ends the line when finished', () => {
    // Arrange
    const c = clockAndOutput();
    const progress = createProgress({
      label: 'push db.dump',
      total: 10 * 1024 * 1024,
      mode: 'tty',
      write: (t) => c.out.push(t),
      now: c.now,
    });
    // Act
    c.advance(1000);
    progress.update(2 * 1024 * 1024);
    c.advance(1000);
    progress.update(10 * 1024 * 1024);
    progress.finish();
    // Assert
    expect(c.out[0]).toBe(
      '\r\x1b[Kpush db.dump [#####-------------------] 20.0%  2.0 MiB / 10.0 MiB  2.0 MiB/s  ETA 4s',
    );
    expect(c.out.at(-1)).toBe(
      '\r\x1b[Kpush db.dump [########################] 100.0%  10.0 MiB / 10.0 MiB  5.0 MiB/s  in 2s\n',
    );
  });

  it('elsewhere writes a plain line at most every interval', () => {
    const c = clockAndOutput();
    const progress = createProgress({
      label: 'pull x',
      total: 1000,
      mode: 'plain',
      write: (t) => c.out.push(t),
      now: c.now,
    });
    for (let i = 1; i <= 10; i++) {
      c.advance(1000);
      progress.update(i * 100);
    }
    progress.finish();
    expect(c.out).toEqual([
      'pull x: 50.0%  500 B / 1000 B  100 B/s  ETA 5s\n',
      'pull x: 100.0%  1000 B / 1000 B  100 B/s\n',
      'pull x: 100.0%  1000 B / 1000 B  100 B/s  in 10s\n',
    ]);
  });

  it('is silent with --quiet', () => {
    expect(progressModeFor({ quiet: true, isTty: true })).toBe('quiet');
    expect(progressModeFor({ isTty: true })).toBe('tty');
    expect(progressModeFor({ isTty: false })).toBe('plain');
    const out: string[] = [];
    const progress = createProgress({ label: 'x', total: 1, mode: 'quiet', write: (t) => out.push(t) });
    progress.update(1);
    progress.finish();
    expect(out).toEqual([]);
  });

  it('says "stalled for N s" when nothing was acknowledged for a while, and stops checking when finished', () => {
    // Arrange
    const c = clockAndOutput();
    let check: (() => void) | undefined;
    let stopped = false;
    const progress = createProgress({
      label: 'push x',
      total: 100,
      mode: 'plain',
      write: (t) => c.out.push(t),
      now: c.now,
      stallAfterMs: 10_000,
      every: (fn) => {
        check = fn;
        return () => (stopped = true);
      },
    });
    // Act
    c.advance(1_000);
    progress.update(40);
    c.advance(9_000);
    check!();
    const beforeStall = c.out.length;
    c.advance(3_000);
    check!();
    progress.finish();
    // Assert
    expect(beforeStall).toBe(0);
    expect(c.out[0]).toMatch(/^push x: 40\.0% {2}40 B \/ 100 B {2}.*stalled for 12 s\n$/);
    expect(c.out.at(-1)).toMatch(/^push x: 40\.0% {2}40 B \/ 100 B/);
    expect(c.out.at(-1)).not.toContain('stalled');
    expect(stopped).toBe(true);
  });
});
