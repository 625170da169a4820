/**
 * Jest global setup for integration tests: starts a real Ceph RGW (S3), clamd and PostgreSQL once per run, on
 * free loopback ports in a temporary data directory, and hands their endpoints to the test workers through
 * environment variables (see servers.ts). global-teardown.ts stops them and removes the directory.
 *
 * With STOWAGE_TEST_SERVERS_DIR set, servers already running from that directory are reused (or started
 * there) and left running after the run: handy when iterating on tests.
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startClamd } from '../../../local/servers/clamd';
import type { ClamdServer } from '../../../local/servers/clamd';
import { getFreePorts } from '../../../local/servers/net';
import { startPostgres } from '../../../local/servers/postgres';
import type { PostgresServer } from '../../../local/servers/postgres';
import { AWS_TEST_STORAGE_CLASSES, startRgw } from '../../../local/servers/rgw';
import type { RgwServer } from '../../../local/servers/rgw';
import { TEST_SERVER_ENV } from './servers';
import { hasRunningServers, setRunningServers } from './state';

export default async function globalSetup(): Promise<void> {
  const started = Date.now();
  const keepDir = process.env.STOWAGE_TEST_SERVERS_DIR;
  const keep = Boolean(keepDir);
  const dataDir = keepDir ? path.resolve(keepDir) : mkdtempSync(path.join(tmpdir(), 'stowage-it-'));
  // Run as root, PostgreSQL runs as an unprivileged account that must reach <dataDir>/postgres: search only.
  if (!keep) chmodSync(dataDir, 0o711);

  // In a fresh directory, pick free ports here so STOWAGE_*_PORT meant for local mode never collide.
  const [rgwPort, monPort, clamdPort, postgresPort] = keep ? [] : await getFreePorts(4);
  const results = await Promise.allSettled([
    startRgw({
      dataDir: path.join(dataDir, 'rgw'),
      port: rgwPort,
      monPort,
      detached: keep,
      // GLACIER, DEEP_ARCHIVE, STANDARD_IA: `stowage backup archive` is tested against the real server.
      storageClasses: AWS_TEST_STORAGE_CLASSES,
    }),
    startClamd({ dataDir: path.join(dataDir, 'clamd'), port: clamdPort, detached: keep }),
    startPostgres({ dataDir: path.join(dataDir, 'postgres'), port: postgresPort }),
  ] as const);
  const [rgwResult, clamdResult, postgresResult] = results;
  if (
    rgwResult.status === 'rejected' ||
    clamdResult.status === 'rejected' ||
    postgresResult.status === 'rejected'
  ) {
    await Promise.allSettled(
      results.map((r) => (r.status === 'fulfilled' && !keep ? r.value.stop() : undefined)),
    );
    if (!keep) rmSync(dataDir, { recursive: true, force: true });
    const reasons = results
      .filter((r): r is PromiseRejectedResult => r.status === 'rejected')
      .map((r) => (r.reason instanceof Error ? r.reason.message : String(r.reason)));
    throw new Error(`integration test servers did not start:\n${reasons.join('\n\n')}`);
  }
  const rgw: RgwServer = rgwResult.value;
  const clamd: ClamdServer = clamdResult.value;
  const postgres: PostgresServer = postgresResult.value;

  Object.assign(process.env, {
    [TEST_SERVER_ENV.dataDir]: dataDir,
    [TEST_SERVER_ENV.s3Endpoint]: rgw.endpoint,
    [TEST_SERVER_ENV.s3Region]: rgw.region,
    [TEST_SERVER_ENV.s3AccessKeyId]: rgw.accessKey,
    [TEST_SERVER_ENV.s3SecretAccessKey]: rgw.secretKey,
    [TEST_SERVER_ENV.kmsKeyId]: rgw.kmsKeyIds[0],
    [TEST_SERVER_ENV.clamdHost]: clamd.host,
    [TEST_SERVER_ENV.clamdPort]: String(clamd.port),
    [TEST_SERVER_ENV.postgresHost]: postgres.host,
    [TEST_SERVER_ENV.postgresPort]: String(postgres.port),
    [TEST_SERVER_ENV.postgresUser]: postgres.user,
  });
  setRunningServers({ dataDir, keep, rgw, clamd, postgres });
  if (!keep) {
    // Safety net: if Jest exits without running global teardown, do not leave daemons behind.
    // The postmaster's backends exit on their own once it is gone.
    const pids = [rgw.pids, clamd.pid, postgres.pid].flat().filter((pid): pid is number => pid !== undefined);
    process.once('exit', () => {
      if (!hasRunningServers()) return;
      for (const pid of pids) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      rmSync(dataDir, { recursive: true, force: true });
    });
  }

  const how = (reused: boolean): string => (reused ? 'reused' : 'started');
  console.log(
    `\nintegration servers ready in ${Date.now() - started} ms: RGW ${rgw.endpoint} (${how(rgw.reused)}), ` +
      `clamd ${clamd.host}:${clamd.port} (${how(clamd.reused)}), ` +
      `PostgreSQL ${postgres.version} ${postgres.host}:${postgres.port} (${how(postgres.reused)}), ` +
      `data ${dataDir}${keep ? ' (kept)' : ''}`,
  );
}
