/**
 * `npm start` as a child process for tests that kill or disconnect it: `node bin/stowage.js local` with its own
 * data directory and a free API port, its stdout and stderr collected line by line, and a way to find every server
 * process that still runs from the data directory (their command lines name their config files in it).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

import { waitFor } from './wait-for';

const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');

/** Environment that makes `stowage local` raise `fault` outside any handler when it gets SIGUSR2. */
export function faultOnSignal(fault: 'throw' | 'reject'): Record<string, string> {
  return {
    NODE_OPTIONS: `--require ${path.join(__dirname, 'fault-on-signal.js')}`,
    STOWAGE_TEST_FAULT: fault,
  };
}

export interface LocalModeProcess {
  readonly child: ChildProcess;
  readonly out: string[];
  readonly err: string[];
  /** Resolves with the exit code (or signal name) once the process has exited. */
  readonly exited: Promise<number | string>;
  /** Waits for a stdout line containing `text`. */
  waitForOut(text: string, timeoutMs?: number): Promise<string>;
}

/** Starts `stowage local --data-dir DIR --port 0 [extra]` (with `env` added) and waits for its last ready line. */
export async function startLocalModeProcess(
  dataDir: string,
  extra: readonly string[] = [],
  env: Readonly<Record<string, string>> = {},
): Promise<LocalModeProcess> {
  const child = spawn(
    process.execPath,
    [path.join(REPO_ROOT, 'bin', 'stowage.js'), 'local', '--data-dir', dataDir, '--port', '0', ...extra],
    { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } },
  );
  const out: string[] = [];
  const err: string[] = [];
  collect(child.stdout!, out);
  collect(child.stderr!, err);
  const exited = new Promise<number | string>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')),
  );
  const running: LocalModeProcess = {
    child,
    out,
    err,
    exited,
    waitForOut: (text, timeoutMs = 120_000) =>
      waitFor(
        `'${text}' on local mode's stdout (stderr: ${err.join(' | ')})`,
        () => out.find((l) => l.includes(text)),
        {
          timeoutMs,
          intervalMs: 50,
        },
      ),
  };
  await Promise.race([
    running.waitForOut('State: '),
    exited.then((code) => {
      throw new Error(`local mode exited (${code}) before it was ready: ${err.join('\n')}`);
    }),
  ]);
  return running;
}

function collect(stream: NodeJS.ReadableStream, lines: string[]): void {
  let rest = '';
  stream.setEncoding('utf8');
  stream.on('data', (text: string) => {
    const parts = (rest + text).split('\n');
    rest = parts.pop() ?? '';
    lines.push(...parts);
  });
  stream.on('error', () => undefined);
}

/** Pids and command names of live processes whose command line mentions `dataDir` (zombies excluded). */
export function processesUsing(dataDir: string): { readonly pid: number; readonly command: string }[] {
  const found: { pid: number; command: string }[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (!cmdline.includes(dataDir)) continue;
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) continue;
      found.push({ pid: Number(entry), command: path.basename(cmdline.split('\0')[0] ?? '') });
    } catch {
      // gone meanwhile
    }
  }
  return found;
}
