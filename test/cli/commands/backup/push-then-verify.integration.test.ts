/**
 * The backup round trip as an operator runs it: `stowage backup push` writes a backup, `stowage backup verify`
 * passes it; a newer, truncated backup makes verify fail with exit 1, naming the broken check.
 */
import { spawnSync } from 'child_process';
import { randomBytes } from 'crypto';
import { mkdtempSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { gzipSync } from 'zlib';
import { getTestServers } from '../../../support/integration/servers';
import { useRgwBackupBucket } from './rgw-backup-fixture';

const BIN = join(__dirname, '..', '..', '..', '..', 'bin', 'stowage.js');

describe('stowage backup push, then verify (real RGW, as processes)', () => {
  const fixture = useRgwBackupBucket('push-verify');
  const dir = mkdtempSync(join(tmpdir(), 'stowage-push-verify-'));
  // Backups are SSE-KMS encrypted at rest (the verifier fails anything else): RGW's testing KMS key.
  const env = { ...process.env, ...fixture.env, STOWAGE_BACKUPS_KMS_KEY_ID: getTestServers().s3.kmsKeyId };
  const cli = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env });
  const verifyArgs = [
    'backup',
    'verify',
    '--source',
    'nightly-db',
    '--format',
    'gzip',
    '--min-bytes',
    '1000',
  ];

  it('passes a healthy backup, then fails once a truncated backup is the newest', async () => {
    // Arrange: a healthy gzip backup.
    const healthy = join(dir, 'db.sql.gz');
    writeFileSync(healthy, gzipSync(randomBytes(256 * 1024)));
    const pushed = cli('backup', 'push', healthy, '--source', 'nightly-db', '--quiet');
    expect(pushed.status).toBe(0);

    // Act
    const first = cli(...verifyArgs, '--json');

    // Assert
    expect(first.status).toBe(0);
    const report = JSON.parse(first.stdout) as {
      ok: boolean;
      sources: Array<{ status: string; key: string }>;
    };
    expect(report.ok).toBe(true);
    expect(report.sources).toEqual([expect.objectContaining({ status: 'ok', key: pushed.stdout.trim() })]);

    // Arrange: one second later (keys are stamped to the second), a backup cut short.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const whole = gzipSync(randomBytes(256 * 1024));
    const truncated = join(dir, 'db-cut.sql.gz');
    writeFileSync(truncated, whole.subarray(0, whole.length - 4096));
    // push itself refuses a truncated gzip; --no-check gets it into the bucket for the verifier to catch.
    expect(cli('backup', 'push', truncated, '--source', 'nightly-db', '--quiet').status).toBe(1);
    expect(cli('backup', 'push', truncated, '--source', 'nightly-db', '--quiet', '--no-check').status).toBe(
      0,
    );

    // Act
    const second = cli(...verifyArgs);

    // Assert
    expect(second.status).toBe(1);
    expect(second.stdout).toMatch(/nightly-db/);
    expect(second.stdout).toMatch(/gzip/i);
  });
});
