/**
 * `stowage backup verify` on content it cannot open and on backups whose size or key lie, against the real RGW:
 * a passphrase-encrypted pg_dump checked without and with `--passphrase-env`, its envelope cut short, random bytes
 * pushed as a pg-dump source, a key dated in the future and metadata that misstates the size.
 */
import { randomBytes } from 'crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { runBackupPushCommand, type BackupPushOptions } from '../../../../cli/commands/backup/push';
import { runBackupVerifyCommand } from '../../../../cli/commands/backup/verify';
import { EXIT } from '../../../../cli/shared/command-io';
import type { BackupSourceConfig } from '../../../../core/backup/backup-source';
import type { SourceReport, VerificationReport } from '../../../../core/backup/verify/verification-report';
import { getTestServers } from '../../../support/integration/servers';
import { useRgwBackupBucket } from './rgw-backup-fixture';

const HOUR_MS = 3_600_000;
const DUMP = readFileSync(join(__dirname, '../../../fixtures/backups/shop.dump'));
const PASSPHRASE = 'verify content passphrase';

describe('stowage backup verify: unverifiable content, envelopes, sizes and future keys (real RGW)', () => {
  const rgw = useRgwBackupBucket('it-verify-content');
  const { kmsKeyId } = getTestServers().s3;
  const dir = mkdtempSync(join(tmpdir(), 'stowage-verify-content-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function push(
    source: string,
    bytes: Buffer,
    at: Date,
    options: Partial<BackupPushOptions> = {},
  ): Promise<string> {
    const file = join(dir, `${source}-${at.getTime()}.dump`);
    writeFileSync(file, bytes);
    const io = rgw.io({ now: () => at, env: { ...rgw.env, PASS: PASSPHRASE } });
    const code = await runBackupPushCommand(file, { source, kmsKeyId, quiet: true, ...options }, io);
    expect(io.stderr).toEqual([]);
    expect(code).toBe(0);
    return io.stdout[0]!;
  }

  async function verify(
    source: Partial<BackupSourceConfig> & Pick<BackupSourceConfig, 'name'>,
    at: Date,
    passphraseEnv?: string,
  ): Promise<{ code: number; report: SourceReport; text: string[] }> {
    const run = async (json: boolean) => {
      const lines: string[] = [];
      const code = await runBackupVerifyCommand(
        {
          bucket: rgw.bucket,
          kmsKeyArn: kmsKeyId,
          sources: [{ format: 'pg-dump', maxAgeHours: 26, minBytes: 1, maxDropPercent: 50, ...source }],
          at: at.toISOString(),
          json,
          ...(passphraseEnv ? { passphraseEnv } : {}),
        },
        (line) => lines.push(line),
        { s3: rgw.s3, env: { PASS: PASSPHRASE, EMPTY: '' } },
      );
      return { code, lines };
    };
    const json = await run(true);
    const text = await run(false);
    const report = JSON.parse(json.lines.join('\n')) as VerificationReport;
    return { code: json.code, report: report.sources[0]!, text: text.lines };
  }

  const check = (report: SourceReport, name: string) => report.checks.find((c) => c.name === name);

  it('opens a passphrase-encrypted pg_dump with --passphrase-env and checks it fully; without, it is unverified', async () => {
    // Arrange
    const takenAt = new Date(Date.now() - HOUR_MS);
    await push('vault-dump', DUMP, takenAt, { passphraseEnv: 'PASS' });
    const at = new Date();

    // Act
    const without = await verify({ name: 'vault-dump' }, at);
    const withPassphrase = await verify({ name: 'vault-dump' }, at, 'PASS');
    const unset = verify({ name: 'vault-dump' }, at, 'EMPTY');

    // Assert
    expect([without.code, without.report.status]).toEqual([EXIT.FAILED, 'unverified']);
    expect(check(without.report, 'container')).toMatchObject({ ok: true });
    expect(without.text.some((line) => line.startsWith('UNVERIFIED  vault-dump'))).toBe(true);
    expect([withPassphrase.code, withPassphrase.report.status]).toEqual([EXIT.OK, 'ok']);
    expect(check(withPassphrase.report, 'decryption')).toMatchObject({
      ok: true,
      detail: `stowage-aes256gcm-v1 (passphrase): ${DUMP.length} bytes, sha256 matches`,
    });
    expect(check(withPassphrase.report, 'format')?.detail).toContain('custom format');
    await expect(unset).rejects.toThrow('--passphrase-env EMPTY: the variable is not set or empty');
  });

  it('fails the container check of a passphrase envelope cut short, without the passphrase', async () => {
    // Arrange: the stored bytes lose their last 100 bytes; the metadata is kept (as a broken copy would).
    const takenAt = new Date(Date.now() - HOUR_MS);
    const key = await push('vault-cut', DUMP, takenAt, { passphraseEnv: 'PASS' });
    const head = await rgw.s3.send(new HeadObjectCommand({ Bucket: rgw.bucket, Key: key }));
    const stored = await rgw.s3.send(new GetObjectCommand({ Bucket: rgw.bucket, Key: key }));
    const bytes = Buffer.from(await stored.Body!.transformToByteArray());
    await rgw.s3.send(
      new PutObjectCommand({
        Bucket: rgw.bucket,
        Key: key,
        Body: bytes.subarray(0, bytes.length - 100),
        Metadata: head.Metadata,
        ServerSideEncryption: 'aws:kms',
        SSEKMSKeyId: kmsKeyId,
      }),
    );

    // Act
    const { code, report } = await verify({ name: 'vault-cut' }, new Date());

    // Assert
    expect([code, report.status]).toEqual([EXIT.FAILED, 'failed']);
    expect(check(report, 'container')).toMatchObject({
      ok: false,
      detail: expect.stringMatching(
        new RegExp(
          `^${bytes.length - 100} stored bytes, but .* make ${bytes.length}: the envelope was cut short`,
        ),
      ),
    });
  });

  it('reports random bytes pushed as a pg-dump source unverified, encrypted or not, never ok', async () => {
    // Arrange
    const noise = randomBytes(256 * 1024);
    const takenAt = new Date(Date.now() - HOUR_MS);
    // --no-check: push's own format check would refuse the noise before it reaches the bucket.
    await push('noise-plain', noise, takenAt, { check: false });
    await push('noise-vault', noise, takenAt, { passphraseEnv: 'PASS', check: false });

    // Act
    const plain = await verify({ name: 'noise-plain' }, new Date());
    const vault = await verify({ name: 'noise-vault' }, new Date(), 'PASS');

    // Assert
    for (const { code, report } of [plain, vault]) {
      expect([code, report.status]).toEqual([EXIT.FAILED, 'unverified']);
      expect(check(report, 'format')).toMatchObject({
        ok: false,
        unverified: true,
        detail: expect.stringContaining('not a pg_dump output this verifier reads'),
      });
    }
    expect(check(vault.report, 'decryption')?.ok).toBe(true);
  });

  it('reports a key dated in the future as such, not the source as missing', async () => {
    // Arrange: the pushing machine's clock is 3 days fast; the server stores the object now.
    await push('future-db', DUMP, new Date(Date.now() + 72 * HOUR_MS));

    // Act
    const { code, report } = await verify({ name: 'future-db' }, new Date());

    // Assert
    expect(code).toBe(EXIT.FAILED);
    expect(report.status).toBe('failed');
    expect(check(report, 'present')?.ok).toBe(true);
    expect(check(report, 'timestamp')).toMatchObject({
      ok: false,
      detail: expect.stringMatching(
        /^dated in the future: the key says .*, 7[12](\.\d+)? h after the server stored it/,
      ),
    });
  });

  it('checks the size the object has, naming both when the metadata says another', async () => {
    // Arrange: the metadata claims 1000 bytes more than the object has.
    const key = await push('sized-db', DUMP, new Date(Date.now() - HOUR_MS));
    const head = await rgw.s3.send(new HeadObjectCommand({ Bucket: rgw.bucket, Key: key }));
    // Rewritten with GET + PUT: RGW refuses CopyObject of an SSE-KMS source (501).
    await rgw.s3.send(
      new PutObjectCommand({
        Bucket: rgw.bucket,
        Key: key,
        Body: DUMP,
        Metadata: { ...head.Metadata, 'original-size': String(DUMP.length + 1000) },
        ServerSideEncryption: 'aws:kms',
        SSEKMSKeyId: kmsKeyId,
      }),
    );

    // Act
    const { report } = await verify({ name: 'sized-db' }, new Date());

    // Assert
    expect(report.sizeBytes).toBe(DUMP.length);
    expect(check(report, 'size')).toMatchObject({
      ok: false,
      detail: `the object is ${DUMP.length} bytes (Content-Length), its original-size metadata says ${DUMP.length + 1000}`,
    });
  });
});
