/**
 * Process helpers for the local test servers: find binaries, run commands, spawn daemons with pid files,
 * check liveness, wait for readiness and stop with TERM, then KILL.
 */
import { execFile, spawn } from 'node:child_process';
import {
  accessSync,
  closeSync,
  constants,
  existsSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';

/** Where Debian puts daemons and admin tools (often not on a non-root PATH). */
const EXTRA_BIN_DIRS = ['/usr/sbin', '/usr/bin', '/sbin', '/bin', '/usr/local/sbin', '/usr/local/bin'];

const INSTALL_HINT = 'run scripts/install-debian-deps.sh';

/** A binary the servers need is not installed. */
export class MissingBinaryError extends Error {
  constructor(readonly binary: string) {
    super(`${binary} not found: ${INSTALL_HINT}`);
    this.name = 'MissingBinaryError';
  }
}

/** A daemon or setup command failed; the message carries the tail of its log. */
export class ServerStartError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ServerStartError';
  }
}

/** Returns the absolute path of an executable, looking in PATH and the usual sbin directories. */
export function findExecutable(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter).filter(Boolean), ...EXTRA_BIN_DIRS];
  for (const dir of dirs) {
    const candidate = path.join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

/** Like {@link findExecutable}, but throws a {@link MissingBinaryError} that says how to install it. */
export function requireExecutable(name: string): string {
  const found = findExecutable(name);
  if (!found) throw new MissingBinaryError(name);
  return found;
}

/** The last `lines` lines of a text file, or a note that it does not exist. */
export function tailFile(file: string, lines = 30): string {
  if (!existsSync(file)) return `(${file} does not exist)`;
  const text = readFileSync(file, 'utf8').trimEnd();
  if (!text) return `(${file} is empty)`;
  return text.split('\n').slice(-lines).join('\n');
}

export interface RunOptions {
  /** Kill the command after this many milliseconds. Default: 30 000. */
  readonly timeoutMs?: number;
  /** Files whose tails are appended to the error message on failure. Default: none. */
  readonly logFiles?: readonly string[];
  /** Daemons the command depends on; if one exits meanwhile, kill the command and fail with its log. */
  readonly daemons?: readonly SpawnedDaemon[];
  /** Run as this user and group (only root may switch). Default: this process's. */
  readonly runAs?: { readonly uid: number; readonly gid: number };
  /** Working directory of the command. Default: this process's. */
  readonly cwd?: string;
}

/** Runs a command to completion and returns its stdout; on failure throws with stderr and log tails. */
export function runCommand(
  command: string,
  args: readonly string[],
  options: RunOptions = {},
): Promise<string> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const title = `${path.basename(command)} ${args.join(' ')}`;
  return new Promise((resolve, reject) => {
    let watcher: NodeJS.Timeout | undefined;
    const child = execFile(
      command,
      args,
      {
        timeout: timeoutMs,
        killSignal: 'SIGKILL',
        maxBuffer: 16 * 1024 * 1024,
        encoding: 'utf8',
        ...(options.runAs ? { uid: options.runAs.uid, gid: options.runAs.gid } : {}),
        ...(options.cwd ? { cwd: options.cwd } : {}),
      },
      (error, stdout, stderr) => {
        clearInterval(watcher);
        if (!error) {
          resolve(stdout);
          return;
        }
        const what = error.killed
          ? `timed out after ${timeoutMs} ms`
          : `failed (${error.message.split('\n')[0]})`;
        const details = [stderr.trim() && `stderr:\n${tailText(stderr, 20)}`, ...logTails(options.logFiles)];
        reject(new ServerStartError(`${title} ${what}${details.length ? `\n${details.join('\n')}` : ''}`));
      },
    );
    if (options.daemons?.length) {
      watcher = setInterval(() => {
        const dead = findDeadDaemon(options.daemons ?? []);
        if (!dead) return;
        clearInterval(watcher);
        child.kill('SIGKILL');
        reject(daemonDiedError(dead.daemon, dead.status, `running ${title}`, options.logFiles));
      }, 100);
    }
  });
}

export interface DaemonSpec {
  /** Short name used in messages, e.g. `ceph-mon`. */
  readonly name: string;
  /** Absolute path of the executable. */
  readonly command: string;
  readonly args: readonly string[];
  /** File that receives the daemon's stdout and stderr (appended). */
  readonly outputFile: string;
  /** File the pid is written to. */
  readonly pidFile: string;
  /**
   * Start the daemon in its own process group so that it outlives this process (CLI use). When false, it
   * shares this process's group, so a Ctrl-C in the terminal stops it too (test runs). Default: true.
   */
  readonly detached?: boolean;
  /**
   * The daemon dies with this process, however it ends (SIGKILL included): it is started through util-linux
   * `setpriv --pdeathsig KILL`, which asks the kernel to kill it when its parent goes. The daemon must run in the
   * foreground (not fork away), and must not change its user (that clears the setting). Default: false.
   */
  readonly followParent?: boolean;
}

/** The kernel's parent-death signal for daemons that follow this process (see `DaemonSpec.followParent`). */
export const PARENT_DEATH_SIGNAL = 'KILL';

/** How a daemon is executed: as is, or through `setpriv --pdeathsig` so that it follows this process's death. */
export function daemonCommand(spec: Pick<DaemonSpec, 'command' | 'args' | 'followParent'>): {
  readonly command: string;
  readonly args: readonly string[];
} {
  if (!spec.followParent) return { command: spec.command, args: spec.args };
  return {
    command: requireExecutable('setpriv'),
    args: ['--pdeathsig', PARENT_DEATH_SIGNAL, '--', spec.command, ...spec.args],
  };
}

/** A daemon started by {@link spawnDaemon}. */
export interface SpawnedDaemon {
  readonly name: string;
  readonly pid: number;
  readonly outputFile: string;
  /** How the daemon ended, if it already has (only known for daemons spawned by this process). */
  exitStatus(): string | undefined;
}

/** Spawns a long-running daemon with its output in a file and its pid in a pid file. */
export function spawnDaemon(spec: DaemonSpec): SpawnedDaemon {
  const out = openSync(spec.outputFile, 'a');
  let exit: string | undefined;
  try {
    const { command, args } = daemonCommand(spec);
    const child = spawn(command, [...args], {
      detached: spec.detached ?? true,
      stdio: ['ignore', out, out],
    });
    if (child.pid === undefined) {
      throw new ServerStartError(`could not start ${spec.name} (${spec.command})`);
    }
    child.on('error', (error) => {
      exit = `failed: ${error.message}`;
    });
    child.on('exit', (code, signal) => {
      exit = signal ? `killed by ${signal}` : `exited with code ${code ?? 'unknown'}`;
    });
    child.unref();
    writeFileSync(spec.pidFile, `${child.pid}\n`);
    return { name: spec.name, pid: child.pid, outputFile: spec.outputFile, exitStatus: () => exit };
  } finally {
    closeSync(out);
  }
}

/** Reads a pid file; undefined when it is missing or does not hold a pid. */
export function readPidFile(file: string): number | undefined {
  if (!existsSync(file)) return undefined;
  const pid = Number.parseInt(readFileSync(file, 'utf8').trim(), 10);
  return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
}

/** True when the process exists and is not a zombie (an exited child nobody has reaped yet). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Format: "pid (comm) S ...": the state follows the last ')'.
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    // Without /proc, trust kill(0); with it, the process has just gone.
    return !existsSync('/proc');
  }
}

/**
 * True when `pid` is alive and its command line contains `marker` (e.g. the config file path), so a
 * recycled pid that now belongs to an unrelated process is never signalled.
 */
export function isOwnProcess(pid: number, marker: string): boolean {
  if (!isProcessAlive(pid)) return false;
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(marker);
  } catch {
    return false;
  }
}

export interface TerminateOptions {
  /** How long to wait after SIGTERM before SIGKILL. Default: 2 000 ms. */
  readonly graceMs?: number;
}

/** Sends SIGTERM to every pid, waits up to the grace period, then SIGKILLs whatever is left. */
export async function terminateProcesses(
  pids: readonly number[],
  options: TerminateOptions = {},
): Promise<void> {
  const graceMs = options.graceMs ?? 2_000;
  const signal = (pid: number, sig: NodeJS.Signals): void => {
    try {
      process.kill(pid, sig);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
    }
  };
  const alive = (): number[] => pids.filter(isProcessAlive);
  for (const pid of alive()) signal(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (alive().length > 0 && Date.now() < deadline) await sleep(50);
  const stubborn = alive();
  for (const pid of stubborn) signal(pid, 'SIGKILL');
  const killDeadline = Date.now() + 5_000;
  while (alive().length > 0) {
    if (Date.now() > killDeadline) {
      throw new Error(`processes ${alive().join(', ')} did not exit after SIGKILL`);
    }
    await sleep(20);
  }
}

export interface WaitOptions {
  /** Give up after this many milliseconds. */
  readonly timeoutMs: number;
  /** Poll interval. Default: 100 ms. */
  readonly intervalMs?: number;
  /** Daemons that must stay alive while waiting; if one exits, fail at once with its log. */
  readonly daemons?: readonly SpawnedDaemon[];
  /** Extra log files whose tails go into the error message. */
  readonly logFiles?: readonly string[];
}

/**
 * Polls `probe` until it returns true. Fails fast, with log tails, when a watched daemon exits, and on
 * timeout with the last probe error.
 */
export async function waitUntil(
  description: string,
  probe: () => Promise<boolean>,
  options: WaitOptions,
): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  let lastError: string | undefined;
  for (;;) {
    const dead = findDeadDaemon(options.daemons ?? []);
    if (dead) throw daemonDiedError(dead.daemon, dead.status, `waiting for ${description}`, options.logFiles);
    try {
      if (await probe()) return;
      lastError = undefined;
    } catch (error) {
      lastError = error instanceof Error ? error.message : String(error);
    }
    if (Date.now() >= deadline) {
      throw new ServerStartError(
        `timed out after ${options.timeoutMs} ms waiting for ${description}` +
          (lastError ? ` (last error: ${lastError})` : '') +
          `\n${[
            ...(options.daemons ?? []).map((d) => `--- ${d.outputFile}:\n${tailFile(d.outputFile)}`),
            ...logTails(options.logFiles),
          ].join('\n')}`,
      );
    }
    await sleep(options.intervalMs ?? 100);
  }
}

/** Reads a JSON file, or undefined when it does not exist or does not parse. */
export async function readJsonFile(file: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as unknown;
  } catch {
    return undefined;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function findDeadDaemon(
  daemons: readonly SpawnedDaemon[],
): { readonly daemon: SpawnedDaemon; readonly status: string } | undefined {
  for (const daemon of daemons) {
    const status = daemon.exitStatus() ?? (isProcessAlive(daemon.pid) ? undefined : 'is gone');
    if (status) return { daemon, status };
  }
  return undefined;
}

function daemonDiedError(
  daemon: SpawnedDaemon,
  status: string,
  during: string,
  logFiles: readonly string[] | undefined,
): ServerStartError {
  return new ServerStartError(
    `${daemon.name} (pid ${daemon.pid}) ${status} while ${during}\n` +
      [`--- ${daemon.outputFile}:\n${tailFile(daemon.outputFile)}`, ...logTails(logFiles)].join('\n'),
  );
}

function tailText(text: string, lines: number): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

function logTails(files: readonly string[] | undefined): string[] {
  return (files ?? []).map((file) => `--- ${file}:\n${tailFile(file)}`);
}

/**
 * Runs `fn` while holding an exclusive lock file (holding this process's pid), so that two callers never
 * start servers into the same data directory at once. A lock left by a dead process is taken over.
 */
export async function withLockFile<T>(lockFile: string, timeoutMs: number, fn: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const fd = openSync(lockFile, 'wx');
      writeFileSync(fd, `${process.pid}\n`);
      closeSync(fd);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = readPidFile(lockFile);
      if (holder === undefined || !isProcessAlive(holder)) {
        rmSync(lockFile, { force: true });
        continue;
      }
      if (Date.now() >= deadline) {
        throw new Error(
          `${lockFile} is held by pid ${holder} (still running) after waiting ${timeoutMs} ms`,
          { cause: error },
        );
      }
      await sleep(100);
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lockFile, { force: true });
  }
}
