/**
 * The daemons of a local RGW cluster and their files: where each file lives (Layout), the one way each of the
 * three daemons (ceph-mon, ceph-osd, radosgw) is spawned, for a new cluster and a restarted one alike, how they are
 * stopped, and how a start waits for S3 to answer.
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
import { randomBytes } from 'node:crypto';
import { rmSync, existsSync } from 'node:fs';
import path from 'node:path';

import { s3ClientConfig } from '../../core/aws/s3-client';
import { LOOPBACK } from './net';
import {
  isOwnProcess,
  readPidFile,
  requireExecutable,
  spawnDaemon,
  terminateProcesses,
  type SpawnedDaemon,
} from './process';
import type { RgwServer } from './rgw';
import { RGW_NAME } from './rgw-config';
import type { RgwState } from './rgw-state';

/** How long a TERM'd radosgw has to exit before it is killed; a clean stop takes about 0.5 s (stopDaemons). */
const RADOSGW_STOP_GRACE_MS = 3_000;
export const STATE_FILE = 'stowage-rgw.json';
/** What a persistent cluster is (fsid, OSD id, keys, ports); kept while the cluster is stopped. */
export const CLUSTER_FILE = 'stowage-rgw-cluster.json';

export interface Layout {
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

export function layoutOf(dataDir: string): Layout {
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

/** The three daemons of a cluster, in the order they start. */
export type CephDaemon = 'mon' | 'osd' | 'rgw';

/** How a cluster's daemons are started. */
export interface DaemonLaunch {
  readonly layout: Layout;
  /** Executable of each daemon. */
  readonly binaries: Readonly<Record<CephDaemon, string>>;
  /** See `DaemonSpec.detached`. */
  readonly detached: boolean;
  /** See `DaemonSpec.followParent`. */
  readonly followParent: boolean;
}

/** The executables of the three daemons (MissingBinaryError when one is not installed). */
export function daemonBinaries(): Record<CephDaemon, string> {
  return {
    mon: requireExecutable('ceph-mon'),
    osd: requireExecutable('ceph-osd'),
    rgw: requireExecutable('radosgw'),
  };
}

/**
 * The one way a cluster's daemon is spawned, for a new cluster and a restarted one alike: in the foreground, with
 * its pid file and output file in the layout. The OSD needs its id (from `ceph osd new` when the cluster was made).
 */
export function spawnCephDaemon(daemon: 'mon' | 'rgw', launch: DaemonLaunch): SpawnedDaemon;
export function spawnCephDaemon(daemon: 'osd', launch: DaemonLaunch, osdId: string): SpawnedDaemon;
export function spawnCephDaemon(daemon: CephDaemon, launch: DaemonLaunch, osdId = ''): SpawnedDaemon {
  const { layout } = launch;
  const conf = ['-c', layout.conf];
  const specs = {
    mon: { name: 'ceph-mon', args: [...conf, '-i', 'a', '-f'], output: 'mon.a.out' },
    osd: { name: 'ceph-osd', args: [...conf, '-i', osdId, '-f'], output: `osd.${osdId}.out` },
    rgw: { name: 'radosgw', args: [...conf, '-n', RGW_NAME, '-f'], output: 'rgw.out' },
  };
  const spec = specs[daemon];
  return spawnDaemon({
    name: spec.name,
    command: launch.binaries[daemon],
    args: spec.args,
    outputFile: path.join(layout.logDir, spec.output),
    pidFile: layout.pidFiles[daemon],
    detached: launch.detached,
    followParent: launch.followParent,
  });
}

export function runningPids(layout: Layout): number[] {
  return Object.values(layout.pidFiles)
    .map(readPidFile)
    .filter((pid): pid is number => pid !== undefined && isOwnProcess(pid, layout.conf));
}

export async function stopDaemons(layout: Layout): Promise<void> {
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

export function serverEndpoint(
  state: RgwState,
): Pick<RgwServer, 'endpoint' | 'accessKey' | 'secretKey' | 'region'> {
  return {
    endpoint: `http://${LOOPBACK}:${state.port}`,
    accessKey: state.accessKey,
    secretKey: state.secretKey,
    region: state.region,
  };
}

export async function warmUp(state: RgwState): Promise<void> {
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

export async function s3Answers(state: RgwState): Promise<boolean> {
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

export async function httpAnswers(state: RgwState): Promise<boolean> {
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
