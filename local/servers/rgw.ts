/**
 * A real S3 server for tests and local mode: a single-node Ceph cluster (one mon, one OSD, no mgr) with a RADOS
 * Gateway on 127.0.0.1. The OSD keeps objects in RAM (memstore: tests) or in a sparse block file that survives
 * restarts (bluestore: local mode). Facts behind every knob: docs/test-servers.md.
 *
 * This file is the entry (startRgw, stopRgw, rgwStatus); the settings and ceph.conf are in rgw-config.ts, the
 * cluster's creation, restart and conflicts in rgw-cluster.ts, its records in rgw-state.ts, and its daemons (files,
 * spawn, stop, wait) in rgw-daemons.ts.
 */
import { mkdirSync, rmSync } from 'node:fs';

import { withLockFile } from './process';
import { assertCompatible, createCluster, restartCluster } from './rgw-cluster';
import { requestedPorts, type RgwObjectStore, type RgwOptions } from './rgw-config';
import { layoutOf, runningPids, s3Answers, serverEndpoint, stopDaemons, type Layout } from './rgw-daemons';
import { readCluster, readState, type RgwState } from './rgw-state';

export {
  AWS_TEST_STORAGE_CLASSES,
  DEFAULT_BLUESTORE_BYTES,
  DEFAULT_KMS_KEY_ID,
  DEFAULT_RGW_ACCESS_KEY,
  DEFAULT_RGW_REGION,
  DEFAULT_RGW_SECRET_KEY,
  RGW_MON_PORT_ENV,
  RGW_NAME,
  RGW_OBJECT_STORES,
  RGW_PORT_ENV,
  type RgwObjectStore,
  type RgwOptions,
} from './rgw-config';
export { rgwS3ClientConfig } from './rgw-daemons';

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

/**
 * Starts (or reuses) a single-node Ceph RGW whose files live in `dataDir`, waits until S3 answers and the
 * first-request pool creation is paid, and returns its endpoint and credentials. A stopped persistent
 * (bluestore) cluster in `dataDir` is started again with its buckets, objects, users and keys.
 */
export async function startRgw(options: RgwOptions): Promise<RgwServer> {
  const layout = layoutOf(options.dataDir);
  const timeoutMs = options.timeoutMs ?? 60_000;
  // The ports asked for are read here, once (options, else the environment), and passed down.
  const ports = requestedPorts(options, process.env);
  mkdirSync(layout.dataDir, { recursive: true });
  return withLockFile(layout.lock, timeoutMs, async () => {
    const existing = await readState(layout);
    if (existing && runningPids(layout).length === 3 && (await s3Answers(existing))) {
      assertCompatible(existing, options, ports, layout);
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
      return serverFrom(await restartCluster(options, ports, layout, cluster, timeoutMs), layout, false);
    }
    return serverFrom(await createCluster(options, ports, layout, timeoutMs), layout, false);
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
