/**
 * `stowage doctor` against the test run's Ceph RGW (an S3-compatible endpoint) and its clamd: the bucket checks and
 * the write/read/delete pass, what RGW cannot answer is SKIP (never PASS), and real misconfigurations FAIL.
 */
import { PutBucketVersioningCommand } from '@aws-sdk/client-s3';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { runDoctorCommand, type DoctorReport } from '../../../../cli/commands/doctor';
import { loadConfig } from '../../../../lib/config';
import { BUCKET_PURPOSES } from '../../../../lib/config/naming';
import { getTestServers } from '../../../support/integration/servers';
import { allVersions, applyConfigLifecycle, useRgwEnvBuckets } from '../../shared/rgw-env-buckets';

const fixture = useRgwEnvBuckets('doctor');
const servers = getTestServers();
const dev = loadConfig('dev');
const WRITE_CHECK = 'backups: write, read and delete under test/';

beforeAll(async () => {
  for (const purpose of BUCKET_PURPOSES) {
    await applyConfigLifecycle(fixture.s3, fixture.buckets[purpose], dev, purpose);
  }
});

async function doctor(options: Parameters<typeof runDoctorCommand>[0], env = fixture.env) {
  const io = fixture.io({ env });
  const code = await runDoctorCommand({ json: true, ...options }, io);
  const report = JSON.parse(io.stdout.join('\n')) as DoctorReport;
  const status = (name: string) => report.checks.find((c) => c.name === name);
  return { code, report, status };
}

describe('stowage doctor against Ceph RGW', () => {
  it('passes the bucket, write/read/delete and clamd checks, and skips what RGW cannot answer', async () => {
    // Act
    const { code, report, status } = await doctor({
      kmsKeyId: servers.s3.kmsKeyId,
      clamd: `${servers.clamd.host}:${servers.clamd.port}`,
    });
    // Assert
    expect(report.checks.filter((c) => c.status === 'FAIL')).toEqual([]);
    expect(code).toBe(0);
    for (const purpose of BUCKET_PURPOSES) {
      expect(status(`${purpose}: bucket found`)?.status).toBe('PASS');
      expect(status(`${purpose}: reachable`)?.status).toBe('PASS');
      expect(status(`${purpose}: versioning`)?.status).toBe('PASS');
      expect(status(`${purpose}: lifecycle`)?.status).toBe('PASS');
      expect(status(`${purpose}: encryption`)?.status).toBe('SKIP');
      expect(status(`${purpose}: public access block`)?.status).toBe('SKIP');
    }
    expect(status(WRITE_CHECK)).toMatchObject({
      status: 'PASS',
      detail: expect.stringContaining(servers.s3.kmsKeyId),
    });
    expect(status('caller identity')?.status).toBe('SKIP');
    expect(status('intake queues')?.status).toBe('SKIP');
    expect(status('clamd')).toMatchObject({ status: 'PASS', detail: expect.stringMatching(/answered PONG/) });
    // The write check leaves nothing behind: the version it wrote is deleted, not hidden.
    expect(await allVersions(fixture.s3, fixture.buckets.backups, 'test/doctor/')).toEqual([]);
  });

  it('fails drifted versioning and lifecycle, a missing bucket and an unknown KMS key, each with its fix', async () => {
    // Arrange
    await fixture.s3.send(
      new PutBucketVersioningCommand({
        Bucket: fixture.buckets.quarantine,
        VersioningConfiguration: { Status: 'Suspended' },
      }),
    );
    await applyConfigLifecycle(fixture.s3, fixture.buckets.processed, loadConfig('prod'), 'backups');
    const env = { ...fixture.env, STOWAGE_UPLOADS_BUCKET: `${fixture.buckets.uploads}-missing` };
    try {
      // Act
      const { code, report, status } = await doctor({ kmsKeyId: 'no-such-key' }, env);
      // Assert
      expect(code).toBe(1);
      expect(status('uploads: reachable')).toMatchObject({
        status: 'FAIL',
        detail: `${fixture.buckets.uploads}-missing does not exist (NoSuchBucket)`,
      });
      expect(status('uploads: versioning')?.status).toBe('SKIP');
      expect(status('quarantine: versioning')).toMatchObject({
        status: 'FAIL',
        detail: expect.stringMatching(/Suspended/),
      });
      expect(status('processed: lifecycle')).toMatchObject({
        status: 'FAIL',
        detail: expect.stringMatching(/missing: .*GLACIER_IR after 90 days.*not in the config: .*'test\/'/),
      });
      expect(status(WRITE_CHECK)).toMatchObject({
        status: 'FAIL',
        hint: expect.stringMatching(/pass --kms-key-id with one of its key ids/),
      });
      expect(await allVersions(fixture.s3, fixture.buckets.backups, 'test/doctor/')).toEqual([]);
      expect(report.summary.FAIL).toBe(4);
    } finally {
      await fixture.s3.send(
        new PutBucketVersioningCommand({
          Bucket: fixture.buckets.quarantine,
          VersioningConfiguration: { Status: 'Enabled' },
        }),
      );
      await applyConfigLifecycle(fixture.s3, fixture.buckets.processed, dev, 'processed');
    }
  });

  it('runs as `stowage doctor` from the command line: lines with PASS/SKIP and exit 0', () => {
    const result = spawnSync(
      process.execPath,
      [path.join(__dirname, '../../../../bin/stowage.js'), 'doctor', '--kms-key-id', servers.s3.kmsKeyId],
      { env: { ...process.env, ...fixture.env }, encoding: 'utf8', timeout: 60_000 },
    );
    expect(result.stdout).toMatch(/^PASS {2}backups: write, read and delete under test\//m);
    expect(result.stdout).toMatch(/^SKIP {2}caller identity: S3-compatible endpoint/m);
    expect(result.stdout).toMatch(/^SKIP {2}clamd: no clamd configured/m);
    expect(result.stdout).toMatch(/ 0 failed, /);
    expect(result.status).toBe(0);
  });
});
