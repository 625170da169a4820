/**
 * `stowage local` (`npm start`): the whole of Stowage on one machine. Starts (or reuses) a Ceph RGW with a
 * persistent store and clamd in the data directory, creates the env's buckets from its config, and runs the local
 * runtime: the intake API (the Lambda handler behind the HTTP front, with local JWTs), RGW notifications → local
 * queues → scan → quarantine / process, the backup verifier on its schedule, and the upload page.
 *
 * This file is the composition root: each part starts in its module under mode/ (servers, buckets, pipeline,
 * front, verifier, state) and registers what it started under its named step of the shutdown order
 * (shutdown-order.ts), so that stopping, or a failed start, stops exactly what was started, in that order.
 */
import { Logger } from '@aws-lambda-powertools/logger';

import { loadConfig } from '../../lib/config';
import { LOOPBACK } from '../servers/net';
import {
  acquireDataDirLock,
  dataDirPaths,
  DataDirBusyError,
  DEFAULT_DATA_DIR,
  lockHolder,
  prepareDataDir,
} from './local-data-dir';
import { localKmsKeyIds } from './local-buckets';
import { preflight } from './local-preflight';
import { openLocalBuckets } from './mode/buckets';
import { resolveApiPort, startLocalFront } from './mode/front';
import { DEFAULT_API_PORT, type LocalMode, type LocalModeOptions } from './mode/options';
import { startLocalPipeline } from './mode/pipeline';
import {
  resolveExternalEndpoint,
  sameKeyForAll,
  startLocalServers,
  superviseStartedServers,
  wipeLocalMode,
} from './mode/servers';
import {
  isDefaultDataDir,
  publishRunningState,
  readPreviousState,
  readyLines,
  runningState,
} from './mode/state';
import { startVerifierSchedule } from './mode/verifier';
import { ShutdownPlan } from './shutdown-order';

export { DataDirBusyError } from './local-data-dir';
export { PAGE_TOKEN_LIFETIME_SECONDS, PAGE_USER, WEB_ROOT } from './mode/front';
export {
  DEFAULT_API_PORT,
  type ExternalS3Endpoint,
  type LocalMode,
  type LocalModeOptions,
} from './mode/options';
export { readyLines } from './mode/state';
export { requeueLeftoverUploads } from './requeue-uploads';

/** Starts local mode; see the module comment. Resolves once everything is ready and the ready lines are out. */
export async function startLocalMode(options: LocalModeOptions = {}): Promise<LocalMode> {
  const out = options.out ?? ((line: string) => process.stdout.write(`${line}\n`));
  const err = options.err ?? ((line: string) => process.stderr.write(`${line}\n`));
  const config = options.config ?? loadConfig('dev', { environment: {} });
  const paths = dataDirPaths(options.dataDir ?? DEFAULT_DATA_DIR);
  const dataDir = paths.root;
  const external = resolveExternalEndpoint(options.s3Endpoint, options.environment ?? process.env);
  const clamav = options.clamav ?? true;
  const ownClamd = clamav === true;
  const logger = new Logger({ serviceName: 'stowage-local', logLevel: options.logLevel ?? 'WARN' });

  const holder = lockHolder(dataDir);
  if (holder !== undefined) throw new DataDirBusyError(dataDir, holder);
  if (options.fresh) await wipeLocalMode(dataDir);
  prepareDataDir(dataDir);
  const lock = acquireDataDirLock(dataDir);
  // What to stop, by named step (shutdown-order.ts); each part registers its own, a failed start stops what it got to.
  const shutdown = new ShutdownPlan();
  shutdown.add('lock', () => lock.release());
  const cleanUp = (): Promise<string[]> => shutdown.run();

  try {
    const previous = readPreviousState(dataDir, err);
    const apiPort = await resolveApiPort(options.port ?? DEFAULT_API_PORT);
    const apiUrl = `http://${LOOPBACK}:${apiPort}`;
    if (options.preflight ?? true) await preflight({ ceph: !external, clamd: ownClamd, write: out });

    const kmsKeyIds = external ? sameKeyForAll(external.kmsKeyId) : localKmsKeyIds(config);
    const servers = await startLocalServers(
      {
        paths,
        ...(external ? { external } : {}),
        ownClamd,
        ...(previous?.ports.clamd === undefined ? {} : { rememberedClamdPort: previous.ports.clamd }),
        kmsKeyIds,
        objectStore: options.objectStore ?? 'bluestore',
        err,
      },
      shutdown,
    );
    const s3 = servers.s3;
    const storage = await openLocalBuckets(
      { s3, config, kmsKeyIds, pageOrigins: [apiUrl, `http://localhost:${apiPort}`], logger },
      shutdown,
    );
    const { buckets } = storage;
    const clamd =
      typeof clamav === 'object'
        ? clamav
        : servers.clamd && { host: servers.clamd.host, port: servers.clamd.port };
    const pipeline = await startLocalPipeline(
      {
        s3,
        buckets,
        kmsKeyIds,
        config,
        paths,
        ...(clamd ? { clamd } : {}),
        ...(options.clamdScanTimeout ? { clamdScanTimeout: options.clamdScanTimeout } : {}),
        err,
        logger,
      },
      shutdown,
    );
    const front = await startLocalFront(
      { dataDir, apiPort, s3, buckets, kmsKeyIds, config, statusStore: pipeline.statusStore, logger },
      shutdown,
    );
    const verifier = startVerifierSchedule(
      {
        s3: storage.s3,
        buckets,
        kmsKeyIds,
        config,
        metrics: pipeline.metricsLog,
        runAtStart: options.verifyAtStart ?? true,
        logLevel: options.logLevel,
        out,
        err,
      },
      shutdown,
    );

    // Uploads that landed while local mode was down got no notification: hand them to the pipeline now.
    const requeued = await pipeline.requeueLeftovers(storage.s3);
    if (requeued > 0) out(`requeued ${requeued} upload(s) left unprocessed in ${buckets.names.uploads}`);

    const state = runningState({
      dataDir,
      jwtDir: paths.jwt,
      config,
      apiUrl,
      apiPort,
      servers,
      external: Boolean(external),
      buckets,
      kmsKeyIds,
      jwt: front.jwt,
      verifier,
    });
    publishRunningState(dataDir, state, shutdown);
    for (const line of readyLines({
      state,
      external: Boolean(external),
      defaultDataDir: isDefaultDataDir(dataDir),
    })) {
      out(line);
    }

    // Supervision of the servers this run started; stopped first, so that servers being stopped are not restarted.
    superviseStartedServers(servers, paths.clamd, { say: err, ...options.supervision }, shutdown);

    let stopping: Promise<void> | undefined;
    return {
      apiUrl,
      s3Url: state.s3Url,
      pageUrl: state.pageUrl,
      dataDir,
      s3,
      buckets: buckets.names,
      kmsKeyIds,
      startedPids: servers.startedPids,
      intake: { queues: pipeline.intake.queues, metrics: pipeline.intake.metrics },
      mintToken: (user, expiresInSeconds) =>
        front.jwt.mintToken({ user, ...(expiresInSeconds === undefined ? {} : { expiresInSeconds }) }),
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
