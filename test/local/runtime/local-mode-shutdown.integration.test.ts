/**
 * `npm start` never orphans what it started: local mode as a child process (node bin/stowage.js local, its own data
 * directory, free ports) loses its stdout reader, gets SIGHUP, gets SIGKILL; each time, within a bounded time,
 * no clamd, ceph-mon, ceph-osd or radosgw of its data directory remains. A start over servers that still run from
 * the directory says which it reuses.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { openLocalJwt } from '../../../local/runtime/local-jwt';
import { startClamd, stopClamd } from '../../../local/servers/clamd';
import { stopRgw } from '../../../local/servers/rgw';
import {
  faultOnSignal,
  processesUsing,
  startLocalModeProcess,
} from '../../support/integration/local-mode-process';
import { waitFor } from '../../support/integration/wait-for';

const SERVERS = ['clamd', 'ceph-mon', 'ceph-osd', 'radosgw'];
/** How long the servers may take to go once local mode stops or dies (radosgw needs up to ~6 s on TERM). */
const GONE_WITHIN_MS = 20_000;

describe('local mode as a process: nothing it started outlives it', () => {
  const dirs: string[] = [];
  const newDataDir = (): string => {
    const dir = mkdtempSync(path.join(tmpdir(), 'stowage-local-orphans-'));
    dirs.push(dir);
    return dir;
  };

  afterAll(async () => {
    for (const dir of dirs) {
      await Promise.all([
        stopRgw({ dataDir: path.join(dir, 'rgw') }),
        stopClamd({ dataDir: path.join(dir, 'clamd') }),
      ]);
      for (const { pid } of processesUsing(dir)) process.kill(pid, 'SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  async function expectNothingLeft(dataDir: string): Promise<void> {
    await waitFor(
      `no process of ${dataDir} left`,
      () => (processesUsing(dataDir).length === 0 ? true : undefined),
      { timeoutMs: GONE_WITHIN_MS, intervalMs: 100 },
    ).catch((error: unknown) => {
      throw new Error(`${(error as Error).message}: ${JSON.stringify(processesUsing(dataDir))}`);
    });
  }

  function serversOf(dataDir: string): string[] {
    return processesUsing(dataDir)
      .map((process) => process.command)
      .filter((command) => SERVERS.includes(command))
      .sort();
  }

  it('stops every server when its stdout pipe closes (npm start | head), on the next line it writes', async () => {
    // Arrange
    const dataDir = newDataDir();
    const local = await startLocalModeProcess(dataDir, ['--verbose']);
    expect(serversOf(dataDir)).toEqual([...SERVERS].sort());
    const apiUrl = (await local.waitForOut('API: ')).slice('API: '.length);

    // Act: the reader goes away, then local mode logs (an INFO line for a presigned upload).
    local.child.stdout!.destroy();
    const jwt = await openLocalJwt({ dataDir, audiences: ['stowage-dev'] });
    const token = await jwt.mintToken({ user: 'pipe-test' });
    await fetch(`${apiUrl}/uploads`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ fileName: 'a.pdf', contentType: 'application/pdf', size: 100 }),
    }).catch(() => undefined);

    // Assert
    await expect(local.exited).resolves.toBe(0);
    await expectNothingLeft(dataDir);
    expect(local.err.join('\n')).toContain('stdout closed (EPIPE): stopping');
  }, 180_000);

  it('stops every server on SIGHUP (a closed terminal)', async () => {
    // Arrange
    const dataDir = newDataDir();
    const local = await startLocalModeProcess(dataDir);

    // Act
    local.child.kill('SIGHUP');

    // Assert
    await expect(local.exited).resolves.toBe(0);
    await expectNothingLeft(dataDir);
    expect(local.out).toContain('SIGHUP: stopping (again to force)');
  }, 180_000);

  it.each([
    ['an uncaught exception', 'throw', 'injected uncaught exception'],
    ['an unhandled rejection', 'reject', 'injected unhandled rejection'],
  ] as const)(
    'stops every server on %s and exits 1',
    async (_name, fault, message) => {
      // Arrange
      const dataDir = newDataDir();
      const local = await startLocalModeProcess(dataDir, [], faultOnSignal(fault));

      // Act
      local.child.kill('SIGUSR2');

      // Assert
      await expect(local.exited).resolves.toBe(1);
      await expectNothingLeft(dataDir);
      expect(local.err.join('\n')).toContain(`unexpected error, stopping: Error: ${message}`);
    },
    180_000,
  );

  it('takes every server with it when it is killed with SIGKILL (parent-death signal)', async () => {
    // Arrange
    const dataDir = newDataDir();
    const local = await startLocalModeProcess(dataDir);
    expect(serversOf(dataDir)).toEqual([...SERVERS].sort());

    // Act
    const killedAt = Date.now();
    local.child.kill('SIGKILL');

    // Assert
    await expect(local.exited).resolves.toBe('SIGKILL');
    await expectNothingLeft(dataDir);
    expect(Date.now() - killedAt).toBeLessThan(GONE_WITHIN_MS);
  }, 180_000);

  it('says which leftovers it reuses when it starts over servers still running from the directory', async () => {
    // Arrange: a clamd left running from the directory by someone else.
    const dataDir = newDataDir();
    const leftover = await startClamd({ dataDir: path.join(dataDir, 'clamd') });

    // Act
    const local = await startLocalModeProcess(dataDir);
    local.child.kill('SIGTERM');
    await local.exited;

    // Assert
    expect(local.err.join('\n')).toContain(
      `stowage local: reusing clamd (pid ${leftover.pid}) already running from ${path.join(dataDir, 'clamd')}`,
    );
    expect(serversOf(dataDir)).toEqual(['clamd']);
    await leftover.stop();
  }, 180_000);

  it('says which leftovers it stops when they do not answer (a clamd stopped with SIGSTOP), and starts its own', async () => {
    // Arrange
    const dataDir = newDataDir();
    const leftover = await startClamd({ dataDir: path.join(dataDir, 'clamd') });
    process.kill(leftover.pid!, 'SIGSTOP');

    // Act
    const local = await startLocalModeProcess(dataDir);
    const running = processesUsing(dataDir).filter((p) => p.command === 'clamd');
    local.child.kill('SIGTERM');
    await local.exited;

    // Assert
    expect(local.err.join('\n')).toContain(
      `stowage local: stopping clamd (pid ${leftover.pid}) already running from ${path.join(dataDir, 'clamd')}: ` +
        'it does not answer; starting a new one',
    );
    expect(running.map((p) => p.pid)).not.toContain(leftover.pid);
    expect(running).toHaveLength(1);
    await expectNothingLeft(dataDir);
  }, 180_000);
});
