/**
 * A real S3 server for tests and local mode: a single-node Ceph cluster (one mon, one OSD, no mgr) with a RADOS
 * Gateway on 127.0.0.1. The OSD keeps objects in RAM (memstore: tests) or in a sparse block file that survives
 * restarts (bluestore: local mode). Facts behind every knob: docs/test-servers.md.
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
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { s3ClientConfig } from '../../core/aws/s3-client';
import { getFreePort, isPortFree, LOOPBACK, resolvePorts } from './net';
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

/** Where the OSD keeps objects: RAM (lost when the cluster stops) or a sparse block file (kept across restarts). */
export const RGW_OBJECT_STORES = ['memstore', 'bluestore'] as const;
export type RgwObjectStore = (typeof RGW_OBJECT_STORES)[number];

/**
 * AWS storage classes worth defining for tests of archive code (`storageClasses`): what RGW Pacific does with them
 * is described there.
 */
export const AWS_TEST_STORAGE_CLASSES = ['STANDARD_IA', 'GLACIER', 'DEEP_ARCHIVE'] as const;

/** Default size of bluestore's block file: sparse, so only what is written takes disk. */
export const DEFAULT_BLUESTORE_BYTES = 20 * 1024 ** 3;

const SECONDS_PER_DAY = 86_400;
/** How long a TERM'd radosgw has to exit before it is killed; a clean stop takes about 0.5 s (stopDaemons). */
const RADOSGW_STOP_GRACE_MS = 3_000;
const STATE_FILE = 'stowage-rgw.json';
/** What a persistent cluster is (fsid, OSD id, keys, ports); kept while the cluster is stopped. */
const CLUSTER_FILE = 'stowage-rgw-cluster.json';
/** The radosgw daemon's Ceph name (`-n`), for radosgw-admin calls against the cluster. */
export const RGW_NAME = 'client.rgw.stowage';
const USER_ID = 'stowage';
/** Entries of the data directory that a fresh start removes (nothing else in it is touched). */
const CLUSTER_ENTRIES = ['ceph.conf', 'monmap', 'mon', 'osd', 'run', 'log', 'pid', STATE_FILE, CLUSTER_FILE];

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
   * Default: random keys named by `kmsKeyIds`.
   */
  readonly kmsKeys?: Readonly<Record<string, string>>;
  /**
   * Ids of SSE-KMS keys to serve with random key material, made once per cluster and kept with it (a persistent
   * cluster keeps them across restarts). Ignored when `kmsKeys` is given. Default: [{@link DEFAULT_KMS_KEY_ID}].
   */
  readonly kmsKeyIds?: readonly string[];
  /**
   * Where the OSD keeps objects: `memstore` (RAM; a restart starts empty) or `bluestore` (a sparse block file in
   * `<dataDir>/osd`; stopping and starting again keeps every bucket and object). Default: memstore.
   */
  readonly objectStore?: RgwObjectStore;
  /** Size of bluestore's sparse block file, fixed when the cluster is created. Default: 20 GiB. */
  readonly bluestoreBytes?: number;
  /**
   * Length in seconds of a lifecycle "day" (`rgw lc debug interval`), so tests see rules act. 86 400 means real
   * days (the debug interval is left out). Default: 10.
   */
  readonly lifecycleDaySeconds?: number;
  /**
   * Storage classes to define besides STANDARD (e.g. {@link AWS_TEST_STORAGE_CLASSES}), in the default placement
   * target and STANDARD's data pool; fixed when the cluster is created. Measured on Pacific 16.2.15: an undefined
   * class is refused (PutObject, CopyObject: 400 InvalidArgument); a defined one is only a label. PutObject and
   * CopyObject take it (also with SSE-KMS on PutObject), HeadObject, ListObjectsV2 and ListObjectVersions report
   * it, lifecycle transitions into it happen, but GetObject of a GLACIER or DEEP_ARCHIVE object still returns its
   * bytes, HeadObject sends no `x-amz-restore`, and RestoreObject answers 501 NotImplemented for every key (even a
   * missing one). Three classes cost about 0.3 s of start-up (1.05 s → 1.35 s). Default: none (only STANDARD).
   */
  readonly storageClasses?: readonly string[];
  /** Capacity the memstore OSD reports; objects live in RAM. Default: 4 GiB. */
  readonly memstoreBytes?: number;
  /** Let the daemons outlive this process (see `DaemonSpec.detached`). Default: true. */
  readonly detached?: boolean;
  /** The daemons die with this process, even on SIGKILL (see `DaemonSpec.followParent`). Default: false. */
  readonly followParent?: boolean;
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
  /** Where the OSD keeps objects. */
  readonly objectStore: RgwObjectStore;
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
  /** Absent in state files written before persistent stores existed: memstore. */
  readonly objectStore?: RgwObjectStore;
  /** Storage classes defined besides STANDARD; absent in older state files: none. */
  readonly storageClasses?: readonly string[];
  readonly startedAt: string;
}

/** What a persistent (bluestore) cluster is, kept in its data directory while it is stopped. */
interface ClusterRecord {
  readonly kind: 'stowage-rgw-cluster';
  readonly objectStore: 'bluestore';
  readonly fsid: string;
  readonly osdId: string;
  readonly bluestoreBytes: number;
  readonly lifecycleDaySeconds: number;
  readonly port: number;
  readonly monPort: number;
  readonly accessKey: string;
  readonly secretKey: string;
  readonly region: string;
  readonly kmsKeys: Readonly<Record<string, string>>;
  /** Storage classes defined besides STANDARD; absent in older records: none. */
  readonly storageClasses?: readonly string[];
  readonly createdAt: string;
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
  readonly cluster: string;
  readonly lock: string;
  readonly pidFiles: { readonly mon: string; readonly osd: string; readonly rgw: string };
  readonly logs: { readonly mon: string; readonly osd: string; readonly rgw: string };
}

/**
 * Starts (or reuses) a single-node Ceph RGW whose files live in `dataDir`, waits until S3 answers and the
 * first-request pool creation is paid, and returns its endpoint and credentials. A stopped persistent
 * (bluestore) cluster in `dataDir` is started again with its buckets, objects, users and keys.
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
    const cluster = await readCluster(layout);
    const objectStore = options.objectStore ?? 'memstore';
    if (cluster) {
      if (objectStore !== cluster.objectStore) {
        throw new Error(
          `${layout.dataDir} holds a persistent ${cluster.objectStore} cluster (its data survives restarts): ` +
            `start it with objectStore '${cluster.objectStore}', or remove the directory to start over`,
        );
      }
      return restartCluster(options, layout, cluster, timeoutMs);
    }
    return startFresh(options, layout, timeoutMs);
  });
}

/**
 * Stops the cluster whose files live in `dataDir`, if any. Safe to call when nothing runs. A persistent
 * (bluestore) cluster is shut down cleanly and keeps its data for the next startRgw.
 */
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
  const objectStore = options.objectStore ?? 'memstore';
  const bluestoreBytes = options.bluestoreBytes ?? DEFAULT_BLUESTORE_BYTES;
  if (!Number.isSafeInteger(bluestoreBytes) || bluestoreBytes < 1024 ** 3) {
    throw new Error(`bluestoreBytes must be a whole number of bytes, at least 1 GiB, got ${bluestoreBytes}`);
  }
  const kmsKeys = options.kmsKeys ?? randomKmsKeys(options.kmsKeyIds ?? [DEFAULT_KMS_KEY_ID]);
  validateKmsKeys(kmsKeys);
  const lifecycleDaySeconds = options.lifecycleDaySeconds ?? 10;
  const storageClasses = validateStorageClasses(options.storageClasses ?? []);
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
    objectStore,
    ...(storageClasses.length > 0 ? { storageClasses } : {}),
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
      lifecycleDaySeconds,
      store:
        objectStore === 'bluestore'
          ? { kind: 'bluestore', bytes: bluestoreBytes }
          : { kind: 'memstore', bytes: options.memstoreBytes ?? 4 * 1024 ** 3 },
    }),
  );

  const deadline = Date.now() + timeoutMs;
  const remaining = (): number => Math.max(1_000, deadline - Date.now());
  const conf = ['-c', layout.conf];
  const monAddr = `[v2:${LOOPBACK}:${monPort}]`;
  const detached = options.detached ?? true;
  const followParent = options.followParent ?? false;
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
        followParent,
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
        followParent,
      }),
    );
    const createUser = (): Promise<string> =>
      runCommand(
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
    if (storageClasses.length > 0) {
      // radosgw reads the zonegroup and zone only when it starts (no realm, so no period to commit): define the
      // classes before it runs. `user create` first: it creates the default zonegroup and zone, which the
      // placement commands need (they fail with "failed to init zonegroup" on a new cluster).
      await createUser();
      for (const args of storageClasses.flatMap(storageClassArgs)) {
        await runCommand(bins.radosgwAdmin, [...conf, ...args], {
          timeoutMs: remaining(),
          logFiles: [layout.logs.osd],
          daemons,
        });
      }
    }
    daemons.push(
      spawnDaemon({
        name: 'radosgw',
        command: bins.radosgw,
        args: [...conf, '-n', RGW_NAME, '-f'],
        outputFile: path.join(layout.logDir, 'rgw.out'),
        pidFile: layout.pidFiles.rgw,
        detached,
        followParent,
      }),
    );
    // radosgw-admin only once radosgw has set up the default realm and zone: run together they race for it.
    await waitUntil('radosgw to listen', () => httpAnswers(state), {
      timeoutMs: remaining(),
      daemons,
      logFiles: [layout.logs.rgw],
    });
    if (storageClasses.length === 0) await createUser();

    await waitUntil('the RGW S3 endpoint to answer', () => s3Answers(state), {
      timeoutMs: remaining(),
      daemons,
      logFiles: [layout.logs.rgw],
    });
    await warmUp(state);
    if (objectStore === 'bluestore') {
      writeCluster(layout, {
        kind: 'stowage-rgw-cluster',
        objectStore,
        fsid,
        osdId,
        bluestoreBytes,
        lifecycleDaySeconds,
        port,
        monPort,
        accessKey: state.accessKey,
        secretKey: state.secretKey,
        region: state.region,
        kmsKeys,
        ...(storageClasses.length > 0 ? { storageClasses } : {}),
        createdAt: state.startedAt,
      });
    }
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

/**
 * Starts a stopped persistent cluster again: same fsid, monitor, OSD and user, no mkfs. The S3 port is the
 * remembered one unless it was given or is taken now (then a free one); the monitor port is part of the
 * cluster's monmap and cannot change. KMS keys are the cluster's, plus any newly requested ids.
 */
async function restartCluster(
  options: RgwOptions,
  layout: Layout,
  cluster: ClusterRecord,
  timeoutMs: number,
): Promise<RgwServer> {
  const bins = {
    cephMon: requireExecutable('ceph-mon'),
    cephOsd: requireExecutable('ceph-osd'),
    radosgw: requireExecutable('radosgw'),
  };
  const conflicts: string[] = [];
  const differs = (what: string, wanted: unknown, actual: unknown): void => {
    if (wanted !== undefined && wanted !== actual) conflicts.push(`${what} (cluster: ${String(actual)})`);
  };
  differs('monitor port', options.monPort, cluster.monPort);
  differs('access key', options.accessKey, cluster.accessKey);
  if (options.secretKey !== undefined && options.secretKey !== cluster.secretKey)
    conflicts.push('secret key');
  differs('region', options.region, cluster.region);
  differs('bluestoreBytes', options.bluestoreBytes, cluster.bluestoreBytes);
  differs('lifecycleDaySeconds', options.lifecycleDaySeconds, cluster.lifecycleDaySeconds);
  const kmsKeys = mergeKmsKeys(cluster.kmsKeys, options, conflicts);
  const missingClasses = missingStorageClasses(options, cluster.storageClasses);
  if (missingClasses.length > 0) conflicts.push(`storage classes (missing ${missingClasses.join(', ')})`);
  if (conflicts.length > 0) {
    throw new Error(
      `the persistent cluster in ${layout.dataDir} was created with a different ${conflicts.join(', ')}: ` +
        'start it with its own settings, or remove the directory to start over',
    );
  }
  if (!(await isPortFree(cluster.monPort))) {
    throw new Error(
      `port ${cluster.monPort} (the Ceph monitor of the cluster in ${layout.dataDir}) is in use by another ` +
        'process: stop that process, or remove the directory to start a new cluster',
    );
  }
  const envPort = process.env[RGW_PORT_ENV] ? Number(process.env[RGW_PORT_ENV]) : undefined;
  const wantedPort = options.port ?? envPort;
  const port = wantedPort ?? ((await isPortFree(cluster.port)) ? cluster.port : await getFreePort());
  const state: RgwState = {
    kind: 'stowage-rgw',
    port,
    monPort: cluster.monPort,
    accessKey: cluster.accessKey,
    secretKey: cluster.secretKey,
    region: cluster.region,
    kmsKeys,
    objectStore: cluster.objectStore,
    ...(cluster.storageClasses ? { storageClasses: cluster.storageClasses } : {}),
    startedAt: new Date().toISOString(),
  };
  for (const entry of ['ceph.conf', 'run', 'pid', STATE_FILE]) {
    rmSync(path.join(layout.dataDir, entry), { recursive: true, force: true });
  }
  for (const dir of [layout.runDir, layout.logDir, layout.pidDir]) mkdirSync(dir, { recursive: true });
  writeFileSync(
    layout.conf,
    cephConf({
      fsid: cluster.fsid,
      layout,
      state,
      lifecycleDaySeconds: cluster.lifecycleDaySeconds,
      store: { kind: 'bluestore', bytes: cluster.bluestoreBytes },
    }),
  );

  const conf = ['-c', layout.conf];
  const detached = options.detached ?? true;
  const followParent = options.followParent ?? false;
  const daemons: SpawnedDaemon[] = [];
  try {
    daemons.push(
      spawnDaemon({
        name: 'ceph-mon',
        command: bins.cephMon,
        args: [...conf, '-i', 'a', '-f'],
        outputFile: path.join(layout.logDir, 'mon.a.out'),
        pidFile: layout.pidFiles.mon,
        detached,
        followParent,
      }),
      spawnDaemon({
        name: 'ceph-osd',
        command: bins.cephOsd,
        args: [...conf, '-i', cluster.osdId, '-f'],
        outputFile: path.join(layout.logDir, `osd.${cluster.osdId}.out`),
        pidFile: layout.pidFiles.osd,
        detached,
        followParent,
      }),
      spawnDaemon({
        name: 'radosgw',
        command: bins.radosgw,
        args: [...conf, '-n', RGW_NAME, '-f'],
        outputFile: path.join(layout.logDir, 'rgw.out'),
        pidFile: layout.pidFiles.rgw,
        detached,
        followParent,
      }),
    );
    await waitUntil('the RGW S3 endpoint to answer', () => s3Answers(state), {
      timeoutMs,
      daemons,
      logFiles: [layout.logs.mon, layout.logs.osd, layout.logs.rgw],
    });
  } catch (error) {
    await terminateProcesses(
      daemons.map((d) => d.pid),
      { graceMs: 5_000 },
    );
    throw error;
  }
  writeCluster(layout, { ...cluster, port, kmsKeys });
  writeFileSync(layout.state, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  return serverFrom(state, layout, false);
}

function cephConf(input: {
  readonly fsid: string;
  readonly layout: Layout;
  readonly state: RgwState;
  readonly lifecycleDaySeconds: number;
  readonly store: { readonly kind: RgwObjectStore; readonly bytes: number };
}): string {
  const { fsid, layout, state, store } = input;
  const kmsKeys = Object.entries(state.kmsKeys)
    .map(([id, key]) => `${id}=${key}`)
    .join(' ');
  const objectStore =
    store.kind === 'memstore'
      ? `osd objectstore = memstore
memstore device bytes = ${store.bytes}`
      : `osd objectstore = bluestore
# A sparse file in the OSD's directory: only written data takes disk.
bluestore block create = true
bluestore block size = ${store.bytes}
# fsck at every mkfs, mount and umount costs seconds on each start and stop of a one-user dev cluster.
bluestore fsck on mkfs = false
bluestore fsck on mount = false
bluestore fsck on umount = false
# A fixed 128 MiB cache: the defaults size caches for a dedicated storage host (GiBs per OSD).
bluestore cache autotune = false
bluestore cache size = 134217728
# Each op shard opens and closes the block file at start, and each close waits one aio poll interval
# (250 ms by default): one shard and a 20 ms poll took a restart from about 4 s to about 2.4 s.
osd op num shards = 1
osd op num threads per shard = 4
bdev aio poll ms = 20`;
  // `rgw lc debug interval` makes a lifecycle "day" that many seconds (tests); real days leave it out.
  const lifecycle =
    input.lifecycleDaySeconds === SECONDS_PER_DAY
      ? ''
      : `rgw lc debug interval = ${input.lifecycleDaySeconds}\n`;
  return `# Written by Stowage local/servers/rgw.ts: a single-node cluster (${store.kind}).
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
${objectStore}
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
# A radosgw that dies without unwatching (SIGKILL; a SIGTERM'd one that hangs in lifecycle shutdown) leaves its
# watches persisted on the OSD, re-armed when the OSD starts again; until they expire, every bucket-metadata write
# of the next radosgw waits 10 s per notify for the dead watcher (a restart took 31 s instead of 1 s). Clients
# ping their watches on every objecter tick (0.25 s above), so 5 s is twenty missed pings, not a slow host.
osd client watch timeout = 5

[${RGW_NAME}]
# tcp_nodelay: without it small responses wait for delayed ACKs (about 40 ms per request on loopback).
rgw frontends = beast endpoint=${LOOPBACK}:${state.port} tcp_nodelay=1
rgw thread pool size = 64
# SSE-KMS without a KMS: keys served by the testing backend.
rgw crypt s3 kms backend = testing
rgw crypt s3 kms encryption keys = ${kmsKeys}
rgw crypt require ssl = false
# Lifecycle runs in the 00:00-06:00 UTC work window (real days). With the default three workers, two that pick
# the same lc shard sleep 5 s uninterruptibly (RGWLC::process), so SIGTERM took 3 to over 10 s instead of 0.5 s.
rgw lc max worker = 1
# A shard lock left by a killed radosgw made the next start's PutBucketLifecycle sleep in 5 s steps until it
# lapsed (90 s by default). One radosgw with one worker holds a shard lock for a few omap operations.
rgw lc lock max time = 10
${lifecycle}`;
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
  if (!options.kmsKeys && options.kmsKeyIds?.some((id) => state.kmsKeys[id] === undefined)) {
    conflicts.push('KMS key ids');
  }
  check('object store', options.objectStore, state.objectStore ?? 'memstore');
  const missingClasses = missingStorageClasses(options, state.storageClasses);
  if (missingClasses.length > 0) conflicts.push(`storage classes (missing ${missingClasses.join(', ')})`);
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

function validateStorageClasses(classes: readonly string[]): string[] {
  for (const name of classes) {
    if (!/^[A-Z][A-Z0-9_]*$/.test(name) || name === 'STANDARD') {
      throw new Error(
        `storage class ${JSON.stringify(name)} must be upper-case letters, digits and _ (STANDARD always exists)`,
      );
    }
  }
  return [...new Set(classes)].sort();
}

/** Requested storage classes a running or persistent cluster does not define (they are fixed at creation). */
function missingStorageClasses(options: RgwOptions, defined: readonly string[] | undefined): string[] {
  return validateStorageClasses(options.storageClasses ?? []).filter((name) => !defined?.includes(name));
}

/** radosgw-admin arguments that define a storage class: in the zonegroup's placement target, then in the zone. */
function storageClassArgs(storageClass: string): string[][] {
  const placement = ['--placement-id', 'default-placement', '--storage-class', storageClass];
  return [
    ['zonegroup', 'placement', 'add', '--rgw-zonegroup', 'default', ...placement],
    [
      'zone',
      'placement',
      'add',
      '--rgw-zone',
      'default',
      ...placement,
      '--data-pool',
      'default.rgw.buckets.data',
    ],
  ];
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
    objectStore: state.objectStore ?? 'memstore',
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
  if (existsSync(layout.cluster)) {
    // Bluestore, in order: radosgw first (about 0.5 s; with its OSD gone it never exits on TERM), then the OSD,
    // which unmounts cleanly (a killed one replays its journal and waits about 10 s to be marked down on the next
    // start), then the monitor. A radosgw stopped while lifecycle processes a bucket can hang in
    // RGWLC::WorkPool::drain until its own 120 s alarm (Ceph 16.2.15, seen in the 00:00-06:00 UTC work window):
    // after 3 s it is killed, and the watches it leaves lapse after `osd client watch timeout` (cephConf).
    const pid = (file: string): number[] => {
      const found = readPidFile(file);
      return found !== undefined && isOwnProcess(found, layout.conf) ? [found] : [];
    };
    await terminateProcesses(pid(layout.pidFiles.rgw), { graceMs: RADOSGW_STOP_GRACE_MS });
    await terminateProcesses(pid(layout.pidFiles.osd), { graceMs: 20_000 });
    await terminateProcesses(pid(layout.pidFiles.mon), { graceMs: 10_000 });
  } else {
    // Memstore holds nothing worth a clean shutdown (radosgw alone takes about 6 s on TERM).
    await terminateProcesses(runningPids(layout), { graceMs: 1_500 });
  }
  for (const pidFile of Object.values(layout.pidFiles)) rmSync(pidFile, { force: true });
}

async function readCluster(layout: Layout): Promise<ClusterRecord | undefined> {
  const value = await readJsonFile(layout.cluster);
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  const valid =
    v.kind === 'stowage-rgw-cluster' &&
    v.objectStore === 'bluestore' &&
    typeof v.fsid === 'string' &&
    typeof v.osdId === 'string' &&
    typeof v.bluestoreBytes === 'number' &&
    typeof v.lifecycleDaySeconds === 'number' &&
    typeof v.port === 'number' &&
    typeof v.monPort === 'number' &&
    typeof v.accessKey === 'string' &&
    typeof v.secretKey === 'string' &&
    typeof v.region === 'string' &&
    typeof v.kmsKeys === 'object' &&
    v.kmsKeys !== null;
  if (!valid) {
    throw new Error(
      `${layout.cluster} is not a Stowage RGW cluster record: remove the directory to start over`,
    );
  }
  return value as ClusterRecord;
}

function writeCluster(layout: Layout, cluster: ClusterRecord): void {
  writeFileSync(layout.cluster, `${JSON.stringify(cluster, null, 2)}\n`, { mode: 0o600 });
}

function randomKmsKeys(ids: readonly string[]): Record<string, string> {
  return Object.fromEntries(ids.map((id) => [id, randomBytes(32).toString('base64')]));
}

/**
 * The keys a restarted cluster serves: its own (objects are encrypted under them), plus requested ids it does
 * not have yet (random material, or the given one). A given key whose material differs is a conflict.
 */
function mergeKmsKeys(
  existing: Readonly<Record<string, string>>,
  options: RgwOptions,
  conflicts: string[],
): Record<string, string> {
  const merged: Record<string, string> = { ...existing };
  if (options.kmsKeys) {
    validateKmsKeys(options.kmsKeys);
    for (const [id, key] of Object.entries(options.kmsKeys)) {
      if (merged[id] !== undefined && merged[id] !== key) conflicts.push(`KMS key ${id}`);
      merged[id] ??= key;
    }
  } else {
    for (const id of options.kmsKeyIds ?? []) merged[id] ??= randomBytes(32).toString('base64');
  }
  validateKmsKeys(merged);
  return merged;
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
    Object.values(v.kmsKeys).every((k) => typeof k === 'string') &&
    (v.objectStore === undefined || (RGW_OBJECT_STORES as readonly unknown[]).includes(v.objectStore))
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
    cluster: path.join(root, CLUSTER_FILE),
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
