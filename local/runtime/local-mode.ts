/**
 * `stowage local` (`npm start`): the whole of Stowage on one machine. Starts (or reuses) a Ceph RGW with a
 * persistent store and clamd in the data directory, creates the env's buckets from its config, and runs the local
 * runtime: the intake API (the Lambda handler behind the HTTP front, with local JWTs), RGW notifications → local
 * queues → scan → quarantine / process, the backup verifier on its schedule, and the upload page.
 */
import path from 'node:path';

import { Logger } from '@aws-lambda-powertools/logger';

import { createBackupVerifyHandler } from '../../lambda/backup-verify/backup-verify-handler';
import { createS3Client, type S3Endpoint } from '../../core/aws/s3-client';
import { HANDLER_SERVICES } from '../../core/contracts/metrics';
import { parseBackupSources } from '../../core/backup/verify/source-config-schema';
import type { VerificationReport } from '../../core/backup/verify/verification-report';
import { loadConfig, type StowageConfig } from '../../lib/config';
import { operationsTopicArn, type BucketPurpose } from '../../lib/config/naming';
import { clamdStatus, startClamd, stopClamd, type ClamdServer } from '../servers/clamd';
import { getFreePort, isPortFree, LOOPBACK } from '../servers/net';
import type { SupervisorOptions } from '../servers/supervisor';
import {
  DEFAULT_KMS_KEY_ID,
  startRgw,
  stopRgw,
  type RgwObjectStore,
  type RgwOptions,
  type RgwServer,
} from '../servers/rgw';
import { createConsoleSnsClient } from './console-sns-client';
import { createIntakeHttpApiHandler } from './intake-api-handler';
import { describeLeftover, findLeftovers } from './leftovers';
import { superviseLocalServers } from './local-supervision';
import { watchDeadLetters } from './dead-letter-watch';
import { requeueLeftoverUploads } from './requeue-uploads';
import { ShutdownPlan } from './shutdown-order';

export { requeueLeftoverUploads } from './requeue-uploads';
import {
  acquireDataDirLock,
  assertLocalDataDir,
  dataDirPaths,
  DEFAULT_DATA_DIR,
  lockHolder,
  DataDirBusyError,
  prepareDataDir,
  readLocalState,
  wipeDataDir,
  writeLocalState,
  type LocalState,
} from './local-data-dir';
import { ensureLocalBuckets, localKmsKeyIds, type LocalKmsKeyIds } from './local-buckets';
import { FileStatusStore } from './file-status-store';
import { startLocalHttpServer, type LocalHttpServer } from './local-http-server';
import { createLocalIntake, type LocalIntake, type LocalIntakeOptions } from './local-intake';
import { openLocalJwt, type LocalJwt } from './local-jwt';
import { preflight } from './local-preflight';
import { startLocalVerifier, type LocalVerifier, type VerifierRun } from './local-verifier';
import { MetricsLog } from './metrics-log';

/** The API's default port (`--port`). */
export const DEFAULT_API_PORT = 8787;
/** The user the page's token is minted for. */
export const PAGE_USER = 'local-user';
/** Lifetime of the page's token; `/config.js` mints a fresh one on every page load. */
export const PAGE_TOKEN_LIFETIME_SECONDS = 12 * 3600;
/** The upload page's static files. */
export const WEB_ROOT = path.resolve(__dirname, '..', 'web');
/** Most batches one local queue handles at once (Lambda's reserved concurrency, capped for one machine). */
const LOCAL_MAX_BATCHES_AT_ONCE = 4;

/** An existing S3-compatible server to use instead of starting RGW (`--s3-endpoint`). */
export interface ExternalS3Endpoint {
  /** e.g. `http://127.0.0.1:9000`. Required. */
  readonly url: string;
  /** Access key. Required. */
  readonly accessKeyId: string;
  /** Secret key. Required. */
  readonly secretAccessKey: string;
  /** Region clients sign for. Default `us-east-1`. */
  readonly region?: string;
  /** SSE-KMS key id the server knows, used for every bucket. Default `$STOWAGE_KMS_KEY_ID`, else DEFAULT_KMS_KEY_ID. */
  readonly kmsKeyId?: string;
}

export interface LocalModeOptions {
  /** Data directory (servers, signing key, status records, local.json); state survives restarts. Default `.stowage`. */
  readonly dataDir?: string;
  /** Port of the API and page on 127.0.0.1; 0 picks a free one. Default 8787. */
  readonly port?: number;
  /** Stop this data directory's servers and remove local mode's state from it first. Default false. */
  readonly fresh?: boolean;
  /**
   * An existing S3-compatible server instead of local mode's RGW. A URL string takes its credentials from
   * `environment` (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION). Default: RGW in `<dataDir>/rgw`.
   */
  readonly s3Endpoint?: string | ExternalS3Endpoint;
  /**
   * Scan with ClamAV as well as the built-in engine: `true` starts (or reuses) clamd in `<dataDir>/clamd`, a
   * `{ host, port }` uses that running clamd (tests), `false` scans with the built-in engine only. Default true.
   */
  readonly clamav?: boolean | { readonly host: string; readonly port: number };
  /** Where local mode's RGW keeps objects. Default `bluestore` (kept across restarts). */
  readonly objectStore?: RgwObjectStore;
  /** The env's config the buckets, handlers and verifier follow. Default: `dev`'s (loadConfig). */
  readonly config?: StowageConfig;
  /** Run the backup verifier once at start (besides its schedule). Default true. */
  readonly verifyAtStart?: boolean;
  /** Check for, and as root install, the server binaries. Default true. */
  readonly preflight?: boolean;
  /** Log level of the handlers' structured logs. Default `WARN`. */
  readonly logLevel?: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'SILENT';
  /** How long clamd may take for a verdict: floor + size at a throughput. Default: the clamd engine's (15 s + 16 MiB/s). */
  readonly clamdScanTimeout?: LocalIntakeOptions['clamdScanTimeout'];
  /** Restart policy for the servers this run started (backoff, failures before giving up). Default: the supervisor's. */
  readonly supervision?: Omit<SupervisorOptions, 'say'>;
  /** Where the ready lines and notes go. Default: stdout. */
  readonly out?: (line: string) => void;
  /** Where failures go: verifier alerts, dead letters, stop problems. Default: stderr. */
  readonly err?: (line: string) => void;
  /** Environment variables read for `--s3-endpoint` credentials and STOWAGE_KMS_KEY_ID. Default: process.env. */
  readonly environment?: Readonly<Record<string, string | undefined>>;
}

/** A running local mode. */
export interface LocalMode {
  /** e.g. `http://127.0.0.1:8787`. */
  readonly apiUrl: string;
  /** The S3 endpoint uploads go to, e.g. `http://127.0.0.1:41233`. */
  readonly s3Url: string;
  /** The upload page, e.g. `http://127.0.0.1:8787/`. */
  readonly pageUrl: string;
  /** Absolute data directory. */
  readonly dataDir: string;
  /** The S3 server's endpoint and credentials (path-style clients: createS3Client). */
  readonly s3: Required<Pick<S3Endpoint, 'endpoint' | 'region' | 'credentials'>>;
  /** Bucket names by purpose. */
  readonly buckets: Readonly<Record<BucketPurpose, string>>;
  /** SSE-KMS key id of each data bucket. */
  readonly kmsKeyIds: LocalKmsKeyIds;
  /** Pids of the server processes this run started (and stop() stops); reused servers are not listed. */
  readonly startedPids: readonly number[];
  /** The pipeline's queues (depth, dead letters) and handler metrics. */
  readonly intake: Pick<LocalIntake, 'queues' | 'metrics'>;
  /** A token for `user` (default lifetime 1 hour), as `stowage local token` prints. */
  mintToken(user: string, expiresInSeconds?: number): Promise<string>;
  /** Runs the backup verifier now, as the schedule does; resolves with its report (also written to the bucket). */
  verifyBackups(): Promise<VerificationReport>;
  /** When the verifier runs next on its schedule. */
  nextVerificationAt(): Date | undefined;
  /**
   * Stops the HTTP server, the queues (batches in flight finish), the verifier and the servers this run started;
   * leaves reused servers running. Idempotent.
   */
  stop(): Promise<void>;
}

/** Starts local mode; see the module comment. Resolves once everything is ready and the ready lines are out. */
export async function startLocalMode(options: LocalModeOptions = {}): Promise<LocalMode> {
  const out = options.out ?? ((line: string) => process.stdout.write(`${line}\n`));
  const err = options.err ?? ((line: string) => process.stderr.write(`${line}\n`));
  const environment = options.environment ?? process.env;
  const config = options.config ?? loadConfig('dev', { environment: {} });
  const paths = dataDirPaths(options.dataDir ?? DEFAULT_DATA_DIR);
  const dataDir = paths.root;
  const external = resolveExternalEndpoint(options.s3Endpoint, environment);
  const clamav = options.clamav ?? true;
  const givenClamd = typeof clamav === 'object' ? clamav : undefined;
  const ownClamd = clamav === true;
  const logger = new Logger({ serviceName: 'stowage-local', logLevel: options.logLevel ?? 'WARN' });

  const holder = lockHolder(dataDir);
  if (holder !== undefined) throw new DataDirBusyError(dataDir, holder);
  if (options.fresh) await wipeLocalMode(dataDir);
  prepareDataDir(dataDir);
  const lock = acquireDataDirLock(dataDir);
  // What to stop, by named step (shutdown-order.ts); a failed start stops what it got to.
  const shutdown = new ShutdownPlan();
  shutdown.add('lock', () => lock.release());
  const cleanUp = (): Promise<string[]> => shutdown.run();

  try {
    const previous = readPreviousState(dataDir, err);
    const apiPort = await resolveApiPort(options.port ?? DEFAULT_API_PORT);
    const apiUrl = `http://${LOOPBACK}:${apiPort}`;
    if (options.preflight ?? true) {
      await preflight({ ceph: !external, clamd: ownClamd, write: out });
    }

    // Servers: RGW and clamd in the data directory, reused when already running from it.
    const kmsKeyIds: LocalKmsKeyIds = external ? sameKeyForAll(external.kmsKeyId) : localKmsKeyIds(config);
    const started: { rgw?: RgwServer; clamd?: ClamdServer } = {};
    const rgwOptions: RgwOptions = {
      dataDir: paths.rgw,
      objectStore: options.objectStore ?? 'bluestore',
      kmsKeyIds: Object.values(kmsKeyIds),
      // Real days: a lifecycle "day" of local mode's persistent store is a day.
      lifecycleDaySeconds: 86_400,
      // The daemons die with local mode, even on SIGKILL.
      followParent: true,
    };
    const leftovers = await findLeftovers({
      ...(external ? {} : { rgw: paths.rgw }),
      ...(ownClamd ? { clamd: paths.clamd } : {}),
    });
    for (const leftover of leftovers) err(describeLeftover(leftover));
    const [rgwResult, clamdResult] = await Promise.allSettled([
      external ? Promise.resolve(undefined) : startRgw(rgwOptions),
      ownClamd
        ? startClamd({
            dataDir: paths.clamd,
            port: await clamdPort(paths.clamd, previous?.ports.clamd),
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
    started.rgw = rgwResult.value;
    started.clamd = clamdResult.value;
    const startedPids = [
      ...(started.rgw && !started.rgw.reused ? started.rgw.pids : []),
      ...(started.clamd && !started.clamd.reused && started.clamd.pid !== undefined
        ? [started.clamd.pid]
        : []),
    ];

    const s3Endpoint = {
      endpoint: external?.url ?? (started.rgw as RgwServer).endpoint,
      region: external?.region ?? (started.rgw as RgwServer).region,
      credentials: external
        ? { accessKeyId: external.accessKeyId, secretAccessKey: external.secretAccessKey }
        : {
            accessKeyId: (started.rgw as RgwServer).accessKey,
            secretAccessKey: (started.rgw as RgwServer).secretKey,
          },
    };
    const s3 = createS3Client(s3Endpoint);
    shutdown.add('clients', () => s3.destroy());

    // Buckets, from the same config as the CDK stacks.
    const pageOrigins = [apiUrl, `http://localhost:${apiPort}`];
    const buckets = await ensureLocalBuckets({ s3, config, kmsKeyIds, extraCorsOrigins: pageOrigins }).catch(
      (error: unknown) => {
        throw new Error(
          `could not set up the ${config.envName} buckets on ${s3Endpoint.endpoint}: ${messageOf(error)}`,
          { cause: error },
        );
      },
    );
    for (const note of buckets.notApplied) logger.info('bucket setting not applied locally', { note });

    // The intake pipeline: RGW notifications → local queues → the Lambda handlers, status records on disk.
    const statusStore = new FileStatusStore({ dir: paths.status });
    const clamd =
      givenClamd ?? (started.clamd ? { host: started.clamd.host, port: started.clamd.port } : undefined);
    let intake: LocalIntake;
    try {
      intake = await createLocalIntake({
        s3Endpoint: s3Endpoint.endpoint,
        region: s3Endpoint.region,
        credentials: s3Endpoint.credentials,
        buckets: {
          uploads: buckets.names.uploads,
          processed: buckets.names.processed,
          quarantine: buckets.names.quarantine,
        },
        kmsKeyIds: {
          uploads: kmsKeyIds.uploads,
          processed: kmsKeyIds.processed,
          quarantine: kmsKeyIds.quarantine,
        },
        ...(clamd ? { clamd } : {}),
        ...(options.clamdScanTimeout ? { clamdScanTimeout: options.clamdScanTimeout } : {}),
        statusStore,
        allowedContentTypes: config.uploads.allowedContentTypes,
        maxUploadBytes: config.uploads.maxSizeBytes,
        presignExpirySeconds: config.uploads.presignExpirySeconds,
        guardDutyInconclusive: config.intake.guardDuty.inconclusiveVerdict,
        allowEncryptedArchiveEntries: config.intake.scan.allowEncryptedArchiveEntries,
        queues: {
          maxReceiveCount: config.intake.dlqMaxReceiveCount,
          batchSize: config.intake.handlers.scan.batchSize,
          // Batches at once, as Lambda scales out to the reserved concurrency, capped for one machine.
          concurrency: Math.min(config.intake.handlers.scan.reservedConcurrency, LOCAL_MAX_BATCHES_AT_ONCE),
        },
        logger,
      });
    } catch (error) {
      throw new Error(
        `could not start the intake pipeline on ${s3Endpoint.endpoint}: it subscribes to object-created ` +
          `notifications of ${buckets.names.uploads} through Ceph RGW's SNS-compatible topics (HTTP push): ` +
          messageOf(error),
        { cause: error },
      );
    }
    const metricsLog = new MetricsLog({
      file: path.join(paths.logs, 'metrics.jsonl'),
      service: 'stowage-local',
      defaultDimensions: { env: config.envName },
    });
    // Stopping: the queues stop, then their last dead letters and metric totals go out (shutdown-order.ts).
    shutdown.add('metrics', () => {
      for (const [step, metrics] of Object.entries(intake.metrics)) {
        for (const [name, value] of Object.entries(metrics.snapshot()))
          metricsLog.addMetric(name, 'Count', value);
        metricsLog.addDimension('handler', step);
        metricsLog.publishStoredMetrics();
      }
    });
    shutdown.add('dead-letters', watchDeadLetters(intake, err));
    shutdown.add('queues', () => intake.stop());

    // The HTTP front: the intake API's Lambda handler behind JWTs, the page, its config.
    const jwt: LocalJwt = await openLocalJwt({ dataDir, audiences: config.intake.jwt.audiences });
    const apiS3 = createS3Client(s3Endpoint);
    shutdown.add('clients', () => apiS3.destroy());
    const handler = createIntakeHttpApiHandler({
      config: {
        uploadsBucket: buckets.names.uploads,
        uploadsKeyId: kmsKeyIds.uploads,
        maxUploadBytes: config.uploads.maxSizeBytes,
        allowedContentTypes: config.uploads.allowedContentTypes,
        presignExpirySeconds: config.uploads.presignExpirySeconds,
      },
      s3: apiS3,
      statusStore,
      logger: logger.createChild({ serviceName: HANDLER_SERVICES.intakeApi }),
    });
    let http: LocalHttpServer;
    try {
      http = await startLocalHttpServer({
        host: LOOPBACK,
        port: apiPort,
        handler,
        jwt,
        webRoot: WEB_ROOT,
        s3Endpoint: s3Endpoint.endpoint,
        logger,
        pageConfig: async () => ({
          token: await jwt.mintToken({ user: PAGE_USER, expiresInSeconds: PAGE_TOKEN_LIFETIME_SECONDS }),
          user: PAGE_USER,
          maxUploadBytes: config.uploads.maxSizeBytes,
          allowedContentTypes: config.uploads.allowedContentTypes,
        }),
      });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') throw portInUse(apiPort);
      throw error;
    }
    shutdown.add('http', () => http.close());

    // The backup verifier: its schedule (UTC) and once now; reports into the backups bucket, alerts to the console.
    const verifyLogger = new Logger({
      serviceName: HANDLER_SERVICES.backupVerify,
      logLevel: options.logLevel ?? 'WARN',
    });
    const verifyHandler = createBackupVerifyHandler({
      s3,
      sns: createConsoleSnsClient((notification) =>
        err(
          [
            `backup verification alert (local mode has no SNS; on AWS this goes to ${notification.topicArn}):`,
            `  ${notification.subject ?? '(no subject)'}`,
            ...notification.message.split('\n').map((line) => `  ${line}`),
          ].join('\n'),
        ),
      ),
      env: config.envName,
      bucket: buckets.names.backups,
      backupsKeyArn: kmsKeyIds.backups,
      requireReplication: config.backups.requireReplication,
      operationsTopicArn: operationsTopicArn(config),
      sources: parseBackupSources(config.backups.sources),
      metrics: metricsLog.forService(HANDLER_SERVICES.backupVerify),
      logger: verifyLogger,
    });
    const verifier: LocalVerifier = startLocalVerifier({
      handler: verifyHandler,
      schedule: config.backups.verifySchedule,
      runAtStart: options.verifyAtStart ?? true,
      onRun: (run) =>
        reportVerification(run, out, err, options.logLevel === 'INFO' || options.logLevel === 'DEBUG'),
    });
    shutdown.add('verifier', () => verifier.stop());

    // Uploads that landed while local mode was down got no notification: hand them to the pipeline now.
    const requeued = await requeueLeftoverUploads(s3, buckets.names.uploads, (body) =>
      intake.queues.intake.send(body),
    );
    if (requeued > 0) out(`requeued ${requeued} upload(s) left unprocessed in ${buckets.names.uploads}`);

    const s3Url = s3Endpoint.endpoint;
    const pageUrl = `${apiUrl}/`;
    const state: LocalState = {
      kind: 'stowage-local',
      pid: process.pid,
      running: true,
      startedAt: new Date().toISOString(),
      dataDir,
      envName: config.envName,
      apiUrl,
      s3Url,
      pageUrl,
      s3: {
        endpoint: s3Url,
        region: s3Endpoint.region,
        managed: !external,
        ...(external ? {} : s3Endpoint.credentials),
      },
      buckets: buckets.names,
      kmsKeyIds,
      jwt: {
        dir: paths.jwt,
        issuer: jwt.issuer,
        audiences: [...config.intake.jwt.audiences],
        keyId: jwt.keyId,
      },
      ports: {
        api: apiPort,
        ...(started.rgw ? { rgw: started.rgw.port } : {}),
        ...(started.clamd ? { clamd: started.clamd.port } : {}),
      },
      verifier: {
        schedule: verifier.schedule,
        ...(verifier.nextRunAt() ? { nextRunAt: verifier.nextRunAt()?.toISOString() } : {}),
      },
    };
    writeLocalState(dataDir, state);
    shutdown.add('state', () =>
      writeLocalState(dataDir, { ...state, running: false, stoppedAt: new Date().toISOString() }),
    );

    for (const line of readyLines({
      state,
      external: Boolean(external),
      defaultDataDir: isDefaultDataDir(dataDir),
    })) {
      out(line);
    }

    // Supervision of the servers this run started; stopped first, so that servers being stopped are not restarted.
    const supervisor = superviseLocalServers(
      {
        ...(started.rgw ? { rgw: { server: started.rgw, options: rgwOptions } } : {}),
        ...(started.clamd ? { clamd: { server: started.clamd, dataDir: paths.clamd } } : {}),
      },
      { say: err, ...options.supervision },
    );
    shutdown.add('supervision', () => supervisor.stop());

    let stopping: Promise<void> | undefined;
    return {
      apiUrl,
      s3Url,
      pageUrl,
      dataDir,
      s3: s3Endpoint,
      buckets: buckets.names,
      kmsKeyIds,
      startedPids,
      intake: { queues: intake.queues, metrics: intake.metrics },
      mintToken: (user, expiresInSeconds) =>
        jwt.mintToken({ user, ...(expiresInSeconds === undefined ? {} : { expiresInSeconds }) }),
      verifyBackups: () => verifier.runNow(),
      nextVerificationAt: () => verifier.nextRunAt(),
      stop: () =>
        (stopping ??= cleanUp().then((problems) => {
          if (problems.length > 0) throw new Error(`stopping local mode failed: ${problems.join('; ')}`);
        })),
    };
  } catch (error) {
    // The start-up error is the one to report; what its clean-up could not undo is printed with it.
    const problems = await cleanUp();
    if (problems.length > 0) err(`stowage local: cleaning up after the failed start: ${problems.join('; ')}`);
    throw error;
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

function resolveExternalEndpoint(
  given: LocalModeOptions['s3Endpoint'],
  environment: Readonly<Record<string, string | undefined>>,
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

function sameKeyForAll(kmsKeyId: string): LocalKmsKeyIds {
  return { uploads: kmsKeyId, processed: kmsKeyId, quarantine: kmsKeyId, backups: kmsKeyId };
}

async function resolveApiPort(port: number): Promise<number> {
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`--port must be a TCP port (1-65535, or 0 for a free one), got ${String(port)}`);
  }
  if (port === 0) return getFreePort();
  if (!(await isPortFree(port))) throw portInUse(port);
  return port;
}

function portInUse(port: number): Error {
  return new Error(
    `port ${port} on ${LOOPBACK} is in use: stop what listens there, or pass --port N (--port 0 picks a free one)`,
  );
}

/**
 * The clamd port to ask for: none when a clamd already runs from the directory (it is reused on its own port),
 * else the one remembered from the last run when it is free again, else none (a free one is picked).
 */
async function clamdPort(dataDir: string, remembered: number | undefined): Promise<number | undefined> {
  if ((await clamdStatus({ dataDir })).running) return undefined;
  return remembered !== undefined && (await isPortFree(remembered)) ? remembered : undefined;
}

function readPreviousState(dataDir: string, err: (line: string) => void): LocalState | undefined {
  try {
    return readLocalState(dataDir);
  } catch (error) {
    // Only remembered ports come from it: a damaged file is reported and rewritten.
    err(`stowage local: ignoring ${messageOf(error)}`);
    return undefined;
  }
}

/** `--fresh`: stops the servers running from the data directory, then removes local mode's state in it. */
async function wipeLocalMode(dataDir: string): Promise<void> {
  // A directory that is not local mode's is refused before anything in it is stopped.
  assertLocalDataDir(dataDir);
  const paths = dataDirPaths(dataDir);
  await Promise.all([stopRgw({ dataDir: paths.rgw }), stopClamd({ dataDir: paths.clamd })]);
  wipeDataDir(dataDir);
}

function isDefaultDataDir(dataDir: string): boolean {
  return dataDir === path.resolve(DEFAULT_DATA_DIR);
}

/**
 * The console side of a verification run: a run that did not complete is an error line (on AWS: a failed
 * invocation); a failed verification was already printed as the alert the console SNS client received.
 */
function reportVerification(
  run: VerifierRun,
  out: (line: string) => void,
  err: (line: string) => void,
  verbose: boolean,
): void {
  if (run.error !== undefined) {
    err(`backup verification (${run.trigger}) did not complete: ${messageOf(run.error)}`);
  } else if (verbose) {
    const report = run.report as VerificationReport;
    out(
      `backup verification (${run.trigger}): ${report.ok ? 'every source verified' : 'FAILED (see the alert)'}`,
    );
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
