/**
 * `stowage report` against the test run's Ceph RGW: five fresh buckets holding a known set of objects, versions,
 * delete markers and tags; the report must count exactly what is there.
 */
import { CreateBucketCommand, DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { buildReport, runReportCommand, type StowageReport } from '../../../cli/commands/report';
import { discoverEnvBuckets } from '../../../cli/shared/env-buckets';
import { createS3Client } from '../../../core/aws/s3-client';
import type { EnvName } from '../../../lib/config';
import { startS3FaultProxy } from '../../support/integration/s3-fault-proxy';
import {
  deleteBucketWithContents,
  getTestServers,
  uniqueBucketName,
} from '../../support/integration/servers';
import { tagBucket, useRgwEnvBuckets } from '../shared/rgw-env-buckets';

// Tagged `prod`: no other test of this suite tags buckets for prod, so discovery by tags finds exactly these.
const fixture = useRgwEnvBuckets('report', { tagEnv: 'prod' });
const { kmsKeyId } = getTestServers().s3;

async function put(bucket: string, key: string, size: number, tagging?: string): Promise<void> {
  await fixture.s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: key,
      Body: Buffer.alloc(size, 'x'),
      ServerSideEncryption: 'aws:kms',
      SSEKMSKeyId: kmsKeyId,
      ...(tagging ? { Tagging: tagging } : {}),
    }),
  );
}

beforeAll(async () => {
  const { uploads, processed, quarantine, backups } = fixture.buckets;
  await put(uploads, 'uploads/alice/2026/11/20/aaaa.pdf', 50);
  await put(uploads, 'uploads/alice/2026/11/20/aaaa.pdf', 100); // the 50 bytes become a noncurrent version
  await put(uploads, 'uploads/bob/2026/11/20/bbbb.pdf', 200, 'scan-status=CLEAN&scan-engine=builtin');
  await put(uploads, 'uploads/bob/2026/11/21/cccc.png', 300, 'scan-status=ERROR');
  await put(processed, 'processed/alice/2026/11/19/dddd.pdf', 1000);
  await put(processed, 'processed/alice/2026/11/19/dddd.pdf.manifest.json', 20);
  await put(processed, 'processed/bob/2026/11/19/eeee.pdf', 10);
  await fixture.s3.send(
    new DeleteObjectCommand({ Bucket: processed, Key: 'processed/bob/2026/11/19/eeee.pdf' }),
  );
  await put(
    quarantine,
    'quarantine/ffff/evil.com',
    68,
    'scan-status=INFECTED&scan-engine=builtin&scan-signature=Eicar-Test-Signature',
  );
  await put(backups, 'backups/main-db/20261122/main-db_20261122_040000.dump', 5000);
  await put(backups, 'test/t.txt', 1);
  await put(backups, 'reports/20261122.json', 2);
  await fixture.s3.send(
    new PutObjectCommand({
      Bucket: fixture.buckets['access-logs'],
      Key: 'Uploads/2026-11-22-00-00-00-LOG',
      Body: 'logline',
    }),
  );
});

function expectTheFixture(report: StowageReport): void {
  const usage = Object.fromEntries(report.buckets.map((b) => [b.purpose, b]));
  expect(usage.uploads).toMatchObject({
    bucket: fixture.buckets.uploads,
    current: { objects: 3, bytes: 600 },
    noncurrent: { objects: 1, bytes: 50 },
    deleteMarkers: 0,
    byStorageClass: { STANDARD: { objects: 3, bytes: 600 } },
    byPrefix: { 'uploads/': { objects: 3, bytes: 600 } },
    byOwner: { alice: { objects: 1, bytes: 100 }, bob: { objects: 2, bytes: 500 } },
  });
  expect(usage.processed).toMatchObject({
    current: { objects: 2, bytes: 1020 },
    noncurrent: { objects: 1, bytes: 10 },
    deleteMarkers: 1,
    byOwner: { alice: { objects: 2, bytes: 1020 } },
  });
  expect(usage.quarantine).toMatchObject({ current: { objects: 1, bytes: 68 } });
  expect(usage.quarantine!.byOwner).toBeUndefined();
  expect(usage.backups).toMatchObject({
    current: { objects: 3, bytes: 5003 },
    byPrefix: {
      'backups/': { objects: 1, bytes: 5000 },
      'reports/': { objects: 1, bytes: 2 },
      'test/': { objects: 1, bytes: 1 },
    },
  });
  expect(usage['access-logs']).toMatchObject({
    current: { objects: 1, bytes: 7 },
    byPrefix: { 'Uploads/': { objects: 1, bytes: 7 } },
  });
  expect(report.pipeline).toEqual({
    uploadsByStatus: { PENDING: 1, CLEAN: 1, INFECTED: 0, SUSPICIOUS: 0, ERROR: 1 },
    processed: 1,
    quarantined: 1,
  });
  expect(report.awaitingReview).toEqual([
    expect.objectContaining({
      key: 'quarantine/ffff/evil.com',
      uploadId: 'ffff',
      size: 68,
      status: 'INFECTED',
      signature: 'Eicar-Test-Signature',
      engine: 'builtin',
    }),
  ]);
  expect(report.awaitingReview[0]!.ageSeconds).toBeLessThan(600);
}

describe('stowage report against Ceph RGW', () => {
  it('counts what is there, by bucket, storage class, prefix, owner and pipeline status (--json)', async () => {
    const io = fixture.io();
    const code = await runReportCommand({ json: true }, io);
    expect(io.stderr).toEqual([]);
    expect(code).toBe(0);
    expectTheFixture(JSON.parse(io.stdout.join('\n')) as StowageReport);
  });

  it('pages through versions two at a time and gets the same numbers', async () => {
    // Through a pass-through proxy that records requests, to see the pages really happen.
    const servers = getTestServers();
    const proxy = await startS3FaultProxy(servers.s3.endpoint, []);
    const s3 = createS3Client({
      endpoint: proxy.endpoint,
      region: servers.s3.region,
      credentials: { accessKeyId: servers.s3.accessKey, secretAccessKey: servers.s3.secretKey },
    });
    try {
      const report = await buildReport(s3, fixture.buckets, {
        envName: 'prod',
        now: new Date(),
        concurrency: 2,
        pageSize: 2,
      });
      expectTheFixture(report);
      // uploads holds 4 versions: 2 pages of 2 at least.
      expect(proxy.requestsOf(`GET /${fixture.buckets.uploads}/`).length).toBeGreaterThanOrEqual(2);
    } finally {
      s3.destroy();
      await proxy.close();
    }
  });

  it("finds the env's buckets by their tags when none is named", async () => {
    const io = fixture.io({ env: fixture.connectionEnv });
    const code = await runReportCommand({ env: 'prod', json: true }, io);
    expect(io.stderr).toEqual([]);
    expect(code).toBe(0);
    expectTheFixture(JSON.parse(io.stdout.join('\n')) as StowageReport);
  });

  it('refuses to guess when two buckets claim the same env and purpose, naming both', async () => {
    // An env name no other test uses (the tag value is just a string to S3).
    const envName = `it-${Date.now().toString(36)}` as EnvName;
    const [first, second] = [uniqueBucketName('claim-a'), uniqueBucketName('claim-b')];
    try {
      for (const bucket of [first, second]) {
        await fixture.s3.send(new CreateBucketCommand({ Bucket: bucket }));
        await tagBucket(fixture.s3, bucket, envName, 'uploads');
      }
      const found = await discoverEnvBuckets(fixture.s3, { envName, purposes: ['uploads'] });
      expect(found.buckets.uploads).toBeUndefined();
      expect(found.problems.uploads).toContain(
        `buckets ${first} and ${second} are both tagged stowage:env=${envName}`,
      );
    } finally {
      for (const bucket of [first, second]) await deleteBucketWithContents(fixture.s3, bucket);
    }
  });

  it('runs as `stowage report` from the command line, printing tables', () => {
    const result = spawnSync(process.execPath, [path.join(__dirname, '../../../bin/stowage.js'), 'report'], {
      env: { ...process.env, ...fixture.env },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(result.status).toBe(0);
    const flat = result.stdout.split('\n').map((l) => l.replace(/\s+/g, ' ').trim());
    expect(flat).toContain(`uploads ${fixture.buckets.uploads} 3 600 B 1 50 B 0`);
    expect(flat).toContain('uploads PENDING 1');
    expect(
      flat.some(
        (l) => l.startsWith('quarantine/ffff/evil.com 68 B') && l.endsWith('INFECTED Eicar-Test-Signature'),
      ),
    ).toBe(true);
  });
});
