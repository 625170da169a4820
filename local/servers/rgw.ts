/**
 * A real S3 server for tests and local mode: a single-node Ceph cluster (one mon, one OSD on memstore, no
 * mgr) with a RADOS Gateway on 127.0.0.1. Facts behind every knob: /work/shared/TEST-SERVERS.md.
 */
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  ListBucketsCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import type { S3ClientConfig } from '@aws-sdk/client-s3';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { s3ClientConfig } from '../../lambda/shared/aws/s3-client';
import { LOOPBACK, resolvePorts } from './net';
import {
  isOwnProcess,
  readJsonFile,
  readPidFile,
  requireExecutable,
  runCommand,
  spawnDaemon,
  terminateProcesses,
  waitUntil,
  withLockFile,
} from './process';
import type { SpawnedDaemon } from './process';

/** Environment variable that sets the S3 port when `port` is not given. */
export const RGW_PORT_ENV = 'STOWAGE_RGW_PORT';
/** Environment variable that sets the Ceph monitor port when `monPort` is not given. */
export const RGW_MON_PORT_ENV = 'STOWAGE_RGW_MON_PORT';

export const DEFAULT_RGW_ACCESS_KEY = 'stowage-local-access-key';
export const DEFAULT_RGW_SECRET_KEY = 'stowage-local-secret-key';
export const DEFAULT_RGW_REGION = 'us-east-1';
export const DEFAULT_KMS_KEY_ID = 'stowage-local-key';

const STATE_FILE = 'stowage-rgw.json';
const RGW_NAME = 'client.rgw.stowage';
const USER_ID = 'stowage';
/** Entries of the data directory that a fresh start removes (nothing else in it is touched). */
const CLUSTER_ENTRIES = ['ceph.conf', 'monmap', 'mon', 'osd', 'run', 'log', 'pid', STATE_FILE];

export interface RgwOptions {
  /** Directory for ceph.conf, the monitor store, logs and pid files. Created when missing. */
  readonly dataDir: string;
  /** S3 port on 127.0.0.1. Default: `$STOWAGE_RGW_PORT`, else a free port. */
  readonly port?: number;
  /** Ceph monitor port on 127.0.0.1. Default: `$STOWAGE_RGW_MON_PORT`, else a free port. */
  readonly monPort?: number;
  /** Access key of the S3 user. Default: {@link DEFAULT_RGW_ACCESS_KEY}. */
  readonly accessKey?: string;
  /** Secret key of the S3 user. Default: {@link DEFAULT_RGW_SECRET_KEY}. */
  readonly secretKey?: string;
  /** Region clients sign for (RGW accepts any). Default: {@link DEFAULT_RGW_REGION}. */
  readonly region?: string;
  /**
   * SSE-KMS keys served by RGW's `testing` KMS backend: key id → base64 of 32 bytes.
   * Default: one random key named {@link DEFAULT_KMS_KEY_ID}.
   */
  readonly kmsKeys?: Readonly<Record<string, string>>;
  /** Length in seconds of a lifecycle "day" (`rgw lc debug interval`). Default: 10. */
  readonly lifecycleDaySeconds?: number;
  /** Capacity the memstore OSD reports; objects live in RAM. Default: 4 GiB. */
  readonly memstoreBytes?: number;
  /** Let the daemons outlive this process (see `DaemonSpec.detached`). Default: true. */
  readonly detached?: boolean;
  /** Give up starting after this many milliseconds. Default: 60 000. */
  readonly timeoutMs?: number;
}

export interface RgwServer {
  /** S3 endpoint, e.g. `http://127.0.0.1:7480`. Use path-style addressing. */
  readonly endpoint: string;
  readonly accessKey: string;
  readonly secretKey: string;
  readonly region: string;
  /** Key ids usable as `SSEKMSKeyId`. */
  readonly kmsKeyIds: readonly string[];
  readonly port: number;
  readonly monPort: number;
  readonly dataDir: string;
  /** True when an already running server from the same data directory was reused. */
  readonly reused: boolean;
  /** Pids of the mon, OSD and radosgw daemons. */
  readonly pids: readonly number[];
  /** Stops all daemons of this cluster (TERM, wait, KILL). */
  stop(): Promise<void>;
}

/** What a running cluster records in its data directory. */
interface RgwState {
  readonly kind: 'stowage-rgw';
  readonly port: number;
  readonly monPort: number;
  readonly accessKey: string;
  readonly secretKey: string;
  readonly region: string;
  readonly kmsKeys: Readonly<Record<string, string>>;
  readonly startedAt: string;
}

interface Layout {
  readonly dataDir: string;
  readonly conf: string;
  readonly monmap: string;
  readonly monDir: string;
  readonly osdDir: string;
  readonly runDir: string;
  readonly logDir: string;
  readonly pidDir: string;
  readonly state: string;
  readonly lock: string;
  readonly pidFiles: { readonly mon: string; readonly osd: string; readonly rgw: string };
  readonly logs: { readonly mon: string; readonly osd: string; readonly rgw: string };
}

/**
 * Starts (or reuses) a single-node Ceph RGW whose files live in `dataDir`, waits until S3 answers and the
 * first-request pool creation is paid, and returns its endpoint and credentials.
 */
export async function startRgw(options: RgwOptions): Promise<RgwServer> {
  const layout = layoutOf(options.dataDir);
  const timeoutMs = options.timeoutMs ?? 60_000;
  mkdirSync(layout.dataDir, { recursive: true });
  return withLockFile(layout.lock, timeoutMs, async () => {
    const existing = await readState(layout);
    if (existing && runningPids(layout).length === 3 && (await s3Answers(existing))) {
      assertCompatible(existing, options, layout);
      return serverFrom(existing, layout, true);
    }
    await stopDaemons(layout);
    return startFresh(options, layout, timeoutMs);
  });
}

/** Stops the cluster whose files live in `dataDir`, if any. Safe to call when nothing runs. */
export async function stopRgw(options: { readonly dataDir: string }): Promise<void> {
  const layout = layoutOf(options.dataDir);
  await stopDaemons(layout);
  rmSync(layout.state, { force: true });
}

export interface RgwStatus {
  readonly running: boolean;
  /** Pids of this cluster's daemons that are alive. */
  readonly pids: readonly number[];
  /** Present when the cluster is up and answering S3 requests. */
  readonly server?: Omit<RgwServer, 'stop'>;
}

/** Reports whether a cluster from `dataDir` is running and answering. */
export async function rgwStatus(options: { readonly dataDir: string }): Promise<RgwStatus> {
  const layout = layoutOf(options.dataDir);
  const pids = runningPids(layout);
  const state = await readState(layout);
  if (!state || pids.length !== 3 || !(await s3Answers(state))) return { running: false, pids };
  return { running: true, pids, server: serverInfo(state, layout, true) };
}

/** S3 client settings for this RGW: its endpoint and user, with the shared S3-compatible settings (s3ClientConfig). */
export function rgwS3ClientConfig(
  server: Pick<RgwServer, 'endpoint' | 'accessKey' | 'secretKey' | 'region'>,
): S3ClientConfig {
  return s3ClientConfig({
    endpoint: server.endpoint,
    region: server.region,
    credentials: { accessKeyId: server.accessKey, secretAccessKey: server.secretKey },
  });
}

async function startFresh(options: RgwOptions, layout: Layout, timeoutMs: number): Promise<RgwServer> {
  const bins = {
    monmaptool: requireExecutable('monmaptool'),
    cephMon: requireExecutable('ceph-mon'),
    cephOsd: requireExecutable('ceph-osd'),
    ceph: requireExecutable('ceph'),
    radosgw: requireExecutable('radosgw'),
    radosgwAdmin: requireExecutable('radosgw-admin'),
  };
  const kmsKeys = options.kmsKeys ?? { [DEFAULT_KMS_KEY_ID]: randomBytes(32).toString('base64') };
  validateKmsKeys(kmsKeys);
  const [port, monPort] = await resolvePorts([
    { explicit: options.port, envName: RGW_PORT_ENV },
    { explicit: options.monPort, envName: RGW_MON_PORT_ENV },
  ]);
  const state: RgwState = {
    kind: 'stowage-rgw',
    port,
    monPort,
    accessKey: options.accessKey ?? DEFAULT_RGW_ACCESS_KEY,
    secretKey: options.secretKey ?? DEFAULT_RGW_SECRET_KEY,
    region: options.region ?? DEFAULT_RGW_REGION,
    kmsKeys,
    startedAt: new Date().toISOString(),
  };

  for (const entry of CLUSTER_ENTRIES) {
    rmSync(path.join(layout.dataDir, entry), { recursive: true, force: true });
  }
  for (const dir of [layout.monDir, layout.osdDir, layout.runDir, layout.logDir, layout.pidDir]) {
    mkdirSync(dir, { recursive: true });
  }
  const fsid = randomUUID();
  writeFileSync(
    layout.conf,
    cephConf({
      fsid,
      layout,
      state,
      lifecycleDaySeconds: options.lifecycleDaySeconds ?? 10,
      memstoreBytes: options.memstoreBytes ?? 4 * 1024 ** 3,
    }),
  );

  const deadline = Date.now() + timeoutMs;
  const remaining = (): number => Math.max(1_000, deadline - Date.now());
  const conf = ['-c', layout.conf];
  const monAddr = `[v2:${LOOPBACK}:${monPort}]`;
  const detached = options.detached ?? true;
  const daemons: SpawnedDaemon[] = [];
  try {
    await runCommand(bins.monmaptool, ['--create', '--fsid', fsid, '--addv', 'a', monAddr, layout.monmap]);
    await runCommand(bins.cephMon, [...conf, '--mkfs', '-i', 'a', '--monmap', layout.monmap], {
      logFiles: [layout.logs.mon],
    });
    daemons.push(
      spawnDaemon({
        name: 'ceph-mon',
        command: bins.cephMon,
        args: [...conf, '-i', 'a', '-f'],
        outputFile: path.join(layout.logDir, 'mon.a.out'),
        pidFile: layout.pidFiles.mon,
        detached,
      }),
    );

    const osdUuid = randomUUID();
    const connectTimeout = String(Math.ceil(remaining() / 1000));
    const osdId = (
      await runCommand(bins.ceph, [...conf, '--connect-timeout', connectTimeout, 'osd', 'new', osdUuid], {
        timeoutMs: remaining(),
        logFiles: [layout.logs.mon],
        daemons,
      })
    ).trim();
    if (!/^\d+$/.test(osdId)) {
      throw new Error(`ceph osd new returned ${JSON.stringify(osdId)}, expected an id`);
    }
    mkdirSync(path.join(layout.osdDir, `osd.${osdId}`), { recursive: true });
    await runCommand(bins.cephOsd, [...conf, '-i', osdId, '--mkfs', '--osd-uuid', osdUuid], {
      timeoutMs: remaining(),
      logFiles: [layout.logs.osd],
      daemons,
    });
    daemons.push(
      spawnDaemon({
        name: 'ceph-osd',
        command: bins.cephOsd,
        args: [...conf, '-i', osdId, '-f'],
        outputFile: path.join(layout.logDir, `osd.${osdId}.out`),
        pidFile: layout.pidFiles.osd,
        detached,
      }),
    );
    daemons.push(
      spawnDaemon({
        name: 'radosgw',
        command: bins.radosgw,
        args: [...conf, '-n', RGW_NAME, '-f'],
        outputFile: path.join(layout.logDir, 'rgw.out'),
        pidFile: layout.pidFiles.rgw,
        detached,
      }),
    );
    // radosgw-admin only once radosgw has set up the default realm and zone: run together they race for it.
    await waitUntil('radosgw to listen', () => httpAnswers(state), {
      timeoutMs: remaining(),
      daemons,
      logFiles: [layout.logs.rgw],
    });
    await runCommand(
      bins.radosgwAdmin,
      [
        ...conf,
        'user',
        'create',
        `--uid=${USER_ID}`,
        '--display-name=Stowage local',
        `--access-key=${state.accessKey}`,
        `--secret=${state.secretKey}`,
      ],
      { timeoutMs: remaining(), logFiles: [layout.logs.osd, layout.logs.rgw], daemons },
    );

    await waitUntil('the RGW S3 endpoint to answer', () => s3Answers(state), {
      timeoutMs: remaining(),
      daemons,
      logFiles: [layout.logs.rgw],
    });
    await warmUp(state);
  } catch (error) {
    await terminateProcesses(
      daemons.map((d) => d.pid),
      { graceMs: 500 },
    );
    throw error;
  }
  writeFileSync(layout.state, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  return serverFrom(state, layout, false);
}

function cephConf(input: {
  readonly fsid: string;
  readonly layout: Layout;
  readonly state: RgwState;
  readonly lifecycleDaySeconds: number;
  readonly memstoreBytes: number;
}): string {
  const { fsid, layout, state } = input;
  const kmsKeys = Object.entries(state.kmsKeys)
    .map(([id, key]) => `${id}=${key}`)
    .join(' ');
  return `# Written by Stowage local/servers/rgw.ts: a throwaway single-node cluster, memstore only.
[global]
fsid = ${fsid}
mon host = [v2:${LOOPBACK}:${state.monPort}]
mon initial members = a
public addr = ${LOOPBACK}
ms bind msgr1 = false
# A taken port fails in about 1 s instead of 10 s (3 retries, 5 s apart).
ms bind retry delay = 0.5
# No cephx; without crc mode for mon clients radosgw hangs (get_initial_auth_request returned -13).
auth cluster required = none
auth service required = none
auth client required = none
ms mon client mode = crc
run dir = ${layout.runDir}
admin socket = ${layout.runDir}/$name.asok
log file = ${layout.logDir}/$name.log
mon data = ${layout.monDir}/$name
osd data = ${layout.osdDir}/$name
osd objectstore = memstore
memstore device bytes = ${input.memstoreBytes}
# Fast paxos: start-up 12.8 s -> 1.5 s.
paxos propose interval = 0.01
paxos min wait = 0.01
osd pool default size = 1
osd pool default min size = 1
mon allow pool size one = true
mon warn on pool no redundancy = false
osd pool default pg num = 8
osd pool default pgp num = 8
mon max pg per osd = 1000
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
mon data avail warn = 2
mon data avail crit = 1
# A client whose op maps to a PG with no OSD yet (radosgw creating pools while the OSD boots) only asks for a
# newer osdmap on its objecter tick: 5 s by default, which made one start in four take 5 s longer.
objecter tick interval = 0.25

[${RGW_NAME}]
# tcp_nodelay: without it small responses wait for delayed ACKs (about 40 ms per request on loopback).
rgw frontends = beast endpoint=${LOOPBACK}:${state.port} tcp_nodelay=1
rgw thread pool size = 64
# SSE-KMS without a KMS: keys served by the testing backend.
rgw crypt s3 kms backend = testing
rgw crypt s3 kms encryption keys = ${kmsKeys}
rgw crypt require ssl = false
rgw lc debug interval = ${input.lifecycleDaySeconds}
`;
}

async function warmUp(state: RgwState): Promise<void> {
  const client = new S3Client({ ...rgwS3ClientConfig(serverEndpoint(state)), maxAttempts: 3 });
  const Bucket = `stowage-warmup-${randomBytes(6).toString('hex')}`;
  try {
    await client.send(new CreateBucketCommand({ Bucket }));
    await client.send(new PutObjectCommand({ Bucket, Key: 'warmup', Body: 'warmup' }));
    await client.send(new DeleteObjectCommand({ Bucket, Key: 'warmup' }));
    await client.send(new DeleteBucketCommand({ Bucket }));
  } finally {
    client.destroy();
  }
}

async function s3Answers(state: RgwState): Promise<boolean> {
  const client = new S3Client({
    ...rgwS3ClientConfig(serverEndpoint(state)),
    maxAttempts: 1,
    requestHandler: { connectionTimeout: 1_000, requestTimeout: 5_000 },
  });
  try {
    await client.send(new ListBucketsCommand({}));
    return true;
  } catch (error) {
    // Connection refused while radosgw starts: not ready yet. Anything else (e.g. bad credentials) is real.
    if (isConnectionError(error)) return false;
    throw error;
  } finally {
    client.destroy();
  }
}

async function httpAnswers(state: RgwState): Promise<boolean> {
  try {
    await fetch(`http://${LOOPBACK}:${state.port}/`, { signal: AbortSignal.timeout(2_000) });
    return true;
  } catch {
    return false;
  }
}

function isConnectionError(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const name = error instanceof Error ? error.name : '';
  return (
    code === 'ECONNREFUSED' ||
    code === 'ECONNRESET' ||
    code === 'EPIPE' ||
    name === 'TimeoutError' ||
    name === 'RequestTimeout'
  );
}

function assertCompatible(state: RgwState, options: RgwOptions, layout: Layout): void {
  const envPort = process.env[RGW_PORT_ENV] ? Number(process.env[RGW_PORT_ENV]) : undefined;
  const envMonPort = process.env[RGW_MON_PORT_ENV] ? Number(process.env[RGW_MON_PORT_ENV]) : undefined;
  const conflicts: string[] = [];
  const check = (what: string, wanted: unknown, actual: unknown): void => {
    if (wanted !== undefined && JSON.stringify(wanted) !== JSON.stringify(actual)) conflicts.push(what);
  };
  check('port', options.port ?? envPort, state.port);
  check('monitor port', options.monPort ?? envMonPort, state.monPort);
  check('access key', options.accessKey, state.accessKey);
  check('secret key', options.secretKey, state.secretKey);
  check('region', options.region, state.region);
  check('KMS keys', options.kmsKeys && sortedEntries(options.kmsKeys), sortedEntries(state.kmsKeys));
  if (conflicts.length > 0) {
    throw new Error(
      `an RGW from ${layout.dataDir} is already running (port ${state.port}) with a different ${conflicts.join(', ')}: ` +
        'stop it first (stopRgw, or `npx tsx local/servers/cli.ts stop rgw` with the same --data-dir)',
    );
  }
}

function validateKmsKeys(keys: Readonly<Record<string, string>>): void {
  const ids = Object.keys(keys);
  if (ids.length === 0) throw new Error('kmsKeys must name at least one key');
  for (const [id, key] of Object.entries(keys)) {
    if (!/^[A-Za-z0-9._:/-]+$/.test(id)) {
      throw new Error(`KMS key id ${JSON.stringify(id)} may only contain letters, digits and . _ : / -`);
    }
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(key) || Buffer.from(key, 'base64').length !== 32) {
      throw new Error(`KMS key ${JSON.stringify(id)} must be the base64 encoding of exactly 32 bytes`);
    }
  }
}

function sortedEntries(record: Readonly<Record<string, string>>): [string, string][] {
  return Object.entries(record).sort(([a], [b]) => a.localeCompare(b));
}

function serverEndpoint(state: RgwState): Pick<RgwServer, 'endpoint' | 'accessKey' | 'secretKey' | 'region'> {
  return {
    endpoint: `http://${LOOPBACK}:${state.port}`,
    accessKey: state.accessKey,
    secretKey: state.secretKey,
    region: state.region,
  };
}

function serverInfo(state: RgwState, layout: Layout, reused: boolean): Omit<RgwServer, 'stop'> {
  return {
    ...serverEndpoint(state),
    kmsKeyIds: Object.keys(state.kmsKeys),
    port: state.port,
    monPort: state.monPort,
    dataDir: layout.dataDir,
    reused,
    pids: runningPids(layout),
  };
}

function serverFrom(state: RgwState, layout: Layout, reused: boolean): RgwServer {
  return { ...serverInfo(state, layout, reused), stop: () => stopRgw({ dataDir: layout.dataDir }) };
}

function runningPids(layout: Layout): number[] {
  return Object.values(layout.pidFiles)
    .map(readPidFile)
    .filter((pid): pid is number => pid !== undefined && isOwnProcess(pid, layout.conf));
}

async function stopDaemons(layout: Layout): Promise<void> {
  // Memstore holds nothing worth a clean shutdown (radosgw alone takes about 6 s on TERM).
  await terminateProcesses(runningPids(layout), { graceMs: 1_500 });
  for (const pidFile of Object.values(layout.pidFiles)) rmSync(pidFile, { force: true });
}

async function readState(layout: Layout): Promise<RgwState | undefined> {
  const value = await readJsonFile(layout.state);
  return isRgwState(value) ? value : undefined;
}

function isRgwState(value: unknown): value is RgwState {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    v.kind === 'stowage-rgw' &&
    typeof v.port === 'number' &&
    typeof v.monPort === 'number' &&
    typeof v.accessKey === 'string' &&
    typeof v.secretKey === 'string' &&
    typeof v.region === 'string' &&
    typeof v.kmsKeys === 'object' &&
    v.kmsKeys !== null &&
    Object.values(v.kmsKeys).every((k) => typeof k === 'string')
  );
}

function layoutOf(dataDir: string): Layout {
  const root = path.resolve(dataDir);
  const logDir = path.join(root, 'log');
  const pidDir = path.join(root, 'pid');
  return {
    dataDir: root,
    conf: path.join(root, 'ceph.conf'),
    monmap: path.join(root, 'monmap'),
    monDir: path.join(root, 'mon'),
    osdDir: path.join(root, 'osd'),
    runDir: path.join(root, 'run'),
    logDir,
    pidDir,
    state: path.join(root, STATE_FILE),
    lock: path.join(root, '.lock'),
    pidFiles: {
      mon: path.join(pidDir, 'ceph-mon.pid'),
      osd: path.join(pidDir, 'ceph-osd.pid'),
      rgw: path.join(pidDir, 'radosgw.pid'),
    },
    logs: {
      mon: path.join(logDir, 'mon.a.log'),
      osd: path.join(logDir, 'osd.0.log'),
      rgw: path.join(logDir, `${RGW_NAME}.log`),
    },
  };
}
