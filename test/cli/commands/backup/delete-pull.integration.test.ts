/**
 * `stowage backup delete` and `pull`'s partial files against the real RGW: a dry run deletes nothing, --yes removes
 * every version and delete marker; on a bucket with Object Lock (governance default retention, which RGW enforces)
 * the retained version is explained and kept. A pull killed with SIGINT mid-download leaves no partial file, and
 * one killed with SIGKILL leaves one that the next pull removes.
 */
import { spawn, spawnSync } from 'child_process';
import { randomBytes } from 'crypto';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  ListObjectVersionsCommand,
  PutObjectCommand,
  PutObjectLockConfigurationCommand,
} from '@aws-sdk/client-s3';
import { runBackupDeleteCommand } from '../../../../cli/commands/backup/delete';
import { runBackupPushCommand } from '../../../../cli/commands/backup/push';
import { getTestServers, uniqueBucketName } from '../../../support/integration/servers';
import { useRgwBackupBucket } from './rgw-backup-fixture';
import { startTcpFaultProxy } from './tcp-fault-proxy';

const BIN = join(__dirname, '..', '..', '..', '..', 'bin', 'stowage.js');
const MiB = 1024 * 1024;

describe('stowage backup delete and pull leftovers (real RGW)', () => {
  const rgw = useRgwBackupBucket('it-delete');
  const dir = mkdtempSync(join(tmpdir(), 'stowage-delete-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const versionsOf = async (bucket: string, key: string) => {
    const listed = await rgw.s3.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: key }));
    return [...(listed.Versions ?? []), ...(listed.DeleteMarkers ?? [])].filter((v) => v.Key === key);
  };

  it('dry run deletes nothing; --yes removes every version and delete marker', async () => {
    // Arrange: a backup with a second version and a delete marker on top
    const path = join(dir, 'db.bin');
    writeFileSync(path, randomBytes(1000));
    const io = rgw.io({ now: () => new Date('2026-11-20T04:00:00Z') });
    expect(await runBackupPushCommand(path, { source: 'del' }, io)).toBe(0);
    const key = io.stdout[0]!;
    await rgw.s3.send(new PutObjectCommand({ Bucket: rgw.bucket, Key: key, Body: 'second' }));
    await rgw.s3.send(new DeleteObjectCommand({ Bucket: rgw.bucket, Key: key }));
    expect(await versionsOf(rgw.bucket, key)).toHaveLength(3);
    // Act: dry run
    const dry = rgw.io();
    expect(await runBackupDeleteCommand(key, {}, dry)).toBe(0);
    // Assert
    expect(dry.stdout).toEqual([`would delete ${key}: 2 version(s), 1006 B, 1 delete marker(s)`]);
    expect(await versionsOf(rgw.bucket, key)).toHaveLength(3);
    // Act: --yes
    const yes = rgw.io();
    expect(await runBackupDeleteCommand(key, { yes: true }, yes)).toBe(0);
    expect(await versionsOf(rgw.bucket, key)).toEqual([]);
  });

  it('explains Object Lock retention instead of failing obscurely, and keeps the version', async () => {
    // Arrange: a bucket with Object Lock and a 1-day governance default, as prod has (30 days)
    const bucket = uniqueBucketName('it-lock');
    await rgw.s3.send(new CreateBucketCommand({ Bucket: bucket, ObjectLockEnabledForBucket: true }));
    await rgw.s3.send(
      new PutObjectLockConfigurationCommand({
        Bucket: bucket,
        ObjectLockConfiguration: {
          ObjectLockEnabled: 'Enabled',
          Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: 1 } },
        },
      }),
    );
    const path = join(dir, 'locked.bin');
    writeFileSync(path, randomBytes(500));
    const env = { ...rgw.env, STOWAGE_BACKUPS_BUCKET: bucket };
    const push = rgw.io({ env });
    expect(await runBackupPushCommand(path, { source: 'locked' }, push)).toBe(0);
    const key = push.stdout[0]!;
    // Act
    const io = rgw.io({ env });
    const code = await runBackupDeleteCommand(key, { yes: true }, io);
    // Assert
    expect(code).toBe(1);
    expect(io.stdout.join('\n')).toMatch(
      /version \S+: retained until \d{4}-\d\d-\d\dT[\d:.]+Z \(governance mode\): it cannot be deleted before then/,
    );
    expect(io.stderr.at(-1)).toBe('deleted 0 version(s) and delete marker(s); 1 retained by Object Lock');
    expect(await versionsOf(bucket, key)).toHaveLength(1);
  });

  it('a pull interrupted by SIGINT leaves no partial file; a SIGKILLed one is cleaned up by the next pull', async () => {
    // Arrange: a backup, and a slow link so the pull is caught mid-download
    const path = join(dir, 'big.bin');
    writeFileSync(path, randomBytes(8 * MiB));
    const io = rgw.io();
    expect(await runBackupPushCommand(path, { source: 'pulled', quiet: true }, io)).toBe(0);
    const key = io.stdout[0]!;
    const proxy = await startTcpFaultProxy(getTestServers().s3.endpoint, {
      downstreamBytesPerSecond: 1 * MiB,
    });
    const out = mkdtempSync(join(tmpdir(), 'stowage-pull-out-'));
    const pull = (signal: NodeJS.Signals) =>
      new Promise<number | null>((resolve) => {
        const child = spawn(process.execPath, [BIN, 'backup', 'pull', key, '-o', out, '--quiet'], {
          env: { ...process.env, ...rgw.env, STOWAGE_S3_ENDPOINT: proxy.endpoint },
        });
        const poll = setInterval(() => {
          if (readdirSync(out).some((name) => name.endsWith('.part'))) {
            clearInterval(poll);
            setTimeout(() => child.kill(signal), 500);
          }
        }, 50);
        child.once('close', (code) => {
          clearInterval(poll);
          resolve(code);
        });
      });
    try {
      // Act + Assert: SIGINT
      expect(await pull('SIGINT')).toBe(130);
      expect(readdirSync(out)).toEqual([]);
      // SIGKILL cannot be caught: the partial file stays …
      await pull('SIGKILL');
      expect(readdirSync(out).filter((name) => name.endsWith('.part'))).toHaveLength(1);
    } finally {
      await proxy.close();
    }
    // … and the next pull (fast, straight to RGW) removes it.
    const next = spawnSync(process.execPath, [BIN, 'backup', 'pull', key, '-o', out, '--quiet'], {
      env: { ...process.env, ...rgw.env },
      encoding: 'utf8',
    });
    expect(next.status).toBe(0);
    expect(readdirSync(out)).toEqual([key.split('/').at(-1)]);
  });
});
