/**
 * Local mode's servers: the S3 endpoint (RGW in the data directory, or an existing server given with
 * `--s3-endpoint`) and clamd, each started or reused (a leftover of an earlier run is reported first), and their
 * supervision. Registers the `servers` step (what this run started; reused servers keep running) and, once
 * supervising, the `supervision` step; `--fresh` stops what runs from the data directory before it is wiped.
 */
import type { S3Endpoint } from '../../../core/aws/s3-client';
import { clamdStatus, startClamd, stopClamd, type ClamdServer } from '../../servers/clamd';
import { isPortFree } from '../../servers/net';
import {
  DEFAULT_KMS_KEY_ID,
  startRgw,
  stopRgw,
  type RgwObjectStore,
  type RgwOptions,
  type RgwServer,
} from '../../servers/rgw';
import type { SupervisorOptions } from '../../servers/supervisor';
import { describeLeftover, findLeftovers } from '../leftovers';
import type { LocalKmsKeyIds } from '../local-buckets';
import { assertLocalDataDir, dataDirPaths, wipeDataDir } from '../local-data-dir';
import { superviseLocalServers } from '../local-supervision';
import type { ShutdownPlan } from '../shutdown-order';
import type { ExternalS3Endpoint, LocalModeOptions } from './options';

type Environment = Readonly<Record<string, string | undefined>>;

export interface LocalServersInput {
  /** The data directory's RGW and clamd directories. */
  readonly paths: { readonly rgw: string; readonly clamd: string };
  /** An existing S3 server to use instead of RGW (resolveExternalEndpoint). */
  readonly external?: Required<ExternalS3Endpoint>;
  /** Start (or reuse) clamd in `paths.clamd`. */
  readonly ownClamd: boolean;
  /** The clamd port the last run used, asked for again when free. */
  readonly rememberedClamdPort?: number;
  /** SSE-KMS key ids RGW serves. */
  readonly kmsKeyIds: LocalKmsKeyIds;
  /** Where RGW keeps objects. */
  readonly objectStore: RgwObjectStore;
  /** Where leftover notes go. */
  readonly err: (line: string) => void;
}

/** The servers local mode runs against. */
export interface LocalServers {
  /** RGW as started or reused; absent with an external S3 server. */
  readonly rgw?: RgwServer;
  /** The options RGW was started with (supervision restarts it with them). */
  readonly rgwOptions: RgwOptions;
  /** clamd as started or reused; absent unless local mode runs its own. */
  readonly clamd?: ClamdServer;
  /** Pids of the server processes this run started; reused servers are not listed. */
  readonly startedPids: readonly number[];
  /** The S3 server's endpoint and credentials. */
  readonly s3: Required<Pick<S3Endpoint, 'endpoint' | 'region' | 'credentials'>>;
}

/**
 * Starts or reuses RGW (unless `external`) and clamd (when `ownClamd`) at once, and registers each one this run
 * started under `servers`, also when the other failed to start (then the failure is thrown).
 */
export async function startLocalServers(
  input: LocalServersInput,
  shutdown: ShutdownPlan,
): Promise<LocalServers> {
  const { paths, external, ownClamd } = input;
  const rgwOptions: RgwOptions = {
    dataDir: paths.rgw,
    objectStore: input.objectStore,
    kmsKeyIds: Object.values(input.kmsKeyIds),
    // Real days: a lifecycle "day" of local mode's persistent store is a day.
    lifecycleDaySeconds: 86_400,
    // The daemons die with local mode, even on SIGKILL.
    followParent: true,
  };
  const leftovers = await findLeftovers({
    ...(external ? {} : { rgw: paths.rgw }),
    ...(ownClamd ? { clamd: paths.clamd } : {}),
  });
  for (const leftover of leftovers) input.err(describeLeftover(leftover));
  const [rgwResult, clamdResult] = await Promise.allSettled([
    external ? Promise.resolve(undefined) : startRgw(rgwOptions),
    ownClamd
      ? startClamd({
          dataDir: paths.clamd,
          port: await clamdPort(paths.clamd, input.rememberedClamdPort),
          followParent: true,
        })
      : Promise.resolve(undefined),
  ]);
  for (const result of [rgwResult, clamdResult]) {
    if (result.status === 'fulfilled' && result.value && !result.value.reused) {
      const server = result.value;
      shutdown.add('servers', () => server.stop());
    }
  }
  if (rgwResult.status === 'rejected') throw rgwResult.reason;
  if (clamdResult.status === 'rejected') throw clamdResult.reason;
  const rgw = rgwResult.value;
  const clamd = clamdResult.value;
  const startedPids = [
    ...(rgw && !rgw.reused ? rgw.pids : []),
    ...(clamd && !clamd.reused && clamd.pid !== undefined ? [clamd.pid] : []),
  ];
  const s3 = {
    endpoint: external?.url ?? (rgw as RgwServer).endpoint,
    region: external?.region ?? (rgw as RgwServer).region,
    credentials: external
      ? { accessKeyId: external.accessKeyId, secretAccessKey: external.secretAccessKey }
      : {
          accessKeyId: (rgw as RgwServer).accessKey,
          secretAccessKey: (rgw as RgwServer).secretKey,
        },
  };
  return { ...(rgw ? { rgw } : {}), rgwOptions, ...(clamd ? { clamd } : {}), startedPids, s3 };
}

/**
 * Supervises the servers this run started (local-supervision.ts) and registers that under `supervision`, which
 * stops first, so that servers being stopped are not restarted.
 */
export function superviseStartedServers(
  servers: LocalServers,
  clamdDataDir: string,
  options: SupervisorOptions,
  shutdown: ShutdownPlan,
): void {
  const supervisor = superviseLocalServers(
    {
      ...(servers.rgw ? { rgw: { server: servers.rgw, options: servers.rgwOptions } } : {}),
      ...(servers.clamd ? { clamd: { server: servers.clamd, dataDir: clamdDataDir } } : {}),
    },
    options,
  );
  shutdown.add('supervision', () => supervisor.stop());
}

/**
 * `--s3-endpoint`: the server's URL and credentials (from `environment` when only a URL is given), checked;
 * undefined without one.
 */
export function resolveExternalEndpoint(
  given: LocalModeOptions['s3Endpoint'],
  environment: Environment,
): Required<ExternalS3Endpoint> | undefined {
  if (given === undefined) return undefined;
  const kmsKeyId = environment.STOWAGE_KMS_KEY_ID || DEFAULT_KMS_KEY_ID;
  const endpoint: ExternalS3Endpoint =
    typeof given === 'string'
      ? {
          url: given,
          accessKeyId: environment.AWS_ACCESS_KEY_ID ?? '',
          secretAccessKey: environment.AWS_SECRET_ACCESS_KEY ?? '',
          ...(environment.AWS_REGION ? { region: environment.AWS_REGION } : {}),
        }
      : given;
  if (!/^https?:\/\/[^\s/]+\/?$/.test(endpoint.url)) {
    throw new Error(
      `--s3-endpoint must be an http(s) URL such as http://127.0.0.1:9000, got '${endpoint.url}'`,
    );
  }
  const missing = [
    ...(endpoint.accessKeyId ? [] : ['AWS_ACCESS_KEY_ID']),
    ...(endpoint.secretAccessKey ? [] : ['AWS_SECRET_ACCESS_KEY']),
  ];
  if (missing.length > 0) {
    throw new Error(`--s3-endpoint ${endpoint.url} needs credentials: set ${missing.join(' and ')}`);
  }
  return {
    url: endpoint.url.replace(/\/$/, ''),
    accessKeyId: endpoint.accessKeyId,
    secretAccessKey: endpoint.secretAccessKey,
    region: endpoint.region ?? 'us-east-1',
    kmsKeyId: endpoint.kmsKeyId ?? kmsKeyId,
  };
}

/** An external S3 server's one SSE-KMS key, for every bucket. */
export function sameKeyForAll(kmsKeyId: string): LocalKmsKeyIds {
  return { uploads: kmsKeyId, processed: kmsKeyId, quarantine: kmsKeyId, backups: kmsKeyId };
}

/** `--fresh`: stops the servers running from the data directory, then removes local mode's state in it. */
export async function wipeLocalMode(dataDir: string): Promise<void> {
  // A directory that is not local mode's is refused before anything in it is stopped.
  assertLocalDataDir(dataDir);
  const paths = dataDirPaths(dataDir);
  await Promise.all([stopRgw({ dataDir: paths.rgw }), stopClamd({ dataDir: paths.clamd })]);
  wipeDataDir(dataDir);
}

/**
 * The clamd port to ask for: none when a clamd already runs from the directory (it is reused on its own port),
 * else the one remembered from the last run when it is free again, else none (a free one is picked).
 */
async function clamdPort(dataDir: string, remembered: number | undefined): Promise<number | undefined> {
  if ((await clamdStatus({ dataDir })).running) return undefined;
  return remembered !== undefined && (await isPortFree(remembered)) ? remembered : undefined;
}
