/**
 * A real ClamAV daemon for tests and local mode, on 127.0.0.1, loading the offline signature database kept
 * in this directory (clamav-db/). Facts behind every setting: docs/test-servers.md.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import path from 'node:path';
import { LOOPBACK, resolvePorts } from './net';
import {
  isOwnProcess,
  readJsonFile,
  readPidFile,
  requireExecutable,
  spawnDaemon,
  terminateProcesses,
  waitUntil,
  withLockFile,
} from './process';

/** Environment variable that sets the clamd port when `port` is not given. */
export const CLAMD_PORT_ENV = 'STOWAGE_CLAMD_PORT';

/** Signatures for EICAR and ClamAV's own test files (detection names get a `.UNOFFICIAL` suffix). */
export const DEFAULT_CLAMAV_DATABASE_DIR = path.join(__dirname, 'clamav-db');

/** Default for the stream, file and scan size limits: 1 GiB. */
export const DEFAULT_CLAMD_MAX_SCAN_BYTES = 1024 ** 3;

const STATE_FILE = 'stowage-clamd.json';
/** ClamAV rejects size limits of 4 GiB and above. */
const MAX_LIMIT_BYTES = 4000 * 1024 ** 2;

export interface ClamdOptions {
  /** Directory for clamd.conf, the temporary (spool) directory, the log and the pid file. Created when missing. */
  readonly dataDir: string;
  /** TCP port on 127.0.0.1. Default: `$STOWAGE_CLAMD_PORT`, else a free port. */
  readonly port?: number;
  /** Signature database directory. Default: {@link DEFAULT_CLAMAV_DATABASE_DIR}. */
  readonly databaseDir?: string;
  /**
   * `StreamMaxLength`, `MaxFileSize` and `MaxScanSize`, all set to this value, with `AlertExceedsMax yes`,
   * so an over-limit stream is reported (`Heuristics.Limits.Exceeded…` or a size-limit error), never OK.
   * clamd spools each stream to its temporary directory: it needs this much free disk. Default: 1 GiB.
   */
  readonly maxScanBytes?: number;
  /** Let clamd outlive this process (see `DaemonSpec.detached`). Default: true. */
  readonly detached?: boolean;
  /** clamd dies with this process, even on SIGKILL (see `DaemonSpec.followParent`). Default: false. */
  readonly followParent?: boolean;
  /** Give up starting after this many milliseconds. Default: 30 000. */
  readonly timeoutMs?: number;
}

export interface ClamdServer {
  readonly host: string;
  readonly port: number;
  readonly maxScanBytes: number;
  readonly dataDir: string;
  /** True when an already running clamd from the same data directory was reused. */
  readonly reused: boolean;
  /** Pid of clamd. */
  readonly pid: number | undefined;
  /** Stops clamd (TERM, wait, KILL). */
  stop(): Promise<void>;
}

interface ClamdState {
  readonly kind: 'stowage-clamd';
  readonly port: number;
  readonly maxScanBytes: number;
  readonly databaseDir: string;
  readonly startedAt: string;
}

interface Layout {
  readonly dataDir: string;
  readonly conf: string;
  readonly tmpDir: string;
  readonly log: string;
  readonly output: string;
  readonly pidFile: string;
  readonly state: string;
  readonly lock: string;
}

/** Starts (or reuses) clamd with its files in `dataDir` and waits until it answers PING with PONG. */
export async function startClamd(options: ClamdOptions): Promise<ClamdServer> {
  const layout = layoutOf(options.dataDir);
  const timeoutMs = options.timeoutMs ?? 30_000;
  mkdirSync(layout.dataDir, { recursive: true });
  return withLockFile(layout.lock, timeoutMs, async () => {
    const existing = await readState(layout);
    if (existing && runningPid(layout) !== undefined && (await pingClamd(LOOPBACK, existing.port))) {
      assertCompatible(existing, options, layout);
      return serverFrom(existing, layout, true);
    }
    await stopDaemon(layout);
    return startFresh(options, layout, timeoutMs);
  });
}

/** Stops the clamd whose files live in `dataDir`, if any. Safe to call when nothing runs. */
export async function stopClamd(options: { readonly dataDir: string }): Promise<void> {
  const layout = layoutOf(options.dataDir);
  await stopDaemon(layout);
  rmSync(layout.state, { force: true });
}

export interface ClamdStatus {
  readonly running: boolean;
  readonly pid?: number;
  /** Present when clamd is up and answering PING. */
  readonly server?: Omit<ClamdServer, 'stop'>;
}

/** Reports whether a clamd from `dataDir` is running and answering. */
export async function clamdStatus(options: { readonly dataDir: string }): Promise<ClamdStatus> {
  const layout = layoutOf(options.dataDir);
  const pid = runningPid(layout);
  const state = await readState(layout);
  if (pid === undefined || !state || !(await pingClamd(LOOPBACK, state.port))) {
    return pid === undefined ? { running: false } : { running: false, pid };
  }
  return { running: true, pid, server: serverInfo(state, layout, true) };
}

/** Sends `zPING\0` and resolves true on `PONG`; false when nothing answers within the timeout. */
export function pingClamd(host: string, port: number, timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    let reply = '';
    const finish = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => finish(false));
    socket.on('error', () => finish(false));
    socket.on('connect', () => socket.write('zPING\0'));
    socket.on('data', (chunk: Buffer) => {
      reply += chunk.toString('utf8');
      if (reply.includes('\0')) finish(reply.replace(/\0/g, '').trim() === 'PONG');
    });
    socket.on('end', () => finish(reply.replace(/\0/g, '').trim() === 'PONG'));
  });
}

async function startFresh(options: ClamdOptions, layout: Layout, timeoutMs: number): Promise<ClamdServer> {
  const clamd = requireExecutable('clamd');
  const maxScanBytes = options.maxScanBytes ?? DEFAULT_CLAMD_MAX_SCAN_BYTES;
  if (!Number.isInteger(maxScanBytes) || maxScanBytes < 1024 * 1024 || maxScanBytes > MAX_LIMIT_BYTES) {
    throw new Error(
      `maxScanBytes must be a whole number of bytes from 1 MiB to 4000 MiB, got ${maxScanBytes}`,
    );
  }
  const state: ClamdState = {
    kind: 'stowage-clamd',
    port: (await resolvePorts([{ explicit: options.port, envName: CLAMD_PORT_ENV }]))[0],
    maxScanBytes,
    databaseDir: path.resolve(options.databaseDir ?? DEFAULT_CLAMAV_DATABASE_DIR),
    startedAt: new Date().toISOString(),
  };

  for (const file of [layout.conf, layout.log, layout.output, layout.state]) rmSync(file, { force: true });
  rmSync(layout.tmpDir, { recursive: true, force: true });
  mkdirSync(layout.tmpDir, { recursive: true });
  writeFileSync(layout.conf, clamdConf(state, layout));

  const daemon = spawnDaemon({
    name: 'clamd',
    command: clamd,
    args: ['--config-file', layout.conf],
    outputFile: layout.output,
    pidFile: layout.pidFile,
    detached: options.detached ?? true,
    followParent: options.followParent ?? false,
  });
  try {
    await waitUntil(
      `clamd to answer PING on ${LOOPBACK}:${state.port}`,
      () => pingClamd(LOOPBACK, state.port),
      {
        timeoutMs,
        intervalMs: 50,
        daemons: [daemon],
        logFiles: [layout.log],
      },
    );
  } catch (error) {
    await terminateProcesses([daemon.pid], { graceMs: 500 });
    throw error;
  }
  writeFileSync(layout.state, `${JSON.stringify(state, null, 2)}\n`);
  return serverFrom(state, layout, false);
}

function clamdConf(state: ClamdState, layout: Layout): string {
  // ClamAV takes sizes with an M suffix; round up so the limit is never below what was asked for.
  const limit = `${Math.ceil(state.maxScanBytes / 1024 ** 2)}M`;
  return `# Written by Stowage local/servers/clamd.ts.
TCPSocket ${state.port}
TCPAddr ${LOOPBACK}
Foreground yes
LogFile ${layout.log}
LogTime yes
TemporaryDirectory ${layout.tmpDir}
DatabaseDirectory ${state.databaseDir}
ConcurrentDatabaseReload no
# Raised together: files above MaxFileSize would otherwise come back OK unscanned.
StreamMaxLength ${limit}
MaxFileSize ${limit}
MaxScanSize ${limit}
AlertExceedsMax yes
# Look inside archives, documents and files embedded in other files; what cannot be read is an alert.
ScanArchive yes
ScanPDF yes
ScanOLE2 yes
ScanHTML yes
AlertEncrypted yes
`;
}

function assertCompatible(state: ClamdState, options: ClamdOptions, layout: Layout): void {
  const envPort = process.env[CLAMD_PORT_ENV] ? Number(process.env[CLAMD_PORT_ENV]) : undefined;
  const conflicts: string[] = [];
  const wantedPort = options.port ?? envPort;
  if (wantedPort !== undefined && wantedPort !== state.port) conflicts.push('port');
  if (options.maxScanBytes !== undefined && options.maxScanBytes !== state.maxScanBytes) {
    conflicts.push('maxScanBytes');
  }
  if (options.databaseDir !== undefined && path.resolve(options.databaseDir) !== state.databaseDir) {
    conflicts.push('databaseDir');
  }
  if (conflicts.length > 0) {
    throw new Error(
      `a clamd from ${layout.dataDir} is already running (port ${state.port}) with a different ${conflicts.join(', ')}: ` +
        'stop it first (stopClamd, or `npx tsx local/servers/cli.ts stop clamd` with the same --data-dir)',
    );
  }
}

function serverInfo(state: ClamdState, layout: Layout, reused: boolean): Omit<ClamdServer, 'stop'> {
  return {
    host: LOOPBACK,
    port: state.port,
    maxScanBytes: state.maxScanBytes,
    dataDir: layout.dataDir,
    reused,
    pid: runningPid(layout),
  };
}

function serverFrom(state: ClamdState, layout: Layout, reused: boolean): ClamdServer {
  return { ...serverInfo(state, layout, reused), stop: () => stopClamd({ dataDir: layout.dataDir }) };
}

function runningPid(layout: Layout): number | undefined {
  const pid = readPidFile(layout.pidFile);
  return pid !== undefined && isOwnProcess(pid, layout.conf) ? pid : undefined;
}

async function stopDaemon(layout: Layout): Promise<void> {
  const pid = runningPid(layout);
  if (pid !== undefined) await terminateProcesses([pid], { graceMs: 3_000 });
  rmSync(layout.pidFile, { force: true });
}

async function readState(layout: Layout): Promise<ClamdState | undefined> {
  const value = await readJsonFile(layout.state);
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  return v.kind === 'stowage-clamd' &&
    typeof v.port === 'number' &&
    typeof v.maxScanBytes === 'number' &&
    typeof v.databaseDir === 'string'
    ? (value as ClamdState)
    : undefined;
}

function layoutOf(dataDir: string): Layout {
  const root = path.resolve(dataDir);
  return {
    dataDir: root,
    conf: path.join(root, 'clamd.conf'),
    tmpDir: path.join(root, 'tmp'),
    log: path.join(root, 'clamd.log'),
    output: path.join(root, 'clamd.out'),
    pidFile: path.join(root, 'clamd.pid'),
    state: path.join(root, STATE_FILE),
    lock: path.join(root, '.lock'),
  };
}
