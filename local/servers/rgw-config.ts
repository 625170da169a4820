/**
 * What a local RGW can be asked for (RgwOptions, the defaults, the port variables), the checks of those settings,
 * and how they become the cluster's ceph.conf. Every setting in cephConf carries the measurement that chose it:
 * keep the comments with the settings (more in docs/test-servers.md).
 */
import { randomBytes } from 'node:crypto';

import { givenPort, LOOPBACK, type GivenPort } from './net';
import type { Layout } from './rgw-daemons';
import type { RgwState } from './rgw-state';

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
/** The radosgw daemon's Ceph name (`-n`), for radosgw-admin calls against the cluster. */
export const RGW_NAME = 'client.rgw.stowage';

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

/** The ports a start asks for, each an option or else its environment variable; absent: not asked for. */
export interface RequestedPorts {
  /** The S3 port: `port`, else `$STOWAGE_RGW_PORT`. */
  readonly s3?: GivenPort;
  /** The Ceph monitor port: `monPort`, else `$STOWAGE_RGW_MON_PORT`. */
  readonly mon?: GivenPort;
}

/** Reads the ports a start asks for, once, at the entry (startRgw); everything below takes them from here. */
export function requestedPorts(
  options: Pick<RgwOptions, 'port' | 'monPort'>,
  environment: Readonly<Record<string, string | undefined>>,
): RequestedPorts {
  const s3 = givenPort(options.port, RGW_PORT_ENV, environment);
  const mon = givenPort(options.monPort, RGW_MON_PORT_ENV, environment);
  return { ...(s3 ? { s3 } : {}), ...(mon ? { mon } : {}) };
}

export function cephConf(input: {
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

export function validateKmsKeys(keys: Readonly<Record<string, string>>): void {
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

export function validateStorageClasses(classes: readonly string[]): string[] {
  for (const name of classes) {
    if (!/^[A-Z][A-Z0-9_]*$/.test(name) || name === 'STANDARD') {
      throw new Error(
        `storage class ${JSON.stringify(name)} must be upper-case letters, digits and _ (STANDARD always exists)`,
      );
    }
  }
  return [...new Set(classes)].sort();
}

/** radosgw-admin arguments that define a storage class: in the zonegroup's placement target, then in the zone. */
export function storageClassArgs(storageClass: string): string[][] {
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

export function randomKmsKeys(ids: readonly string[]): Record<string, string> {
  return Object.fromEntries(ids.map((id) => [id, randomBytes(32).toString('base64')]));
}
