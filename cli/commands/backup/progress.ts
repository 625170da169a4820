import { formatBytes, formatDuration } from './human-format';

/** `tty`: one live bar redrawn in place; `plain`: a line every few seconds (logs, CI); `quiet`: nothing. */
export type ProgressMode = 'tty' | 'plain' | 'quiet';

export interface ProgressOptions {
  /** What is being done, e.g. `upload db_20261123_040000.dump`. */
  readonly label: string;
  /** Total bytes, when known. */
  readonly total?: number;
  readonly mode: ProgressMode;
  readonly write: (text: string) => void;
  /** Monotonic milliseconds. Default performance.now. */
  readonly now?: () => number;
  /** Minimum time between outputs. Default 200 ms on a TTY, 5 s otherwise. */
  readonly intervalMs?: number;
  /**
   * Say "stalled for N s" when no progress was reported for this long (checked every second, or by `tick`).
   * Default: never.
   */
  readonly stallAfterMs?: number;
  /** Runs `check` every second until the returned function is called. Default: an unref'd setInterval. */
  readonly every?: (check: () => void) => () => void;
}

export interface Progress {
  /** Bytes done so far (absolute, not a delta). */
  update(done: number): void;
  /** Draws the final state and ends the line (the done count is what was reported: below 100 % on failure). */
  finish(): void;
}

const BAR_WIDTH = 24;

export function progressModeFor(options: {
  readonly quiet?: boolean;
  readonly isTty: boolean;
}): ProgressMode {
  return options.quiet ? 'quiet' : options.isTty ? 'tty' : 'plain';
}

export function createProgress(options: ProgressOptions): Progress {
  if (options.mode === 'quiet') return { update: () => undefined, finish: () => undefined };
  const now = options.now ?? (() => performance.now());
  const intervalMs = options.intervalMs ?? (options.mode === 'tty' ? 200 : 5_000);
  const started = now();
  let lastDraw = started;
  let done = 0;
  let finished = false;
  let lastChange = started;
  let stalledSaid = 0;

  const describe = (): { percent?: number; text: string } => {
    const elapsedS = (now() - started) / 1000;
    const rate = elapsedS > 0 ? done / elapsedS : 0;
    const total = options.total;
    const parts: string[] = [];
    let percent: number | undefined;
    if (total !== undefined && total > 0) {
      percent = Math.min(100, (done / total) * 100);
      parts.push(`${percent.toFixed(1)}%`, `${formatBytes(done)} / ${formatBytes(total)}`);
    } else {
      parts.push(formatBytes(done));
    }
    parts.push(`${formatBytes(Math.round(rate))}/s`);
    if (total !== undefined && rate > 0 && done < total)
      parts.push(`ETA ${formatDuration((total - done) / rate)}`);
    if (finished) parts.push(`in ${formatDuration(elapsedS)}`);
    const still = now() - lastChange;
    if (!finished && options.stallAfterMs !== undefined && still >= options.stallAfterMs) {
      parts.push(`stalled for ${Math.floor(still / 1000)} s`);
    }
    return { percent, text: parts.join('  ') };
  };

  const draw = (): void => {
    const { percent, text } = describe();
    if (options.mode === 'tty') {
      const filled = percent === undefined ? 0 : Math.round((percent / 100) * BAR_WIDTH);
      const bar = `[${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}]`;
      options.write(`\r\x1b[K${options.label} ${bar} ${text}${finished ? '\n' : ''}`);
    } else {
      options.write(`${options.label}: ${text}\n`);
    }
  };

  const checkStall = (): void => {
    if (finished || options.stallAfterMs === undefined) return;
    const still = now() - lastChange;
    // Said once when the stall begins, then at the normal output interval (at least every 5 s).
    if (still >= options.stallAfterMs && now() - stalledSaid >= Math.max(intervalMs, 5_000)) {
      stalledSaid = now();
      lastDraw = stalledSaid;
      draw();
    }
  };
  const every =
    options.every ??
    ((check: () => void) => {
      const timer = setInterval(check, 1_000);
      timer.unref();
      return () => clearInterval(timer);
    });
  const stopChecking = options.stallAfterMs === undefined ? () => undefined : every(checkStall);

  return {
    update(value) {
      if (value !== done) lastChange = now();
      done = value;
      const t = now();
      if (t - lastDraw >= intervalMs) {
        lastDraw = t;
        draw();
      }
    },
    finish() {
      if (finished) return;
      finished = true;
      stopChecking();
      draw();
    },
  };
}
