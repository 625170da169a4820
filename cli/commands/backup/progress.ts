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
}

export interface Progress {
  /** Bytes done so far (absolute, not a delta). */
  update(done: number): void;
  /** Draws the final state (100 % on success) and ends the line. */
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

  return {
    update(value) {
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
      draw();
    },
  };
}
