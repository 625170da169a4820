/**
 * What a local RGW cluster records in its data directory: the running cluster's state file (ports, user, keys;
 * removed when it stops) and a persistent cluster's record (fsid, OSD id, sizes; kept while it is stopped).
 */
import { writeFileSync } from 'node:fs';

import { readJsonFile } from './process';
import { RGW_OBJECT_STORES, type RgwObjectStore } from './rgw-config';
import type { Layout } from './rgw-daemons';

/** What a running cluster records in its data directory. */
export interface RgwState {
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
export interface ClusterRecord {
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

export async function readState(layout: Layout): Promise<RgwState | undefined> {
  const value = await readJsonFile(layout.state);
  return isRgwState(value) ? value : undefined;
}

/** Records a started cluster's state (read by the next start, rgwStatus and stopRgw). */
export function writeState(layout: Layout, state: RgwState): void {
  writeFileSync(layout.state, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
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

export async function readCluster(layout: Layout): Promise<ClusterRecord | undefined> {
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

export function writeCluster(layout: Layout, cluster: ClusterRecord): void {
  writeFileSync(layout.cluster, `${JSON.stringify(cluster, null, 2)}\n`, { mode: 0o600 });
}
