/**
 * `stowage backup archive` and `restore` against the real Ceph RGW of the test run, whose global setup defines the
 * GLACIER, DEEP_ARCHIVE and STANDARD_IA storage classes (startRgw's `storageClasses`). On RGW Pacific those
 * classes are labels: GetObject still serves the bytes, HeadObject sends no `x-amz-restore`, RestoreObject answers
 * 501 NotImplemented, and CopyObject of an SSE-KMS object answers 501. The CLI must judge from the storage class
 * and restore status, not from the server refusing a read.
 */
import { spawnSync } from 'child_process';
import { randomBytes } from 'crypto';
import { mkdtempSync, readdirSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import {
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectVersionsCommand,
  type HeadObjectCommandOutput,
} from '@aws-sdk/client-s3';
import { gzipSync } from 'zlib';
import { runBackupArchiveCommand } from '../../../../cli/commands/backup/archive';
import type { BackupClients } from '../../../../cli/commands/backup/backup-client';
import type { BackupConfig } from '../../../../cli/commands/backup/backup-config';
import { runBackupListCommand, type BackupListEntry } from '../../../../cli/commands/backup/list';
import { runBackupPullCommand } from '../../../../cli/commands/backup/pull';
import { runBackupPushCommand } from '../../../../cli/commands/backup/push';
import { runBackupRestoreCommand } from '../../../../cli/commands/backup/restore';
import { runBackupVerifyCommand } from '../../../../cli/commands/backup/verify';
import type { VerificationReport } from '../../../../core/backup/verify/verification-report';
import { getTestServers } from '../../../support/integration/servers';
import { useRgwBackupBucket } from './rgw-backup-fixture';

const BIN = join(__dirname, '..', '..', '..', '..', 'bin', 'stowage.js');
const PUSHED_AT = '2026-11-20T01:00:00Z';

describe('stowage backup archive / restore (real RGW with archive storage classes)', () => {
  const rgw = useRgwBackupBucket('it-backup-archive');
  const dir = mkdtempSync(join(tmpdir(), 'stowage-archive-it-'));
  // Client-side (passphrase) encryption: the `encryption` and `key-source` metadata must survive the copy too.
  const env = { ...rgw.env, PASS: 'archive test passphrase' };
  const kmsEnv = { ...env, STOWAGE_BACKUPS_KMS_KEY_ID: getTestServers().s3.kmsKeyId };

  /** Original size of each pushed backup, by key. */
  const sizes = new Map<string, number>();
  async function push(source: string, at: string, extra = {}, pushEnv = env): Promise<string> {
    const path = join(dir, `${source}.sql.gz`);
    const bytes = gzipSync(randomBytes(64 * 1024));
    writeFileSync(path, bytes);
    const io = rgw.io({ now: () => new Date(at), env: pushEnv });
    expect(await runBackupPushCommand(path, { source, quiet: true, ...extra }, io)).toBe(0);
    sizes.set(io.stdout[0]!, bytes.length);
    return io.stdout[0]!;
  }
  const head = (key: string, VersionId?: string): Promise<HeadObjectCommandOutput> =>
    rgw.s3.send(new HeadObjectCommand({ Bucket: rgw.bucket, Key: key, VersionId }));
  async function versions(key: string) {
    const listed = await rgw.s3.send(new ListObjectVersionsCommand({ Bucket: rgw.bucket, Prefix: key }));
    return (listed.Versions ?? []).map((v) => ({
      versionId: v.VersionId,
      isLatest: v.IsLatest,
      storageClass: v.StorageClass,
      size: v.Size,
    }));
  }
  async function bytesOf(key: string, VersionId?: string): Promise<Buffer> {
    const got = await rgw.s3.send(new GetObjectCommand({ Bucket: rgw.bucket, Key: key, VersionId }));
    return Buffer.from(await got.Body!.transformToByteArray());
  }
  /** An io whose S3 client records the name of every command it sends. */
  function recordingCommands(): { io: ReturnType<typeof rgw.io>; sent: string[] } {
    const sent: string[] = [];
    const base = rgw.io({ env });
    const io = rgw.io({
      env,
      createClients: (config: BackupConfig): BackupClients => {
        const clients = base.createClients!(config);
        clients.s3.middlewareStack.add(
          (next, context) => (args) => {
            sent.push(context.commandName ?? '?');
            return next(args);
          },
          { step: 'initialize', name: 'recordCommands' },
        );
        return clients;
      },
    });
    return { io, sent };
  }

  // One backup pushed (STANDARD), then archived to GLACIER; the tests below look at it from every side.
  let key: string;
  let before: HeadObjectCommandOutput;
  let archiveIo: ReturnType<typeof rgw.io>;
  let archiveCode: number;
  beforeAll(async () => {
    key = await push('nightly', PUSHED_AT, { passphraseEnv: 'PASS' });
    before = await head(key);
    archiveIo = rgw.io({ env });
    archiveCode = await runBackupArchiveCommand(key, { class: 'glacier' }, archiveIo);
  });

  it('archives the backup in place: HeadObject and `backup list` report GLACIER, metadata and size kept', async () => {
    // Assert: the command's own report.
    expect(archiveCode).toBe(0);
    expect(archiveIo.stderr).toEqual([
      `${key}: STANDARD → GLACIER; previous version ${before.VersionId} kept (noncurrent, STANDARD) until ` +
        'noncurrent versions expire',
    ]);
    // Assert: what S3 says about the key now.
    const after = await head(key);
    expect(before.StorageClass).toBeUndefined();
    expect(after.StorageClass).toBe('GLACIER');
    expect(after.VersionId).not.toBe(before.VersionId);
    expect(after.ContentLength).toBe(before.ContentLength);
    expect(after.Metadata).toEqual(before.Metadata);
    expect(after.Metadata).toEqual(
      expect.objectContaining({
        sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
        'stored-sha256': expect.stringMatching(/^[0-9a-f]{64}$/),
        'original-size': String(sizes.get(key)),
        encryption: 'stowage-aes256gcm-v1',
        'key-source': 'passphrase',
      }),
    );
    expect(after.Restore).toBeUndefined();

    // Assert: what the user sees.
    const json = rgw.io({ env });
    expect(await runBackupListCommand({ source: 'nightly', json: true }, json)).toBe(0);
    const entries = JSON.parse(json.stdout.join('\n')) as BackupListEntry[];
    expect(entries).toEqual([
      expect.objectContaining({
        key,
        storageClass: 'GLACIER',
        restore: 'not-restored',
        sha256: before.Metadata!.sha256,
        originalSize: Number(before.Metadata!['original-size']),
        encryption: 'stowage-aes256gcm-v1',
        keySource: 'passphrase',
      }),
    ]);
    const table = rgw.io({ env, now: () => new Date('2026-11-21T01:00:00Z') });
    expect(await runBackupListCommand({ source: 'nightly' }, table)).toBe(0);
    expect(table.stdout[0]).toMatch(/^KEY\s+AGE\s+ORIGINAL\s+STORED\s+ENCRYPTED\s+CLASS$/);
    expect(table.stdout[1]).toMatch(
      new RegExp(`^${key}\\s+1d00h ago .* passphrase\\s+GLACIER \\(not restored\\)$`),
    );
  });

  it('keeps the previous version, STANDARD and readable, as archive.ts documents: nothing is lost', async () => {
    // Act
    const listed = await versions(key);
    // Assert
    expect(listed).toEqual([
      { versionId: expect.any(String), isLatest: true, storageClass: 'GLACIER', size: before.ContentLength },
      { versionId: before.VersionId, isLatest: false, storageClass: 'STANDARD', size: before.ContentLength },
    ]);
    expect((await bytesOf(key, before.VersionId)).equals(await bytesOf(key))).toBe(true);
  });

  it('refuses to pull the archived backup from its class and restore status, without a GET, pointing to restore', async () => {
    // Arrange
    const out = mkdtempSync(join(tmpdir(), 'stowage-archive-pull-'));
    const byKey = recordingCommands();
    const latest = recordingCommands();
    // Act
    const code = await runBackupPullCommand(key, { output: out, passphraseEnv: 'PASS' }, byKey.io);
    const latestCode = await runBackupPullCommand(
      undefined,
      { latest: true, source: 'nightly', output: out, passphraseEnv: 'PASS' },
      latest.io,
    );
    // Assert: RGW would have served the bytes; the CLI did not ask for them.
    const refusal =
      `stowage backup pull: ${key} is in GLACIER (not restored): run \`stowage backup restore ${key} --days 7\`, ` +
      'wait until it is done, then pull again';
    expect(code).toBe(1);
    expect(byKey.io.stderr).toEqual([refusal]);
    expect(byKey.sent).toEqual(['HeadObjectCommand']);
    expect(latestCode).toBe(1);
    expect(latest.io.stderr).toEqual([refusal]);
    expect(latest.sent).toEqual(['ListObjectsV2Command', 'HeadObjectCommand']);
    expect(readdirSync(out)).toEqual([]);
  });

  it('restore names what RGW answers (501 NotImplemented) and leaves the object as it was', async () => {
    // Arrange
    const current = await head(key);
    const io = rgw.io({ env });
    // Act
    const code = await runBackupRestoreCommand(key, { days: '7' }, io);
    // Assert
    expect(code).toBe(1);
    expect(io.stderr).toEqual([
      expect.stringMatching(
        /^stowage backup restore: the server does not implement RestoreObject \(501 NotImplemented\), so .+ cannot be restored there\. Ceph RGW/,
      ),
    ]);
    expect((await head(key)).VersionId).toBe(current.VersionId);
    expect((await head(key)).StorageClass).toBe('GLACIER');
  });

  it('restore of a backup that is not archived, or does not exist, says so instead of relaying 501', async () => {
    // Arrange
    const standard = await push('plain', PUSHED_AT);
    const missing = 'backups/plain/20261120/plain_20261120_050000.sql.gz';
    const standardIo = rgw.io({ env });
    const missingIo = rgw.io({ env });
    // Act
    const standardCode = await runBackupRestoreCommand(standard, { days: '1' }, standardIo);
    const missingCode = await runBackupRestoreCommand(missing, { days: '1' }, missingIo);
    // Assert
    expect(standardCode).toBe(1);
    expect(standardIo.stderr).toEqual([
      `stowage backup restore: ${standard} is in STANDARD, not an archive storage class (GLACIER, ` +
        'DEEP_ARCHIVE): nothing to restore, pull it directly',
    ]);
    expect(missingCode).toBe(1);
    expect(missingIo.stderr).toEqual([
      `stowage backup restore: no backup ${missing} in s3://${rgw.bucket}: see \`stowage backup list\``,
    ]);
  });

  it('archiving the archived backup again changes nothing; to another archive class is refused', async () => {
    // Arrange
    const versionsBefore = await versions(key);
    const againIo = rgw.io({ env });
    const deeperIo = rgw.io({ env });
    // Act
    const again = await runBackupArchiveCommand(key, { class: 'GLACIER' }, againIo);
    const deeper = await runBackupArchiveCommand(key, { class: 'DEEP_ARCHIVE' }, deeperIo);
    // Assert
    expect(again).toBe(0);
    expect(againIo.stderr).toEqual([`${key} is already in GLACIER: nothing to do`]);
    expect(deeper).toBe(1);
    expect(deeperIo.stderr).toEqual([
      `stowage backup archive: ${key} is in GLACIER (not restored): an archived object can only change class ` +
        `once restored (stowage backup restore ${key} --days N)`,
    ]);
    expect(await versions(key)).toEqual(versionsBefore);
  });

  it('archiving a missing key fails clearly and creates nothing', async () => {
    // Arrange
    const missing = 'backups/nightly/20261120/nightly_20261120_090000.sql.gz';
    const io = rgw.io({ env });
    // Act
    const code = await runBackupArchiveCommand(missing, { class: 'DEEP_ARCHIVE' }, io);
    // Assert
    expect(code).toBe(1);
    expect(io.stderr).toEqual([
      `stowage backup archive: no backup ${missing} in s3://${rgw.bucket}: see \`stowage backup list\``,
    ]);
    expect(await versions(missing)).toEqual([]);
  });

  it('an SSE-KMS backup cannot be archived on RGW (CopyObject answers 501): the failure says so, nothing changes', async () => {
    // Arrange
    const encrypted = await push('vault', PUSHED_AT, {}, kmsEnv);
    const versionsBefore = await versions(encrypted);
    const io = rgw.io({ env: kmsEnv });
    // Act
    const code = await runBackupArchiveCommand(encrypted, { class: 'GLACIER' }, io);
    // Assert
    expect(code).toBe(1);
    expect(io.stderr).toEqual([expect.stringContaining('do not copy SSE-KMS objects')]);
    expect(versionsBefore).toEqual([expect.objectContaining({ storageClass: 'STANDARD' })]);
    expect(await versions(encrypted)).toEqual(versionsBefore);
    expect((await head(encrypted)).ServerSideEncryption).toBe('aws:kms');
  });

  it('verification reports an archived backup as archived: content not read, every other check judged', async () => {
    // Arrange: SSE-KMS at rest, as the verifier requires; RGW cannot copy such an object into GLACIER, so it is
    // written there directly.
    const kmsKeyId = getTestServers().s3.kmsKeyId;
    const archived = await push('ledger', PUSHED_AT, { storageClass: 'GLACIER' }, kmsEnv);
    const lines: string[] = [];
    // Act
    const code = await runBackupVerifyCommand(
      {
        bucket: rgw.bucket,
        source: 'ledger',
        format: 'gzip',
        minBytes: '1000',
        kmsKeyArn: kmsKeyId,
        at: '2026-11-20T05:00:00Z',
        json: true,
      },
      (line) => lines.push(line),
      { s3: rgw.s3 },
    );
    // Assert
    const report = JSON.parse(lines.join('\n')) as VerificationReport;
    expect(code).toBe(0);
    expect(report.ok).toBe(true);
    expect(report.sources).toEqual([
      expect.objectContaining({
        source: 'ledger',
        status: 'archived',
        key: archived,
        checks: [
          { name: 'present', ok: true, detail: archived },
          expect.objectContaining({ name: 'freshness', ok: true }),
          expect.objectContaining({ name: 'size', ok: true }),
          { name: 'encryption', ok: true, detail: `aws:kms with ${kmsKeyId}` },
          { name: 'storage-class', ok: true, detail: 'GLACIER, not restored' },
          { name: 'checksum', ok: true, skipped: true, detail: 'skipped: archived in GLACIER' },
          { name: 'format', ok: true, skipped: true, detail: 'skipped: archived in GLACIER' },
        ],
      }),
    ]);
  });

  it('verification of the backup archived by `archive` skips its content too (its only failure: not SSE-KMS at rest)', async () => {
    // Act
    const lines: string[] = [];
    const code = await runBackupVerifyCommand(
      { bucket: rgw.bucket, source: 'nightly', format: 'gzip', at: '2026-11-20T05:00:00Z', json: true },
      (line) => lines.push(line),
      { s3: rgw.s3 },
    );
    // Assert
    const [source] = (JSON.parse(lines.join('\n')) as VerificationReport).sources;
    expect(code).toBe(1);
    expect(source!.checks.filter((check) => !check.ok)).toEqual([
      { name: 'encryption', ok: false, detail: 'not encrypted at rest' },
    ]);
    expect(source!.checks.slice(-3)).toEqual([
      { name: 'storage-class', ok: true, detail: 'GLACIER, not restored' },
      { name: 'checksum', ok: true, skipped: true, detail: 'skipped: archived in GLACIER' },
      { name: 'format', ok: true, skipped: true, detail: 'skipped: archived in GLACIER' },
    ]);
  });

  it('works as processes: archive, then list shows the class and restore status', () => {
    // Arrange
    const path = join(dir, 'site.tar.gz');
    writeFileSync(path, gzipSync(randomBytes(10_000)));
    const processEnv = { ...process.env, ...rgw.env };
    const cli = (...args: string[]) =>
      spawnSync(process.execPath, [BIN, 'backup', ...args], { encoding: 'utf8', env: processEnv });
    // gzip of random bytes, not a tar: --no-check, the archive commands are under test.
    const pushed = cli('push', path, '--source', 'site', '--quiet', '--no-check');
    const siteKey = pushed.stdout.trim();
    // Act
    const archivedRun = cli('archive', siteKey, '--class', 'DEEP_ARCHIVE');
    const listed = cli('list', '--source', 'site');
    // Assert
    expect(pushed.status).toBe(0);
    expect(archivedRun.status).toBe(0);
    expect(archivedRun.stderr).toContain(`${siteKey}: STANDARD → DEEP_ARCHIVE; previous version`);
    expect(listed.status).toBe(0);
    expect(listed.stdout).toMatch(new RegExp(`${siteKey}\\s.*DEEP_ARCHIVE \\(not restored\\)`));
  });
});
