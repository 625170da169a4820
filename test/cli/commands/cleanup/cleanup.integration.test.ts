/**
 * `stowage cleanup` against the test run's Ceph RGW. Objects are minutes old, so the tests look from 40 days ahead
 * (the clock is injected) with --older-than 30; the command run as a process uses --older-than 0.
 */
import { ListObjectsV2Command, ListObjectVersionsCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { runCleanupCommand } from '../../../../cli/commands/cleanup';
import { createS3Client } from '../../../../core/aws/s3-client';
import { startS3FaultProxy } from '../../../support/integration/s3-fault-proxy';
import { getTestServers } from '../../../support/integration/servers';
import { allVersions, useRgwEnvBuckets } from '../../shared/rgw-env-buckets';

const fixture = useRgwEnvBuckets('cleanup');
const FUTURE = () => new Date(Date.now() + 40 * 86_400_000);

const STRANDED = ['uploads/alice/2026/10/01/pend.pdf', 'uploads/alice/2026/10/01/err.pdf'];
const INFECTED_UPLOAD = 'uploads/bob/2026/10/01/bad.pdf';
const PAIR = ['processed/alice/2026/10/01/ok.pdf', 'processed/alice/2026/10/01/ok.pdf.manifest.json'];
const NO_MANIFEST = 'processed/alice/2026/10/01/lonely.pdf';
const NO_OBJECT = 'processed/bob/2026/10/01/gone.png.manifest.json';
const QUARANTINED = 'quarantine/u9/evil.com';
const BACKUP = 'backups/main-db/20261001/main-db_20261001_040000.dump';
const TEST_OBJECT = 'test/doctor/old.txt';

async function put(bucket: string, key: string, tagging?: string): Promise<void> {
  await fixture.s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: key,
      Body: `body of ${key}`,
      ...(tagging ? { Tagging: tagging } : {}),
    }),
  );
}

async function currentKeys(bucket: string): Promise<string[]> {
  const out = await fixture.s3.send(new ListObjectsV2Command({ Bucket: bucket }));
  return (out.Contents ?? []).map((o) => o.Key!).sort();
}

async function snapshot(): Promise<Record<string, string[]>> {
  const entries = await Promise.all(
    Object.entries(fixture.buckets).map(async ([purpose, bucket]) => [
      purpose,
      await allVersions(fixture.s3, bucket),
    ]),
  );
  return Object.fromEntries(entries) as Record<string, string[]>;
}

beforeEach(async () => {
  const { uploads, processed, quarantine, backups } = fixture.buckets;
  await put(uploads, STRANDED[0]!);
  await put(uploads, STRANDED[1]!, 'scan-status=ERROR');
  await put(uploads, INFECTED_UPLOAD, 'scan-status=INFECTED');
  for (const key of [...PAIR, NO_MANIFEST, NO_OBJECT]) await put(processed, key);
  await put(quarantine, QUARANTINED, 'scan-status=INFECTED');
  await put(backups, BACKUP);
  await put(backups, TEST_OBJECT);
});

describe('stowage cleanup against Ceph RGW', () => {
  it('dry run (the default) prints the selection and deletes nothing', async () => {
    // Arrange
    const before = await snapshot();
    const io = fixture.io({ now: FUTURE });
    // Act
    const code = await runCleanupCommand({ olderThan: '30' }, io);
    // Assert
    expect(code).toBe(0);
    expect(await snapshot()).toEqual(before);
    const out = io.stdout.join('\n');
    for (const key of [...STRANDED, NO_MANIFEST, NO_OBJECT]) expect(out).toContain(key);
    expect(out).toMatch(new RegExp(`kept  s3://${fixture.buckets.uploads}/${INFECTED_UPLOAD}  INFECTED`));
    expect(out).toMatch(/Total: 4 objects, .* would be deleted \(uploads 2, processed 2\)/);
    expect(out).not.toContain(QUARANTINED);
    expect(out).not.toContain(TEST_OBJECT);
  });

  it('--yes deletes exactly the listed keys and never touches quarantine or backups', async () => {
    // Arrange
    const before = await snapshot();
    const currentBefore = [
      ...(await currentKeys(fixture.buckets.uploads)).map((k) => `s3://${fixture.buckets.uploads}/${k}`),
      ...(await currentKeys(fixture.buckets.processed)).map((k) => `s3://${fixture.buckets.processed}/${k}`),
    ];
    const io = fixture.io({ now: FUTURE });
    // Act
    const code = await runCleanupCommand({ olderThan: '30', yes: true }, io);
    // Assert
    expect(io.stderr).toEqual([]);
    expect(code).toBe(0);
    expect(await currentKeys(fixture.buckets.uploads)).toEqual([INFECTED_UPLOAD]);
    expect(await currentKeys(fixture.buckets.processed)).toEqual([...PAIR].sort());
    // What disappeared is exactly what was listed.
    const listed = io.stdout.filter((l) => l.startsWith('delete  ')).map((l) => l.split('  ')[1]!);
    const currentAfter = [
      ...(await currentKeys(fixture.buckets.uploads)).map((k) => `s3://${fixture.buckets.uploads}/${k}`),
      ...(await currentKeys(fixture.buckets.processed)).map((k) => `s3://${fixture.buckets.processed}/${k}`),
    ];
    expect(currentBefore.filter((k) => !currentAfter.includes(k)).sort()).toEqual([...listed].sort());
    expect(listed).toHaveLength(4);
    expect(await allVersions(fixture.s3, fixture.buckets.quarantine)).toEqual(before.quarantine);
    expect(await allVersions(fixture.s3, fixture.buckets.backups)).toEqual(before.backups);
    // Deleted, not destroyed: the data stays a noncurrent version behind a delete marker until the lifecycle.
    const versions = await fixture.s3.send(
      new ListObjectVersionsCommand({ Bucket: fixture.buckets.processed, Prefix: NO_MANIFEST }),
    );
    expect(versions.DeleteMarkers).toHaveLength(1);
    expect(versions.Versions!.length).toBeGreaterThanOrEqual(1);
    expect(io.stdout.join('\n')).toMatch(/Total: deleted 4 of 4 objects/);
  });

  it('--bucket backups deletes only old test/ objects, never backups', async () => {
    const io = fixture.io({ now: FUTURE });
    const code = await runCleanupCommand({ olderThan: '30', bucket: ['backups'], yes: true }, io);
    expect(code).toBe(0);
    expect(await currentKeys(fixture.buckets.backups)).toEqual([BACKUP]);
    expect(await currentKeys(fixture.buckets.quarantine)).toEqual([QUARANTINED]);
  });

  it('--bucket quarantine deletes quarantined objects past the window', async () => {
    const io = fixture.io({ now: FUTURE });
    const code = await runCleanupCommand({ olderThan: '30', bucket: ['quarantine'], yes: true }, io);
    expect(code).toBe(0);
    expect(await currentKeys(fixture.buckets.quarantine)).toEqual([]);
  });

  it('a refused DeleteObjects batch is reported key by key with exit 1, and the other bucket is still cleaned', async () => {
    // Arrange: every DeleteObjects on uploads answered AccessDenied by a proxy in front of RGW.
    const servers = getTestServers();
    const proxy = await startS3FaultProxy(servers.s3.endpoint, [
      {
        operation: `POST /${fixture.buckets.uploads}/`,
        status: 403,
        code: 'AccessDenied',
        message: 'denied by test',
      },
    ]);
    const before = await allVersions(fixture.s3, fixture.buckets.uploads);
    const io = fixture.io({
      now: FUTURE,
      createClients: (connection) => {
        const s3 = createS3Client({
          endpoint: proxy.endpoint,
          region: connection.region,
          credentials: { accessKeyId: servers.s3.accessKey, secretAccessKey: servers.s3.secretKey },
        });
        const unused = (): never => {
          throw new Error('not used against an endpoint');
        };
        return { s3, sts: unused, kms: unused, sqs: unused, destroy: () => s3.destroy() };
      },
    });
    try {
      // Act
      const code = await runCleanupCommand({ olderThan: '30', yes: true }, io);
      // Assert
      expect(code).toBe(1);
      expect(io.stderr.sort()).toEqual(
        STRANDED.map(
          (key) =>
            `stowage cleanup: failed to delete s3://${fixture.buckets.uploads}/${key}: DeleteObjects failed: AccessDenied [HTTP 403]: denied by test`,
        ).sort(),
      );
      expect(await allVersions(fixture.s3, fixture.buckets.uploads)).toEqual(before);
      expect(await currentKeys(fixture.buckets.processed)).toEqual([...PAIR].sort());
      const deletes = proxy.requestsOf(`POST /${fixture.buckets.uploads}/`);
      expect(deletes.length).toBeGreaterThan(0);
      expect(deletes.every((r) => r.injected)).toBe(true);
    } finally {
      await proxy.close();
    }
  });

  it('runs as `stowage cleanup` from the command line: a dry run without --yes', async () => {
    const before = await snapshot();
    const result = spawnSync(
      process.execPath,
      [
        path.join(__dirname, '../../../../bin/stowage.js'),
        'cleanup',
        '--older-than',
        '0',
        '--bucket',
        'uploads',
      ],
      { env: { ...process.env, ...fixture.env }, encoding: 'utf8', timeout: 60_000 },
    );
    expect(result.status).toBe(0);
    expect(result.stdout).toContain(`would delete  s3://${fixture.buckets.uploads}/${STRANDED[0]}`);
    expect(result.stdout).toMatch(/Run again with --yes to delete them\./);
    expect(await snapshot()).toEqual(before);
  });
});
