/**
 * Local mode's HTTP front on 127.0.0.1: the intake API's Lambda handler behind local JWTs, the upload page and its
 * config (a fresh page token on every load). Registers the API's S3 client under `clients` and the server under
 * `http`.
 */
import path from 'node:path';

import type { Logger } from '@aws-lambda-powertools/logger';

import { createS3Client } from '../../../core/aws/s3-client';
import type { StowageConfig } from '../../../lib/config';
import { getFreePort, isPortFree, LOOPBACK } from '../../servers/net';
import type { FileStatusStore } from '../file-status-store';
import { HANDLER_SERVICES } from '../../../core/contracts/metrics';
import { createIntakeHttpApiHandler } from '../intake-api-handler';
import type { LocalBucketSetup, LocalKmsKeyIds } from '../local-buckets';
import { startLocalHttpServer, type LocalHttpServer } from '../local-http-server';
import { openLocalJwt, type LocalJwt } from '../local-jwt';
import type { ShutdownPlan } from '../shutdown-order';
import type { LocalServers } from './servers';

/** The user the page's token is minted for. */
export const PAGE_USER = 'local-user';
/** Lifetime of the page's token; `/config.js` mints a fresh one on every page load. */
export const PAGE_TOKEN_LIFETIME_SECONDS = 12 * 3600;
/** The upload page's static files. */
export const WEB_ROOT = path.resolve(__dirname, '..', '..', 'web');

export interface LocalFrontInput {
  /** The data directory (the JWT signing key lives in it). */
  readonly dataDir: string;
  /** Port on 127.0.0.1, from resolveApiPort. */
  readonly apiPort: number;
  /** The S3 server uploads go to. */
  readonly s3: LocalServers['s3'];
  /** The buckets, as set up. */
  readonly buckets: LocalBucketSetup;
  /** SSE-KMS key id of each data bucket. */
  readonly kmsKeyIds: LocalKmsKeyIds;
  /** The env's config: JWT audiences and upload rules. */
  readonly config: StowageConfig;
  /** Upload status records, as the pipeline writes them. */
  readonly statusStore: FileStatusStore;
  readonly logger: Logger;
}

/** The running front. */
export interface LocalFront {
  /** The JWT issuer and signing key (tokens for the API). */
  readonly jwt: LocalJwt;
  readonly http: LocalHttpServer;
}

/** Starts the front and registers its steps; see the module comment. */
export async function startLocalFront(input: LocalFrontInput, shutdown: ShutdownPlan): Promise<LocalFront> {
  const { config, apiPort } = input;
  const jwt: LocalJwt = await openLocalJwt({
    dataDir: input.dataDir,
    audiences: config.intake.jwt.audiences,
  });
  const apiS3 = createS3Client(input.s3);
  shutdown.add('clients', () => apiS3.destroy());
  const handler = createIntakeHttpApiHandler({
    config: {
      uploadsBucket: input.buckets.names.uploads,
      uploadsKeyId: input.kmsKeyIds.uploads,
      maxUploadBytes: config.uploads.maxSizeBytes,
      allowedContentTypes: config.uploads.allowedContentTypes,
      presignExpirySeconds: config.uploads.presignExpirySeconds,
      processedBucket: input.buckets.names.processed,
      downloadExpirySeconds: config.uploads.downloadExpirySeconds,
    },
    s3: apiS3,
    statusStore: input.statusStore,
    logger: input.logger.createChild({ serviceName: HANDLER_SERVICES.intakeApi }),
  });
  let http: LocalHttpServer;
  try {
    http = await startLocalHttpServer({
      host: LOOPBACK,
      port: apiPort,
      handler,
      jwt,
      webRoot: WEB_ROOT,
      s3Endpoint: input.s3.endpoint,
      logger: input.logger,
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
  return { jwt, http };
}

/** `--port`: checked, free (0: a free one picked now). */
export async function resolveApiPort(port: number): Promise<number> {
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
