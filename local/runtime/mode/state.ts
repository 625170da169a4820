/**
 * What a running local mode tells the world: `local.json` in the data directory (URLs, ports, keys, the verifier's
 * next run; `stowage local token` and the CLI read it), marked stopped under the `state` step, and the ready lines.
 * Also reads the last run's file, whose remembered ports a start asks for again.
 */
import path from 'node:path';

import type { StowageConfig } from '../../../lib/config';
import type { LocalBucketSetup, LocalKmsKeyIds } from '../local-buckets';
import { DEFAULT_DATA_DIR, readLocalState, writeLocalState, type LocalState } from '../local-data-dir';
import type { LocalJwt } from '../local-jwt';
import type { LocalVerifier } from '../local-verifier';
import type { ShutdownPlan } from '../shutdown-order';
import { messageOf } from './message-of';
import type { LocalServers } from './servers';

/** What local.json is made of. */
export interface RunningStateInput {
  readonly dataDir: string;
  /** The JWT signing key's directory. */
  readonly jwtDir: string;
  readonly config: StowageConfig;
  readonly apiUrl: string;
  readonly apiPort: number;
  /** The servers; `external` when the S3 server is not local mode's RGW (its credentials are left out). */
  readonly servers: Pick<LocalServers, 'rgw' | 'clamd' | 's3'>;
  readonly external: boolean;
  readonly buckets: LocalBucketSetup;
  readonly kmsKeyIds: LocalKmsKeyIds;
  readonly jwt: Pick<LocalJwt, 'issuer' | 'keyId'>;
  readonly verifier: Pick<LocalVerifier, 'schedule' | 'nextRunAt'>;
}

/** The running local mode's state, as local.json holds it. */
export function runningState(input: RunningStateInput): LocalState {
  const { dataDir, config, apiUrl, servers, external, verifier } = input;
  const s3Url = servers.s3.endpoint;
  return {
    kind: 'stowage-local',
    pid: process.pid,
    running: true,
    startedAt: new Date().toISOString(),
    dataDir,
    envName: config.envName,
    apiUrl,
    s3Url,
    pageUrl: `${apiUrl}/`,
    s3: {
      endpoint: s3Url,
      region: servers.s3.region,
      managed: !external,
      ...(external ? {} : servers.s3.credentials),
    },
    buckets: input.buckets.names,
    kmsKeyIds: input.kmsKeyIds,
    jwt: {
      dir: input.jwtDir,
      issuer: input.jwt.issuer,
      audiences: [...config.intake.jwt.audiences],
      keyId: input.jwt.keyId,
    },
    ports: {
      api: input.apiPort,
      ...(servers.rgw ? { rgw: servers.rgw.port } : {}),
      ...(servers.clamd ? { clamd: servers.clamd.port } : {}),
    },
    verifier: {
      schedule: verifier.schedule,
      ...(verifier.nextRunAt() ? { nextRunAt: verifier.nextRunAt()?.toISOString() } : {}),
    },
  };
}

/** Writes `state` as the running local mode's and registers marking it stopped under `state`. */
export function publishRunningState(dataDir: string, state: LocalState, shutdown: ShutdownPlan): void {
  writeLocalState(dataDir, state);
  shutdown.add('state', () =>
    writeLocalState(dataDir, { ...state, running: false, stoppedAt: new Date().toISOString() }),
  );
}

/** The last run's state, or undefined (none, or damaged: reported on `err`, rewritten by this run). */
export function readPreviousState(dataDir: string, err: (line: string) => void): LocalState | undefined {
  try {
    return readLocalState(dataDir);
  } catch (error) {
    // Only remembered ports come from it: a damaged file is reported and rewritten.
    err(`stowage local: ignoring ${messageOf(error)}`);
    return undefined;
  }
}

/** The lines printed once local mode is ready: the three URLs first, one per line, then how to use it. */
export function readyLines(input: {
  readonly state: LocalState;
  readonly external: boolean;
  readonly defaultDataDir: boolean;
}): string[] {
  const { state } = input;
  const dataDirFlag = input.defaultDataDir ? '' : ` --data-dir ${state.dataDir}`;
  const credentials = input.external
    ? '(AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY: those of your --s3-endpoint server)'
    : `AWS_ACCESS_KEY_ID=${state.s3.accessKeyId ?? ''} AWS_SECRET_ACCESS_KEY=${state.s3.secretAccessKey ?? ''}`;
  return [
    `API: ${state.apiUrl}`,
    `S3: ${state.s3Url}`,
    `Page: ${state.pageUrl}`,
    '',
    'Use the CLI against it:',
    `  export STOWAGE_S3_ENDPOINT=${state.s3Url} AWS_REGION=${state.s3.region} ${credentials} ` +
      `STOWAGE_BACKUPS_BUCKET=${state.buckets.backups ?? ''} STOWAGE_BACKUPS_KMS_KEY_ID=${state.kmsKeyIds.backups ?? ''}`,
    `  npx stowage backup verify --env ${state.envName}`,
    `A token for the API: npx stowage local token --user NAME${dataDirFlag}`,
    `Backup verifier: ${state.verifier.schedule} (UTC), next run ${state.verifier.nextRunAt ?? 'never'}; ` +
      'alerts are printed here (no SNS locally).',
    `State: ${state.dataDir} (kept across restarts; --fresh wipes it). Ctrl-C stops what this run started.`,
  ];
}

/** True for the default data directory (the ready lines then leave out `--data-dir`). */
export function isDefaultDataDir(dataDir: string): boolean {
  return dataDir === path.resolve(DEFAULT_DATA_DIR);
}
