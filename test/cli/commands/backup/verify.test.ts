import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';

import { formatReport, runBackupVerifyCommand } from '../../../../cli/commands/backup/verify';
import { EXIT } from '../../../../cli/shared/command-io';
import type { BackupVerifyCommandOptions } from '../../../../cli/commands/backup/verify';
import { UsageError } from '../../../../cli/commands/scan';
import type { VerificationReport } from '../../../../core/backup/verify/verification-report';
import {
  BUCKET,
  FakeBackupsBucket,
  gzipOf,
  hoursBefore,
  KEY_ARN,
} from '../../../core/backup/verify/fake-backups-bucket';

const s3Mock = mockClient(S3Client);
const AT = '2026-11-23T06:00:00Z';
const dir = mkdtempSync(join(tmpdir(), 'stowage-verify-cli-'));
let bucket: FakeBackupsBucket;

async function run(options: Partial<BackupVerifyCommandOptions>) {
  const lines: string[] = [];
  const code = await runBackupVerifyCommand(
    { bucket: BUCKET, at: AT, ...options },
    (line) => lines.push(line),
    {
      s3: new S3Client({ region: 'eu-west-1' }),
    },
  );
  return { code, lines };
}

beforeEach(() => {
  s3Mock.reset();
  bucket = new FakeBackupsBucket(s3Mock);
});

describe('stowage backup verify', () => {
  it('prints a readable report and exits 0 when every source passes (--source and flags)', async () => {
    // Arrange
    const key = bucket.putBackup('logs', hoursBefore(new Date(AT), 2), 'gz', gzipOf(3000));

    // Act
    const { code, lines } = await run({
      source: 'logs',
      format: 'gzip',
      maxAgeHours: '12',
      minBytes: '10',
      kmsKeyArn: KEY_ARN,
    });

    // Assert
    expect(code).toBe(EXIT.OK);
    expect(lines[0]).toBe(`Backups in s3://${BUCKET} at 2026-11-23T06:00:00.000Z`);
    expect(lines).toContain(
      `OK  logs (gzip)  ${key}, 2 h old, ${bucket.objects.get(key)!.body.length} bytes`,
    );
    expect(lines).toContain('  ok    freshness     2 h old (max 12 h)');
    expect(lines.at(-1)).toBe('1 of 1 sources verified');
  });

  it('exits 1 when a check fails, with --config FILE and --json', async () => {
    // Arrange
    bucket.putBackup('logs', hoursBefore(new Date(AT), 2), 'gz', gzipOf(3000));
    const config = join(dir, 'sources.json');
    writeFileSync(
      config,
      JSON.stringify([
        { name: 'logs', format: 'gzip' },
        { name: 'db', format: 'pg-dump', maxAgeHours: 24 },
      ]),
    );

    // Act
    const { code, lines } = await run({ config, json: true });

    // Assert
    expect(code).toBe(EXIT.FAILED);
    const report = JSON.parse(lines.join('\n')) as VerificationReport;
    expect(report.sources.map((s) => [s.source, s.status])).toEqual([
      ['logs', 'ok'],
      ['db', 'missing'],
    ]);
  });

  it("reads an environment's sources with --env", async () => {
    // Act
    const { code, lines } = await run({ env: 'dev', json: true });

    // Assert
    const report = JSON.parse(lines.join('\n')) as VerificationReport;
    expect(report.env).toBe('dev');
    expect(report.sources.length).toBeGreaterThan(0);
    expect(code).toBe(EXIT.FAILED); // nothing in the fake bucket
  });

  it('throws UsageError (exit 2) for missing or conflicting sources and bad values', async () => {
    // Act / Assert
    await expect(run({})).rejects.toThrow(UsageError);
    await expect(run({ source: 'logs', config: 'x.json' })).rejects.toThrow('name the sources with one of');
    await expect(run({ source: 'logs' })).rejects.toThrow('--source needs --format pg-dump|gzip|tar-gz|raw');
    await expect(run({ format: 'gzip', config: 'x.json' })).rejects.toThrow('go with --source NAME');
    await expect(run({ source: 'logs', format: 'zip' })).rejects.toThrow(/0\.format: Invalid option/);
    await expect(run({ source: 'logs', format: 'gzip', maxAgeHours: 'soon' })).rejects.toThrow(
      "--max-age-hours must be a number, got 'soon'",
    );
    await expect(run({ source: 'logs', format: 'gzip', at: 'yesterday' })).rejects.toThrow(
      '--at must be an ISO 8601 time',
    );
    await expect(run({ config: join(dir, 'missing.json') })).rejects.toThrow(
      /--config .*missing\.json: .*ENOENT/,
    );
    expect(EXIT.USAGE).toBe(2);
  });
});

describe('formatReport of unverified sources', () => {
  it('marks an unverified source and says when its content checks are optional', () => {
    // Arrange
    const source = {
      source: 'vault',
      format: 'pg-dump' as const,
      status: 'unverified' as const,
      checks: [
        { name: 'container' as const, ok: true, detail: 'passphrase envelope v1' },
        {
          name: 'decryption' as const,
          ok: false,
          unverified: true as const,
          detail: 'unverified: no passphrase',
        },
      ],
    };
    const report = (contentChecks?: 'optional') => ({
      env: 'cli',
      at: '2026-11-23T06:00:00.000Z',
      bucket: 'b',
      ok: contentChecks === 'optional',
      sources: [{ ...source, ...(contentChecks ? { contentChecks } : {}) }],
    });

    // Act
    const required = formatReport(report());
    const optional = formatReport(report('optional'));

    // Assert
    expect(required).toContain('UNVERIFIED  vault (pg-dump)');
    expect(required).toContain('  n/a   decryption    unverified: no passphrase');
    expect(required.at(-1)).toBe('0 of 1 sources verified: FAILED');
    expect(optional).toContain('UNVERIFIED  vault (pg-dump)  (content checks optional: not a failure)');
    expect(optional.at(-1)).toBe('1 of 1 sources verified');
  });
});
