/**
 * A local RGW cluster's life: created new (mkfs, user, storage classes) or, when a persistent cluster's record is in
 * the data directory, started again as it was (same fsid, monitor, OSD, user and keys, no mkfs), and the conflicts
 * between what a start asks for and what a running or persistent cluster already is. Both paths start the daemons
 * through spawnCephDaemon (rgw-daemons.ts) and take the ports the entry (startRgw) resolved.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import { completePorts, getFreePort, isPortFree, LOOPBACK } from './net';
import { requireExecutable, runCommand, terminateProcesses, waitUntil, type SpawnedDaemon } from './process';
import {
  cephConf,
  DEFAULT_BLUESTORE_BYTES,
  DEFAULT_KMS_KEY_ID,
  DEFAULT_RGW_ACCESS_KEY,
  DEFAULT_RGW_REGION,
  DEFAULT_RGW_SECRET_KEY,
  randomKmsKeys,
  RGW_MON_PORT_ENV,
  RGW_PORT_ENV,
  storageClassArgs,
  validateKmsKeys,
  validateStorageClasses,
  type RequestedPorts,
  type RgwOptions,
} from './rgw-config';
import {
  CLUSTER_FILE,
  daemonBinaries,
  httpAnswers,
  s3Answers,
  spawnCephDaemon,
  STATE_FILE,
  warmUp,
  type DaemonLaunch,
  type Layout,
} from './rgw-daemons';
import { writeCluster, writeState, type ClusterRecord, type RgwState } from './rgw-state';

const USER_ID = 'stowage';
/** Entries of the data directory that a fresh start removes (nothing else in it is touched). */
const CLUSTER_ENTRIES = ['ceph.conf', 'monmap', 'mon', 'osd', 'run', 'log', 'pid', STATE_FILE, CLUSTER_FILE];

/** Creates a new cluster in `layout` (removing an earlier one's files) and starts it; returns its state. */
export async function createCluster(
  options: RgwOptions,
  ports: RequestedPorts,
  layout: Layout,
  timeoutMs: number,
): Promise<RgwState> {
  const tools = {
    monmaptool: requireExecutable('monmaptool'),
    ceph: requireExecutable('ceph'),
    radosgwAdmin: requireExecutable('radosgw-admin'),
  };
  const binaries = daemonBinaries();
  const objectStore = options.objectStore ?? 'memstore';
  const bluestoreBytes = options.bluestoreBytes ?? DEFAULT_BLUESTORE_BYTES;
  if (!Number.isSafeInteger(bluestoreBytes) || bluestoreBytes < 1024 ** 3) {
    throw new Error(`bluestoreBytes must be a whole number of bytes, at least 1 GiB, got ${bluestoreBytes}`);
  }
  const kmsKeys = options.kmsKeys ?? randomKmsKeys(options.kmsKeyIds ?? [DEFAULT_KMS_KEY_ID]);
  validateKmsKeys(kmsKeys);
  const lifecycleDaySeconds = options.lifecycleDaySeconds ?? 10;
  const storageClasses = validateStorageClasses(options.storageClasses ?? []);
  const [port, monPort] = await completePorts([ports.s3, ports.mon], [RGW_PORT_ENV, RGW_MON_PORT_ENV]);
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
  const launch = launchOf(options, layout, binaries);
  const daemons: SpawnedDaemon[] = [];
  try {
    await runCommand(tools.monmaptool, ['--create', '--fsid', fsid, '--addv', 'a', monAddr, layout.monmap]);
    await runCommand(binaries.mon, [...conf, '--mkfs', '-i', 'a', '--monmap', layout.monmap], {
      logFiles: [layout.logs.mon],
    });
    daemons.push(spawnCephDaemon('mon', launch));

    const osdUuid = randomUUID();
    const connectTimeout = String(Math.ceil(remaining() / 1000));
    const osdId = (
      await runCommand(tools.ceph, [...conf, '--connect-timeout', connectTimeout, 'osd', 'new', osdUuid], {
        timeoutMs: remaining(),
        logFiles: [layout.logs.mon],
        daemons,
      })
    ).trim();
    if (!/^\d+$/.test(osdId)) {
      throw new Error(`ceph osd new returned ${JSON.stringify(osdId)}, expected an id`);
    }
    mkdirSync(path.join(layout.osdDir, `osd.${osdId}`), { recursive: true });
    await runCommand(binaries.osd, [...conf, '-i', osdId, '--mkfs', '--osd-uuid', osdUuid], {
      timeoutMs: remaining(),
      logFiles: [layout.logs.osd],
      daemons,
    });
    daemons.push(spawnCephDaemon('osd', launch, osdId));
    const createUser = (): Promise<string> =>
      runCommand(
        tools.radosgwAdmin,
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
        await runCommand(tools.radosgwAdmin, [...conf, ...args], {
          timeoutMs: remaining(),
          logFiles: [layout.logs.osd],
          daemons,
        });
      }
    }
    daemons.push(spawnCephDaemon('rgw', launch));
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
  writeState(layout, state);
  return state;
}

/**
 * Starts a stopped persistent cluster again: same fsid, monitor, OSD and user, no mkfs. The S3 port is the
 * remembered one unless it was given or is taken now (then a free one); the monitor port is part of the
 * cluster's monmap and cannot change. KMS keys are the cluster's, plus any newly requested ids.
 */
export async function restartCluster(
  options: RgwOptions,
  ports: RequestedPorts,
  layout: Layout,
  cluster: ClusterRecord,
  timeoutMs: number,
): Promise<RgwState> {
  const binaries = daemonBinaries();
  const kmsKeys = assertRestartable(options, ports, layout, cluster);
  if (!(await isPortFree(cluster.monPort))) {
    throw new Error(
      `port ${cluster.monPort} (the Ceph monitor of the cluster in ${layout.dataDir}) is in use by another ` +
        'process: stop that process, or remove the directory to start a new cluster',
    );
  }
  const port = ports.s3?.port ?? ((await isPortFree(cluster.port)) ? cluster.port : await getFreePort());
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

  const launch = launchOf(options, layout, binaries);
  const daemons: SpawnedDaemon[] = [];
  try {
    daemons.push(spawnCephDaemon('mon', launch));
    daemons.push(spawnCephDaemon('osd', launch, cluster.osdId));
    daemons.push(spawnCephDaemon('rgw', launch));
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
  writeState(layout, state);
  return state;
}

function launchOf(options: RgwOptions, layout: Layout, binaries: DaemonLaunch['binaries']): DaemonLaunch {
  return {
    layout,
    binaries,
    detached: options.detached ?? true,
    followParent: options.followParent ?? false,
  };
}

/**
 * Refuses a start that asks a running cluster for something it is not (ports, user, region, keys, object store,
 * storage classes): it is reused as it is, or not at all.
 */
export function assertCompatible(
  state: RgwState,
  options: RgwOptions,
  ports: RequestedPorts,
  layout: Layout,
): void {
  const conflicts: string[] = [];
  const check = (what: string, wanted: unknown, actual: unknown): void => {
    if (wanted !== undefined && JSON.stringify(wanted) !== JSON.stringify(actual)) conflicts.push(what);
  };
  check('port', ports.s3?.port, state.port);
  check('monitor port', ports.mon?.port, state.monPort);
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

/**
 * Refuses a restart that asks a persistent cluster for something it was not created with, and returns the keys it
 * serves (mergeKmsKeys). Of the monitor port only the option counts: `$STOWAGE_RGW_MON_PORT` is not compared.
 */
function assertRestartable(
  options: RgwOptions,
  ports: RequestedPorts,
  layout: Layout,
  cluster: ClusterRecord,
): Record<string, string> {
  const conflicts: string[] = [];
  const differs = (what: string, wanted: unknown, actual: unknown): void => {
    if (wanted !== undefined && wanted !== actual) conflicts.push(`${what} (cluster: ${String(actual)})`);
  };
  const monPortOption = ports.mon?.variable === undefined ? ports.mon?.port : undefined;
  differs('monitor port', monPortOption, cluster.monPort);
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
  return kmsKeys;
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

/** Requested storage classes a running or persistent cluster does not define (they are fixed at creation). */
function missingStorageClasses(options: RgwOptions, defined: readonly string[] | undefined): string[] {
  return validateStorageClasses(options.storageClasses ?? []).filter((name) => !defined?.includes(name));
}

function sortedEntries(record: Readonly<Record<string, string>>): [string, string][] {
  return Object.entries(record).sort(([a], [b]) => a.localeCompare(b));
}
