/**
 * A real PostgreSQL server for tests and local mode (Debian's postgresql-15): a throwaway cluster made by initdb in
 * a data directory, listening on 127.0.0.1 only, its unix socket in the same directory, trust authentication and
 * durability switched off for speed. Started and stopped with pg_ctl.
 *
 * PostgreSQL refuses to run as root: when this process is root, the cluster's files belong to, and the server runs
 * as, an unprivileged system account (`postgres` when it exists, else `nobody`), which must be able to reach the
 * data directory (every parent searchable): postgres-account.ts.
 */
import {
  chownSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { LOOPBACK, resolvePorts } from './net';
import {
  findExecutable,
  isOwnProcess,
  MissingBinaryError,
  readJsonFile,
  runCommand,
  ServerStartError,
  tailFile,
  terminateProcesses,
  waitUntil,
  withLockFile,
} from './process';
import { assertReachable, systemAccount } from './postgres-account';

/** Environment variable that sets the port when `port` is not given. */
export const POSTGRES_PORT_ENV = 'STOWAGE_POSTGRES_PORT';

/** The superuser role initdb creates (trust authentication: no password). */
export const DEFAULT_POSTGRES_USER = 'stowage';

/** Where Debian installs the server binaries, one directory per major version. */
const DEBIAN_POSTGRES_LIB = '/usr/lib/postgresql';
const STATE_FILE = 'stowage-postgres.json';
/** Longest unix socket path Linux accepts (sun_path is 108 bytes with its terminating NUL). */
const MAX_SOCKET_PATH = 107;

export interface PostgresOptions {
  /** Directory for the cluster, its socket, log and state. Created when missing. */
  readonly dataDir: string;
  /** TCP port on 127.0.0.1. Default: `$STOWAGE_POSTGRES_PORT`, else a free port. */
  readonly port?: number;
  /** Superuser role name. Default: {@link DEFAULT_POSTGRES_USER}. */
  readonly user?: string;
  /** System account the server runs as when this process is root. Default: `postgres` if it exists, else `nobody`. */
  readonly systemUser?: string;
  /** Give up starting after this many milliseconds. Default: 30 000. */
  readonly timeoutMs?: number;
}

export interface PostgresServer {
  /** Always 127.0.0.1. */
  readonly host: string;
  readonly port: number;
  /** Superuser role (trust authentication). */
  readonly user: string;
  /** Directory holding the unix socket (`psql -h <socketDir>`). */
  readonly socketDir: string;
  /** Server version, e.g. `15.18`. */
  readonly version: string;
  readonly dataDir: string;
  /** True when an already running server from the same data directory was reused. */
  readonly reused: boolean;
  /** Pid of the postmaster. */
  readonly pid: number | undefined;
  /** Stops the server (pg_ctl stop -m fast, then signals). */
  stop(): Promise<void>;
}

interface PostgresState {
  readonly kind: 'stowage-postgres';
  readonly port: number;
  readonly user: string;
  readonly binDir: string;
  readonly version: string;
  readonly startedAt: string;
}

interface Layout {
  readonly dataDir: string;
  /** PGDATA: initdb's cluster. */
  readonly pgData: string;
  readonly socketDir: string;
  readonly log: string;
  readonly state: string;
  readonly lock: string;
  readonly postmasterPid: string;
}

/** Starts (or reuses) a PostgreSQL cluster whose files live in `dataDir`, and waits until it accepts connections. */
export async function startPostgres(options: PostgresOptions): Promise<PostgresServer> {
  const layout = layoutOf(options.dataDir);
  const timeoutMs = options.timeoutMs ?? 30_000;
  mkdirSync(layout.dataDir, { recursive: true });
  return withLockFile(layout.lock, timeoutMs, async () => {
    const existing = await readState(layout);
    if (existing && runningPid(layout) !== undefined && (await isReady(existing, layout))) {
      assertCompatible(existing, options, layout);
      return serverFrom(existing, layout, true);
    }
    await stopServer(layout, existing);
    return startFresh(options, layout, timeoutMs);
  });
}

/** Stops the server whose files live in `dataDir`, if any. Safe to call when nothing runs. */
export async function stopPostgres(options: { readonly dataDir: string }): Promise<void> {
  const layout = layoutOf(options.dataDir);
  await stopServer(layout, await readState(layout));
  rmSync(layout.state, { force: true });
}

export interface PostgresStatus {
  readonly running: boolean;
  readonly pid?: number;
  /** Present when the server is up and accepting connections. */
  readonly server?: Omit<PostgresServer, 'stop'>;
}

/** Reports whether a server from `dataDir` is running and accepting connections. */
export async function postgresStatus(options: { readonly dataDir: string }): Promise<PostgresStatus> {
  const layout = layoutOf(options.dataDir);
  const pid = runningPid(layout);
  const state = await readState(layout);
  if (pid === undefined || !state || !(await isReady(state, layout))) {
    return pid === undefined ? { running: false } : { running: false, pid };
  }
  return { running: true, pid, server: serverInfo(state, layout, true) };
}

/**
 * The directory of the PostgreSQL server binaries: the one holding `initdb` on PATH, else Debian's newest
 * /usr/lib/postgresql/<major>/bin. Throws a MissingBinaryError naming initdb when there is none.
 */
export function findPostgresBinDir(): string {
  const onPath = findExecutable('initdb');
  // Resolve links: a /usr/local/bin/initdb linked into the real bin directory has no pg_ctl or pg_isready beside it.
  if (onPath) return path.dirname(realpathSync(onPath));
  const majors = existsSync(DEBIAN_POSTGRES_LIB)
    ? readdirSync(DEBIAN_POSTGRES_LIB)
        .filter((name) => /^\d+$/.test(name))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  for (const major of majors) {
    const binDir = path.join(DEBIAN_POSTGRES_LIB, major, 'bin');
    if (existsSync(path.join(binDir, 'initdb'))) return binDir;
  }
  throw new MissingBinaryError('initdb');
}

async function startFresh(
  options: PostgresOptions,
  layout: Layout,
  timeoutMs: number,
): Promise<PostgresServer> {
  const binDir = findPostgresBinDir();
  const bin = (name: string): string => {
    const file = path.join(binDir, name);
    if (!existsSync(file)) throw new MissingBinaryError(name);
    return file;
  };
  const bins = {
    initdb: bin('initdb'),
    pgCtl: bin('pg_ctl'),
    postgres: bin('postgres'),
    pgIsReady: bin('pg_isready'),
  };
  const user = options.user ?? DEFAULT_POSTGRES_USER;
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(user)) {
    throw new Error(`user must be a plain lower-case role name, got ${JSON.stringify(user)}`);
  }
  const [port] = await resolvePorts([{ explicit: options.port, envName: POSTGRES_PORT_ENV }]);
  const socketPath = path.join(layout.socketDir, `.s.PGSQL.${port}`);
  if (Buffer.byteLength(socketPath) > MAX_SOCKET_PATH) {
    throw new Error(
      `the unix socket path ${socketPath} is longer than ${MAX_SOCKET_PATH} bytes: use a shorter data directory`,
    );
  }
  const account = process.getuid?.() === 0 ? await systemAccount(options.systemUser) : undefined;
  if (account) assertReachable(layout.dataDir, account);
  const versionLine = (await runCommand(bins.postgres, ['--version'])).trim();
  const version = /\(PostgreSQL\)\s+(\S+)/.exec(versionLine)?.[1] ?? versionLine;

  rmSync(layout.pgData, { recursive: true, force: true });
  rmSync(layout.socketDir, { recursive: true, force: true });
  rmSync(layout.log, { force: true });
  mkdirSync(layout.socketDir, { recursive: true });
  writeFileSync(layout.log, '');
  if (account) {
    for (const entry of [layout.dataDir, layout.socketDir, layout.log]) {
      chownSync(entry, account.uid, account.gid);
    }
  }
  const asServer = { ...(account ? { runAs: account } : {}), cwd: layout.dataDir };

  const deadline = Date.now() + timeoutMs;
  const remaining = (): number => Math.max(1_000, deadline - Date.now());
  await runCommand(
    bins.initdb,
    [
      '--pgdata',
      layout.pgData,
      '--username',
      user,
      '--auth=trust',
      '--encoding=UTF8',
      '--locale=C',
      '--no-sync',
      '--no-instructions',
    ],
    { ...asServer, timeoutMs: remaining() },
  );
  writeFileSync(path.join(layout.pgData, 'postgresql.auto.conf'), serverConf(port, layout), { mode: 0o600 });
  if (account) chownSync(path.join(layout.pgData, 'postgresql.auto.conf'), account.uid, account.gid);

  const state: PostgresState = {
    kind: 'stowage-postgres',
    port,
    user,
    binDir,
    version,
    startedAt: new Date().toISOString(),
  };
  try {
    const seconds = String(Math.ceil(remaining() / 1000));
    await runCommand(
      bins.pgCtl,
      ['start', '--pgdata', layout.pgData, '--log', layout.log, '--wait', '--timeout', seconds, '--silent'],
      {
        ...asServer,
        timeoutMs: remaining() + 2_000,
        logFiles: [layout.log],
      },
    );
    await waitUntil(`PostgreSQL to accept connections on ${LOOPBACK}:${port}`, () => isReady(state, layout), {
      timeoutMs: remaining(),
      logFiles: [layout.log],
    });
  } catch (error) {
    await stopServer(layout, state);
    if (error instanceof ServerStartError) throw error;
    throw new ServerStartError(
      `PostgreSQL did not start: ${error instanceof Error ? error.message : String(error)}\n` +
        `--- ${layout.log}:\n${tailFile(layout.log)}`,
    );
  }
  writeFileSync(layout.state, `${JSON.stringify(state, null, 2)}\n`);
  return serverFrom(state, layout, false);
}

/** Settings for a disposable test server: loopback only, socket in the data directory, no durability. */
function serverConf(port: number, layout: Layout): string {
  const quote = (value: string): string => `'${value.replace(/'/g, "''")}'`;
  return `# Written by Stowage local/servers/postgres.ts: a throwaway cluster, durability off.
listen_addresses = '${LOOPBACK}'
port = ${port}
unix_socket_directories = ${quote(layout.socketDir)}
max_connections = 50
shared_buffers = 32MB
fsync = off
synchronous_commit = off
full_page_writes = off
wal_level = minimal
max_wal_senders = 0
autovacuum = off
log_line_prefix = '%m [%p] '
`;
}

/** True when the server answers a connection attempt (pg_isready exit 0). */
async function isReady(state: PostgresState, layout: Layout): Promise<boolean> {
  const pgIsReady = path.join(state.binDir, 'pg_isready');
  try {
    await runCommand(
      pgIsReady,
      [
        '--host',
        LOOPBACK,
        '--port',
        String(state.port),
        '--username',
        state.user,
        '--dbname',
        'postgres',
        '--quiet',
        '--timeout',
        '2',
      ],
      { timeoutMs: 5_000, cwd: layout.dataDir },
    );
    return true;
  } catch {
    return false;
  }
}

function assertCompatible(state: PostgresState, options: PostgresOptions, layout: Layout): void {
  const envPort = process.env[POSTGRES_PORT_ENV] ? Number(process.env[POSTGRES_PORT_ENV]) : undefined;
  const conflicts: string[] = [];
  const wantedPort = options.port ?? envPort;
  if (wantedPort !== undefined && wantedPort !== state.port) conflicts.push('port');
  if (options.user !== undefined && options.user !== state.user) conflicts.push('user');
  if (conflicts.length > 0) {
    throw new Error(
      `a PostgreSQL from ${layout.dataDir} is already running (port ${state.port}) with a different ${conflicts.join(', ')}: ` +
        'stop it first (stopPostgres, or `npx tsx local/servers/cli.ts stop postgres` with the same --data-dir)',
    );
  }
}

/** pg_ctl stop -m fast as the cluster's owner; signals when pg_ctl cannot do it. */
async function stopServer(layout: Layout, state: PostgresState | undefined): Promise<void> {
  const pid = runningPid(layout);
  if (pid === undefined) return;
  const pgCtl = state && path.join(state.binDir, 'pg_ctl');
  if (pgCtl && existsSync(pgCtl)) {
    const owner = statSync(layout.pgData);
    const runAs = process.getuid?.() === 0 ? { uid: owner.uid, gid: owner.gid } : undefined;
    try {
      await runCommand(
        pgCtl,
        ['stop', '--pgdata', layout.pgData, '--mode', 'fast', '--wait', '--timeout', '10', '--silent'],
        {
          ...(runAs ? { runAs } : {}),
          cwd: layout.dataDir,
          timeoutMs: 15_000,
        },
      );
    } catch {
      // Fall through to signals.
    }
  }
  // SIGTERM is a smart shutdown (waits for clients); KILL after the grace period.
  await terminateProcesses([pid], { graceMs: 2_000 });
}

/** The postmaster's pid from postmaster.pid, when it is alive and serves this data directory. */
function runningPid(layout: Layout): number | undefined {
  let first: string | undefined;
  try {
    first = readFileSync(layout.postmasterPid, 'utf8').split('\n')[0];
  } catch {
    return undefined;
  }
  const pid = Number.parseInt(first ?? '', 10);
  return Number.isSafeInteger(pid) && pid > 0 && isOwnProcess(pid, layout.pgData) ? pid : undefined;
}

function serverInfo(state: PostgresState, layout: Layout, reused: boolean): Omit<PostgresServer, 'stop'> {
  return {
    host: LOOPBACK,
    port: state.port,
    user: state.user,
    socketDir: layout.socketDir,
    version: state.version,
    dataDir: layout.dataDir,
    reused,
    pid: runningPid(layout),
  };
}

function serverFrom(state: PostgresState, layout: Layout, reused: boolean): PostgresServer {
  return { ...serverInfo(state, layout, reused), stop: () => stopPostgres({ dataDir: layout.dataDir }) };
}

async function readState(layout: Layout): Promise<PostgresState | undefined> {
  const value = await readJsonFile(layout.state);
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  return v.kind === 'stowage-postgres' &&
    typeof v.port === 'number' &&
    typeof v.user === 'string' &&
    typeof v.binDir === 'string' &&
    typeof v.version === 'string'
    ? (value as PostgresState)
    : undefined;
}

function layoutOf(dataDir: string): Layout {
  const root = path.resolve(dataDir);
  const pgData = path.join(root, 'pgdata');
  return {
    dataDir: root,
    pgData,
    socketDir: path.join(root, 'run'),
    log: path.join(root, 'postgres.log'),
    state: path.join(root, STATE_FILE),
    lock: path.join(root, '.lock'),
    postmasterPid: path.join(pgData, 'postmaster.pid'),
  };
}
