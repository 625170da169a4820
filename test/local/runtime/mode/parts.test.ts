/**
 * Each part of local mode registers what it started under its own step of the shutdown order (the composition
 * root relies on it): the front its API client and HTTP server, the verifier its schedule, the state its file.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { S3Client } from '@aws-sdk/client-s3';
import { Logger } from '@aws-lambda-powertools/logger';

import { loadConfig } from '../../../../lib/config';
import { FileStatusStore } from '../../../../local/runtime/file-status-store';
import type { LocalBucketSetup } from '../../../../local/runtime/local-buckets';
import { localKmsKeyIds } from '../../../../local/runtime/local-buckets';
import { dataDirPaths, readLocalState, type LocalState } from '../../../../local/runtime/local-data-dir';
import { PAGE_USER, resolveApiPort, startLocalFront, WEB_ROOT } from '../../../../local/runtime/mode/front';
import { publishRunningState } from '../../../../local/runtime/mode/state';
import { startVerifierSchedule } from '../../../../local/runtime/mode/verifier';
import { MetricsLog } from '../../../../local/runtime/metrics-log';
import { ShutdownPlan } from '../../../../local/runtime/shutdown-order';
import { send } from '../http-test-client';
import { tempDataDir } from '../jwt-fixtures';

const config = loadConfig('dev', { environment: {} });
const kmsKeyIds = localKmsKeyIds(config);
const buckets: LocalBucketSetup = {
  names: {
    uploads: 'uploads-bucket',
    processed: 'processed-bucket',
    quarantine: 'quarantine-bucket',
    backups: 'backups-bucket',
    'access-logs': 'access-logs-bucket',
  },
  encryption: {} as LocalBucketSetup['encryption'],
  notApplied: [],
};
const s3Endpoint = {
  endpoint: 'http://127.0.0.1:9',
  region: 'us-east-1',
  credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
};
const logger = new Logger({ serviceName: 'test', logLevel: 'SILENT' });

let data: ReturnType<typeof tempDataDir>;

beforeEach(() => {
  data = tempDataDir();
});

afterEach(() => {
  data.cleanup();
});

describe('local mode parts and their shutdown steps', () => {
  it('the front registers its API client and its HTTP server, serves the page, and stops on the plan', async () => {
    // Arrange
    const shutdown = new ShutdownPlan();
    const apiPort = await resolveApiPort(0);
    mkdirSync(join(data.dir, 'status'), { recursive: true });

    // Act
    const front = await startLocalFront(
      {
        dataDir: data.dir,
        apiPort,
        s3: s3Endpoint,
        buckets,
        kmsKeyIds,
        config,
        statusStore: new FileStatusStore({ dir: join(data.dir, 'status') }),
        logger,
      },
      shutdown,
    );
    const page = await send(front.http.url, { method: 'GET', path: '/' });
    const registered = shutdown.registered();
    const problems = await shutdown.run();

    // Assert
    expect(registered).toEqual(['http', 'clients']);
    expect(page.status).toBe(200);
    expect(page.body.toString('utf8')).toBe(readFileSync(join(WEB_ROOT, 'index.html'), 'utf8'));
    expect(await front.jwt.mintToken({ user: PAGE_USER })).toMatch(/^ey/);
    expect(problems).toEqual([]);
    await expect(send(front.http.url, { method: 'GET', path: '/' })).rejects.toThrow();
  });

  it('the verifier registers its schedule', async () => {
    // Arrange
    const shutdown = new ShutdownPlan();
    const s3 = new S3Client({ endpoint: s3Endpoint.endpoint, region: 'us-east-1' });

    // Act
    const verifier = startVerifierSchedule(
      {
        s3,
        buckets,
        kmsKeyIds,
        config,
        metrics: new MetricsLog({ file: join(data.dir, 'metrics.jsonl'), service: 'test' }),
        runAtStart: false,
        logLevel: 'SILENT',
        out: jest.fn(),
        err: jest.fn(),
      },
      shutdown,
    );
    const registered = shutdown.registered();
    const problems = await shutdown.run();
    s3.destroy();

    // Assert
    expect(registered).toEqual(['verifier']);
    expect(verifier.schedule).toBe(config.backups.verifySchedule);
    expect(problems).toEqual([]);
  });

  it('the state is written as running and registered to be marked stopped', async () => {
    // Arrange
    const shutdown = new ShutdownPlan();
    mkdirSync(data.dir, { recursive: true });
    const state = {
      kind: 'stowage-local',
      pid: process.pid,
      running: true,
      startedAt: new Date().toISOString(),
      dataDir: dataDirPaths(data.dir).root,
      envName: 'dev',
      apiUrl: 'http://127.0.0.1:1',
      s3Url: s3Endpoint.endpoint,
      pageUrl: 'http://127.0.0.1:1/',
      s3: { endpoint: s3Endpoint.endpoint, region: 'us-east-1', managed: false },
      buckets: buckets.names,
      kmsKeyIds,
      jwt: { dir: join(data.dir, 'jwt'), issuer: 'issuer', audiences: ['stowage-dev'], keyId: 'kid' },
      ports: { api: 1 },
      verifier: { schedule: config.backups.verifySchedule },
    } as LocalState;

    // Act
    publishRunningState(data.dir, state, shutdown);
    const running = readLocalState(data.dir);
    const registered = shutdown.registered();
    await shutdown.run();

    // Assert
    expect(registered).toEqual(['state']);
    expect(running?.running).toBe(true);
    expect(readLocalState(data.dir)?.running).toBe(false);
  });
});
