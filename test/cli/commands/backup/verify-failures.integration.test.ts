/**
 * `stowage backup verify` failing for each reason it exists, against backups `stowage backup push` stored on the
 * real RGW: a stale backup, bytes changed behind the CLI's back, a size collapse and a source with no backup.
 * Each case asserts the failed check and the reason it gives.
 */
import { randomBytes } from 'crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { gzipSync } from 'zlib';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { runBackupPushCommand, type BackupPushOptions } from '../../../../cli/commands/backup/push';
import { runBackupVerifyCommand } from '../../../../cli/commands/backup/verify';
import { EXIT } from '../../../../cli/shared/command-io';
import type { BackupSourceConfig } from '../../../../core/backup/backup-source';
import type { SourceReport, VerificationReport } from '../../../../core/backup/verify/verification-report';
import { getTestServers } from '../../../support/integration/servers';
import { useRgwBackupBucket } from './rgw-backup-fixture';

const HOUR_MS = 3_600_000;
const TAKEN_AT = new Date('2026-11-27T03:00:00Z');

describe('stowage backup verify failures (real RGW)', () => {
  const rgw = useRgwBackupBucket('it-verify-fail');
  const { kmsKeyId } = getTestServers().s3;
  const dir = mkdtempSync(join(tmpdir(), 'stowage-verify-fail-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** Pushes `bytes` as a backup of `source` taken at `at`, as the CLI does; returns the key. */
  async function push(
    source: string,
    bytes: Buffer,
    at: Date,
    options: Partial<BackupPushOptions> = {},
  ): Promise<string> {
    const file = join(dir, `${source}-${at.getTime()}.sql.gz`);
    writeFileSync(file, bytes);
    const io = rgw.io({ now: () => at, env: { ...rgw.env, PASS: 'verify passphrase' } });
    const code = await runBackupPushCommand(file, { source, kmsKeyId, quiet: true, ...options }, io);
    expect(io.stderr).toEqual([]);
    expect(code).toBe(0);
    return io.stdout[0]!;
  }

  async function verify(
    source: Partial<BackupSourceConfig> & Pick<BackupSourceConfig, 'name'>,
    at: Date,
  ): Promise<{ code: number; report: SourceReport }> {
    const lines: string[] = [];
    const code = await runBackupVerifyCommand(
      {
        bucket: rgw.bucket,
        kmsKeyArn: kmsKeyId,
        sources: [{ format: 'gzip', maxAgeHours: 26, minBytes: 1000, maxDropPercent: 50, ...source }],
        at: at.toISOString(),
        json: true,
      },
      (line) => lines.push(line),
      { s3: rgw.s3 },
    );
    const report = JSON.parse(lines.join('\n')) as VerificationReport;
    expect(report.sources).toHaveLength(1);
    return { code, report: report.sources[0]! };
  }

  const failedChecks = (report: SourceReport): [string, string][] =>
    report.checks.filter((check) => !check.ok).map((check) => [check.name, check.detail]);

  it('fails a backup that is 2 days old at --at as stale, and nothing else', async () => {
    // Arrange
    const key = await push('stale-db', gzipSync(randomBytes(64 * 1024)), TAKEN_AT);
    // Act
    const fresh = await verify({ name: 'stale-db' }, new Date(TAKEN_AT.getTime() + 2 * HOUR_MS));
    const stale = await verify({ name: 'stale-db' }, new Date(TAKEN_AT.getTime() + 48 * HOUR_MS));
    // Assert
    expect([fresh.code, fresh.report.status]).toEqual([EXIT.OK, 'ok']);
    expect(stale.code).toBe(EXIT.FAILED);
    expect(stale.report).toMatchObject({ status: 'failed', key, ageHours: 48 });
    expect(failedChecks(stale.report)).toEqual([
      ['freshness', 'stale: newest backup is 48 h old (max 26 h)'],
    ]);
  });

  it('fails a backup whose bytes were replaced behind the CLI, keeping its metadata, on its checksum', async () => {
    // Arrange: the gzip header's mtime bytes change, so the gzip stays valid and only the checksum can tell.
    const original = gzipSync(randomBytes(64 * 1024));
    const key = await push('tampered-db', original, TAKEN_AT);
    const head = await rgw.s3.send(new HeadObjectCommand({ Bucket: rgw.bucket, Key: key }));
    const tampered = Buffer.from(original);
    tampered.writeUInt32LE(0x5eed5eed, 4);
    await rgw.s3.send(
      new PutObjectCommand({
        Bucket: rgw.bucket,
        Key: key,
        Body: tampered,
        Metadata: head.Metadata,
        ServerSideEncryption: 'aws:kms',
        SSEKMSKeyId: kmsKeyId,
      }),
    );
    // Act
    const { code, report } = await verify({ name: 'tampered-db' }, new Date(TAKEN_AT.getTime() + HOUR_MS));
    // Assert
    expect(code).toBe(EXIT.FAILED);
    expect(report).toMatchObject({ status: 'failed', key, sizeBytes: original.length });
    const stored = await rgw.s3.send(new GetObjectCommand({ Bucket: rgw.bucket, Key: key }));
    expect(Buffer.from(await stored.Body!.transformToByteArray()).equals(tampered)).toBe(true);
    expect(failedChecks(report)).toEqual([
      [
        'checksum',
        expect.stringMatching(
          new RegExp(
            `^sha256 mismatch: stored bytes hash to [0-9a-f]{64}, stored-sha256 says ${head.Metadata?.sha256}$`,
          ),
        ),
      ],
    ]);
    expect(report.checks.find((check) => check.name === 'format')).toMatchObject({ ok: true });
  });

  it('fails a newer backup far below the median of the earlier ones on its size', async () => {
    // Arrange: three normal backups an hour apart (distinct keys), then a tiny one.
    const normal = (seed: number): Buffer => gzipSync(randomBytes(96 * 1024 + seed));
    const sizes: number[] = [];
    for (let hour = 0; hour < 3; hour++) {
      const bytes = normal(hour);
      sizes.push(bytes.length);
      await push('shrinking-db', bytes, new Date(TAKEN_AT.getTime() + hour * HOUR_MS));
    }
    const tiny = gzipSync(randomBytes(4 * 1024));
    const key = await push('shrinking-db', tiny, new Date(TAKEN_AT.getTime() + 3 * HOUR_MS));
    // Act
    const { code, report } = await verify(
      { name: 'shrinking-db' },
      new Date(TAKEN_AT.getTime() + 4 * HOUR_MS),
    );
    // Assert
    const median = [...sizes].sort((a, b) => a - b)[1]!;
    const drop = Math.round(((median - tiny.length) / median) * 1000) / 10;
    expect(code).toBe(EXIT.FAILED);
    expect(report).toMatchObject({ status: 'failed', key, sizeBytes: tiny.length });
    expect(failedChecks(report)).toEqual([
      [
        'size',
        `${tiny.length} bytes is ${drop}% below the median of the previous 3: ${median} bytes (max drop 50%)`,
      ],
    ]);
  });

  it('reports a source with no backup at all as missing', async () => {
    // Act
    const { code, report } = await verify({ name: 'never-backed-up' }, TAKEN_AT);
    // Assert
    expect(code).toBe(EXIT.FAILED);
    expect(report).toEqual({
      source: 'never-backed-up',
      format: 'gzip',
      status: 'missing',
      checks: [
        {
          name: 'present',
          ok: false,
          detail: 'no backup under backups/never-backed-up/ taken at or before 2026-11-27T03:00:00.000Z',
        },
      ],
    });
  });

  it('checks the envelope of an encrypted multipart backup without its passphrase: unverified, a failure unless optional', async () => {
    // Arrange: above one 5 MiB part once encrypted.
    const key = await push('vault-db', gzipSync(randomBytes(6 * 1024 * 1024)), TAKEN_AT, {
      passphraseEnv: 'PASS',
      partSize: '5M',
    });
    const head = await rgw.s3.send(new HeadObjectCommand({ Bucket: rgw.bucket, Key: key }));
    const at = new Date(TAKEN_AT.getTime() + HOUR_MS);
    // Act
    const required = await verify({ name: 'vault-db' }, at);
    const optional = await verify({ name: 'vault-db', contentChecks: 'optional' }, at);
    // Assert
    expect(head.ETag).toMatch(/-2"$/);
    expect([required.code, required.report.status]).toEqual([EXIT.FAILED, 'unverified']);
    expect([optional.code, optional.report.status]).toEqual([EXIT.OK, 'unverified']);
    expect(required.report.checks.map((check) => [check.name, check.ok, check.skipped ?? false])).toEqual([
      ['present', true, false],
      ['freshness', true, false],
      ['size', true, false],
      ['encryption', true, false],
      ['checksum', true, false],
      ['container', true, false],
      ['decryption', false, false],
      ['format', true, true],
    ]);
    expect(required.report.checks.find((check) => check.name === 'decryption')).toMatchObject({
      unverified: true,
    });
  });
});
