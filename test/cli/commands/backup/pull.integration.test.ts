/**
 * `stowage backup pull` against the real Ceph RGW of the test run: byte-exact round trips (plain, multipart,
 * passphrase-encrypted), refusal to overwrite, --latest, and the whole CLI as a process.
 */
import { spawnSync } from 'child_process';
import { randomBytes } from 'crypto';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { runBackupPullCommand } from '../../../../cli/commands/backup/pull';
import { runBackupPushCommand } from '../../../../cli/commands/backup/push';
import { useRgwBackupBucket } from './rgw-backup-fixture';

const MiB = 1024 * 1024;
const BIN = join(__dirname, '..', '..', '..', '..', 'bin', 'stowage.js');

describe('stowage backup pull (real RGW)', () => {
  const rgw = useRgwBackupBucket('it-backup-pull');
  const dir = mkdtempSync(join(tmpdir(), 'stowage-pull-it-'));
  const file = (name: string, bytes: Buffer): string => {
    const path = join(dir, name);
    writeFileSync(path, bytes);
    return path;
  };
  const outDir = (): string => mkdtempSync(join(tmpdir(), 'stowage-pull-out-'));

  async function push(path: string, source: string, at: string, extra = {}, env = rgw.env): Promise<string> {
    const io = rgw.io({ now: () => new Date(at), env });
    const code = await runBackupPushCommand(path, { source, partSize: '5M', ...extra }, io);
    expect(io.stderr.filter((l) => l.includes('failed'))).toEqual([]);
    expect(code).toBe(0);
    return io.stdout[0]!;
  }

  it('round-trips a multipart backup byte for byte', async () => {
    // Arrange
    const bytes = randomBytes(11 * MiB + 7);
    const key = await push(file('big.bin', bytes), 'big', '2026-11-20T01:00:00Z');
    const target = join(outDir(), 'restored.bin');
    const io = rgw.io();
    // Act
    const code = await runBackupPullCommand(key, { output: target }, io);
    // Assert
    expect(code).toBe(0);
    expect(io.stdout).toEqual([target]);
    expect(readFileSync(target).equals(bytes)).toBe(true);
  });

  it('round-trips a passphrase-encrypted backup and refuses the wrong passphrase, writing nothing', async () => {
    // Arrange
    const bytes = randomBytes(6 * MiB + 99);
    const env = { ...rgw.env, PASS: 'right passphrase', WRONG: 'wrong passphrase' };
    const key = await push(
      file('vault.json', bytes),
      'vault',
      '2026-11-20T02:00:00Z',
      { passphraseEnv: 'PASS' },
      env,
    );
    const out = outDir();
    // Act
    const wrongIo = rgw.io({ env });
    const wrong = await runBackupPullCommand(key, { output: out, passphraseEnv: 'WRONG' }, wrongIo);
    const rightIo = rgw.io({ env });
    const right = await runBackupPullCommand(key, { output: out, passphraseEnv: 'PASS' }, rightIo);
    // Assert
    expect(wrong).toBe(1);
    expect(wrongIo.stderr.at(-1)).toBe(
      'stowage backup pull: decryption failed: wrong passphrase: it does not open this object',
    );
    expect(right).toBe(0);
    expect(readdirSync(out)).toEqual(['vault_20261120_020000.json']);
    expect(readFileSync(join(out, 'vault_20261120_020000.json')).equals(bytes)).toBe(true);
  });

  it('refuses to overwrite an existing file without --force', async () => {
    const key = await push(file('small.txt', Buffer.from('new contents')), 'small', '2026-11-20T03:00:00Z');
    const target = join(outDir(), 'small.txt');
    writeFileSync(target, 'precious');
    const io = rgw.io();
    expect(await runBackupPullCommand(key, { output: target }, io)).toBe(1);
    expect(io.stderr.at(-1)).toContain(`refusing to overwrite ${target}: pass --force`);
    expect(readFileSync(target, 'utf8')).toBe('precious');
    expect(await runBackupPullCommand(key, { output: target, force: true }, rgw.io())).toBe(0);
    expect(readFileSync(target, 'utf8')).toBe('new contents');
  });

  it('pulls the newest backup of a source with --latest', async () => {
    // Arrange
    await push(file('a.sql', Buffer.from('monday')), 'nightly', '2026-11-16T04:00:00Z');
    await push(file('b.sql', Buffer.from('wednesday')), 'nightly', '2026-11-18T04:00:00Z');
    await push(file('c.sql', Buffer.from('tuesday')), 'nightly', '2026-11-17T04:00:00Z');
    const out = outDir();
    const io = rgw.io();
    // Act
    const code = await runBackupPullCommand(undefined, { latest: true, source: 'nightly', output: out }, io);
    // Assert
    expect(code).toBe(0);
    expect(io.stdout).toEqual([join(out, 'nightly_20261118_040000.sql')]);
    expect(readFileSync(io.stdout[0]!, 'utf8')).toBe('wednesday');
  });

  it('works end to end as a process, configured only through the environment', () => {
    // Arrange
    const bytes = randomBytes(300_000);
    const path = file('site.tar.gz', bytes);
    const env = { ...process.env, ...rgw.env };
    // Act
    const pushed = spawnSync(
      process.execPath,
      [BIN, 'backup', 'push', path, '--source', 'site', '--no-check'],
      {
        encoding: 'utf8',
        env,
      },
    );
    const key = pushed.stdout.trim();
    const out = outDir();
    const pulled = spawnSync(process.execPath, [BIN, 'backup', 'pull', key, '-o', out, '--quiet'], {
      encoding: 'utf8',
      env,
    });
    const listed = spawnSync(process.execPath, [BIN, 'backup', 'list', '--source', 'site'], {
      encoding: 'utf8',
      env,
    });
    // Assert
    expect(pushed.status).toBe(0);
    expect(key).toMatch(/^backups\/site\/\d{8}\/site_\d{8}_\d{6}\.tar\.gz$/);
    expect(pushed.stderr).toContain('push site.tar.gz: 100.0%');
    expect(pulled.status).toBe(0);
    expect(readFileSync(pulled.stdout.trim()).equals(bytes)).toBe(true);
    expect(listed.status).toBe(0);
    expect(listed.stdout).toContain(key);
    expect(listed.stdout).toContain('293 KiB');
  });
});
