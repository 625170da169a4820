import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import {
  acquireDataDirLock,
  DataDirBusyError,
  lockHolder,
  prepareDataDir,
  readLocalState,
  wipeDataDir,
  writeLocalState,
  type LocalState,
} from '../../../local/runtime/local-data-dir';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'stowage-data-dir-'));
  dirs.push(dir);
  return dir;
}
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

function state(dataDir: string): LocalState {
  return {
    kind: 'stowage-local',
    pid: process.pid,
    running: true,
    startedAt: '2026-11-23T15:00:00.000Z',
    dataDir,
    envName: 'dev',
    apiUrl: 'http://127.0.0.1:8787',
    s3Url: 'http://127.0.0.1:7480',
    pageUrl: 'http://127.0.0.1:8787/',
    s3: {
      endpoint: 'http://127.0.0.1:7480',
      region: 'us-east-1',
      managed: true,
      accessKeyId: 'a',
      secretAccessKey: 's',
    },
    buckets: { uploads: 'stowage-dev-uploads' },
    kmsKeyIds: { uploads: 'alias/stowage/dev/uploads' },
    jwt: { dir: path.join(dataDir, 'jwt'), issuer: 'stowage-local', audiences: ['stowage-dev'], keyId: 'k' },
    ports: { api: 8787, rgw: 7480 },
    verifier: { schedule: 'cron(0 4 * * ? *)', nextRunAt: '2026-11-24T04:00:00.000Z' },
  };
}

describe('local state (local.json)', () => {
  it('round-trips, owner-readable only, and is absent before the first run', () => {
    // Arrange
    const dir = tempDir();

    // Act
    const before = readLocalState(dir);
    writeLocalState(dir, state(dir));

    // Assert
    expect(before).toBeUndefined();
    expect(readLocalState(dir)).toEqual(state(dir));
    expect(statSync(path.join(dir, 'local.json')).mode & 0o077).toBe(0);
    expect(readdirSync(dir)).toEqual(['local.json']);
  });

  it('names the file and the bad field when it is not a state file', () => {
    // Arrange
    const dir = tempDir();
    writeFileSync(path.join(dir, 'local.json'), JSON.stringify({ ...state(dir), apiUrl: 42 }));

    // Act / Assert
    expect(() => readLocalState(dir)).toThrow(
      `${path.join(dir, 'local.json')} is not a local mode state file: apiUrl:`,
    );
  });
});

describe('the data directory lock', () => {
  it('is exclusive, also within one process, and released for the next run', () => {
    // Arrange
    const dir = tempDir();
    const lock = acquireDataDirLock(dir);

    // Act / Assert
    expect(() => acquireDataDirLock(dir)).toThrow(DataDirBusyError);
    expect(lockHolder(dir)).toBe(process.pid);
    lock.release();
    expect(lockHolder(dir)).toBeUndefined();
    acquireDataDirLock(dir).release();
  });

  it('is taken over from a process that died', () => {
    // Arrange: the pid of a process that has exited.
    const dir = tempDir();
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
      encoding: 'utf8',
    });
    writeFileSync(path.join(dir, 'local.lock'), `${dead.stdout}\n`);

    // Act
    const lock = acquireDataDirLock(dir);

    // Assert
    expect(lockHolder(dir)).toBe(process.pid);
    lock.release();
  });
});

describe('wipeDataDir (--fresh)', () => {
  it('removes what local mode keeps and nothing else', () => {
    // Arrange
    const dir = tempDir();
    prepareDataDir(dir);
    for (const entry of ['rgw', 'clamd', 'jwt', 'status', 'logs', 'servers'])
      mkdirSync(path.join(dir, entry));
    writeLocalState(dir, state(dir));

    // Act
    wipeDataDir(dir);

    // Assert
    expect(readdirSync(dir).sort()).toEqual(['.stowage-local', 'servers']);
  });

  it('refuses a directory with content that local mode never marked', () => {
    // Arrange
    const dir = tempDir();
    mkdirSync(path.join(dir, 'rgw'));

    // Act / Assert
    expect(() => wipeDataDir(dir)).toThrow(
      `refusing to wipe ${dir}: it is not a Stowage local mode data directory`,
    );
    expect(existsSync(path.join(dir, 'rgw'))).toBe(true);
  });

  it('accepts a missing or empty directory', () => {
    // Act / Assert
    expect(() => wipeDataDir(path.join(tempDir(), 'missing'))).not.toThrow();
    expect(() => wipeDataDir(tempDir())).not.toThrow();
  });
});
