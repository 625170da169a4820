import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';

import { HeadObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';

import type { BackupSourceConfig } from '../../../../core/backup/backup-source';
import { verifyBackups } from '../../../../core/backup/verify/verify-backups';
import type { SourceReport } from '../../../../core/backup/verify/verification-report';
import {
  backupMetadata,
  BUCKET,
  FakeBackupsBucket,
  gzipOf,
  hoursBefore,
  KEY_ARN,
  noise,
  tarGzOf,
} from './fake-backups-bucket';

const s3Mock = mockClient(S3Client);
const AT = new Date('2026-11-23T06:00:00.000Z');
const FIXTURE = readFileSync(join(__dirname, '../../../fixtures/backups/shop.dump'));

let bucket: FakeBackupsBucket;

function source(
  name: string,
  format: BackupSourceConfig['format'],
  overrides: Partial<BackupSourceConfig> = {},
) {
  return { name, format, maxAgeHours: 26, minBytes: 100, maxDropPercent: 50, ...overrides };
}

async function verify(
  sources: BackupSourceConfig[],
  options: { requireReplication?: boolean; keyArn?: string } = {},
) {
  return verifyBackups(
    {
      s3: new S3Client({ region: 'eu-west-1' }),
      bucket: BUCKET,
      backupsKeyArn: 'keyArn' in options ? options.keyArn : KEY_ARN,
      requireReplication: options.requireReplication ?? false,
      reads: { rangeBytes: 1024, concurrency: 3, chunkBytes: 300 },
    },
    { env: 'test', sources, at: AT },
  );
}

function check(report: SourceReport, name: string) {
  return report.checks.find((candidate) => candidate.name === name);
}

beforeEach(() => {
  s3Mock.reset();
  bucket = new FakeBackupsBucket(s3Mock);
});

describe('verifyBackups', () => {
  it('passes a healthy gzip, tar.gz, pg_dump and raw backup, picking the newest of each by its key', async () => {
    // Arrange
    bucket.putBackup('logs', hoursBefore(AT, 26), 'gz', gzipOf(3000, 1));
    const logsKey = bucket.putBackup('logs', hoursBefore(AT, 2), 'gz', gzipOf(3000, 2));
    bucket.putBackup(
      'site',
      hoursBefore(AT, 3),
      'tar.gz',
      await tarGzOf({ 'a.txt': noise(500), 'b/c.bin': noise(900) }),
    );
    const dbKey = bucket.putBackup('db', hoursBefore(AT, 1), 'dump', FIXTURE);
    bucket.putBackup('blob', hoursBefore(AT, 4), 'bin', noise(5000));
    bucket.objects.set('backups/logs/notes.txt', { body: Buffer.from('x'), metadata: {} });

    // Act
    const report = await verify([
      source('logs', 'gzip'),
      source('site', 'tar-gz'),
      source('db', 'pg-dump'),
      source('blob', 'raw'),
    ]);

    // Assert
    expect(report.ok).toBe(true);
    expect(report.sources.map((s) => [s.source, s.status])).toEqual([
      ['logs', 'ok'],
      ['site', 'ok'],
      ['db', 'ok'],
      ['blob', 'ok'],
    ]);
    const [logs, site, db, blob] = report.sources as [SourceReport, SourceReport, SourceReport, SourceReport];
    expect(logs).toMatchObject({ key: logsKey, ageHours: 2, takenAt: '2026-11-23T04:00:00.000Z' });
    expect(logs.ignoredKeys).toEqual({ count: 1, examples: ['backups/logs/notes.txt'] });
    expect(check(logs, 'format')?.detail).toBe(`gzip: ${logs.sizeBytes} bytes decompress to 3000 bytes`);
    expect(site.content?.entries).toBe(2);
    expect(db).toMatchObject({
      key: dbKey,
      content: { entries: 24, pgDump: { archiveVersion: '1.14-0', database: 'shop' } },
    });
    expect(db.content?.pgDump?.sample[0]).toBe('6; 2615 16385 SCHEMA - sales stowage');
    expect(check(blob, 'format')).toMatchObject({ ok: true, skipped: true });
    expect(check(blob, 'checksum')?.ok).toBe(true);
    expect(bucket.ranges.length).toBeGreaterThan(1); // multi-range reads for objects above 1 KiB
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
  });

  it('reports a source without backups as missing', async () => {
    // Arrange
    bucket.putBackup('db', hoursBefore(AT, 1), 'dump', FIXTURE);

    // Act
    const report = await verify([source('web', 'tar-gz'), source('db', 'pg-dump')]);

    // Assert
    expect(report.ok).toBe(false);
    expect(report.sources[0]).toMatchObject({ source: 'web', status: 'missing' });
    expect(report.sources[0]!.checks).toEqual([
      {
        name: 'present',
        ok: false,
        detail: 'no backup under backups/web/ taken at or before 2026-11-23T06:00:00.000Z',
      },
    ]);
    expect(report.sources[1]!.status).toBe('ok');
  });

  it('fails a stale backup and reports its age', async () => {
    // Arrange
    bucket.putBackup('logs', hoursBefore(AT, 30.5), 'gz', gzipOf(3000));

    // Act
    const [logs] = (await verify([source('logs', 'gzip')])).sources;

    // Assert
    expect(logs).toMatchObject({ status: 'failed', ageHours: 30.5 });
    expect(check(logs!, 'freshness')).toEqual({
      name: 'freshness',
      ok: false,
      detail: 'stale: newest backup is 30.5 h old (max 26 h)',
    });
  });

  it('fails a backup far below the median of the previous seven, and one below minBytes', async () => {
    // Arrange: eight earlier raw backups of about 10 kB (only the latest seven count), then 4 kB.
    for (let day = 1; day <= 8; day++) {
      bucket.putBackup('blob', hoursBefore(AT, 24 * day + 1), 'bin', noise(day === 8 ? 100 : 10_000 + day));
    }
    bucket.putBackup('blob', hoursBefore(AT, 1), 'bin', noise(4000));
    bucket.putBackup('tiny', hoursBefore(AT, 1), 'bin', noise(50));

    // Act
    const [blob, tiny] = (await verify([source('blob', 'raw'), source('tiny', 'raw')])).sources;

    // Assert
    expect(check(blob!, 'size')).toEqual({
      name: 'size',
      ok: false,
      detail: '4000 bytes is 60% below the median of the previous 7: 10004 bytes (max drop 50%)',
    });
    expect(check(tiny!, 'size')?.detail).toBe('50 bytes is below the minimum of 100 bytes');
    expect([blob!.status, tiny!.status]).toEqual(['failed', 'failed']);
  });

  it('fails a backup encrypted under another KMS key or not with SSE-KMS', async () => {
    // Arrange
    bucket.putBackup('a', hoursBefore(AT, 1), 'bin', noise(500), {
      kmsKeyId: 'arn:aws:kms:eu-west-1:123456789012:key/other',
    });
    bucket.putBackup('b', hoursBefore(AT, 1), 'bin', noise(500), { sse: 'AES256', kmsKeyId: undefined });

    // Act
    const [a, b] = (await verify([source('a', 'raw'), source('b', 'raw')])).sources;

    // Assert
    expect(check(a!, 'encryption')).toMatchObject({
      ok: false,
      detail: `encrypted with arn:aws:kms:eu-west-1:123456789012:key/other, expected ${KEY_ARN}`,
    });
    expect(check(b!, 'encryption')).toMatchObject({
      ok: false,
      detail: `expected aws:kms with ${KEY_ARN}, found AES256`,
    });
  });

  it('requires replication COMPLETED where configured: PENDING and FAILED fail with a clear reason', async () => {
    // Arrange
    bucket.putBackup('done', hoursBefore(AT, 3), 'bin', noise(500), { replicationStatus: 'COMPLETED' });
    bucket.putBackup('pending', hoursBefore(AT, 3), 'bin', noise(500), { replicationStatus: 'PENDING' });
    bucket.putBackup('broken', hoursBefore(AT, 3), 'bin', noise(500), { replicationStatus: 'FAILED' });

    // Act
    const report = await verify([source('done', 'raw'), source('pending', 'raw'), source('broken', 'raw')], {
      requireReplication: true,
    });

    // Assert
    expect(report.sources.map((s) => [s.status, check(s, 'replication')?.detail])).toEqual([
      ['ok', 'COMPLETED'],
      ['failed', 'still PENDING 3 h after the backup was taken'],
      ['failed', 'FAILED: the replica bucket does not have this backup'],
    ]);
  });

  it('reports an archived backup as archived, skips its content and does not fail', async () => {
    // Arrange
    bucket.putBackup('cold', hoursBefore(AT, 2), 'gz', Buffer.from('not even gzip'), {
      storageClass: 'DEEP_ARCHIVE',
    });

    // Act
    const report = await verify([source('cold', 'gzip', { minBytes: 1 })]);

    // Assert
    expect(report.ok).toBe(true);
    expect(report.sources[0]!.status).toBe('archived');
    expect(check(report.sources[0]!, 'format')).toEqual({
      name: 'format',
      ok: true,
      skipped: true,
      detail: 'skipped: archived in DEEP_ARCHIVE',
    });
    expect(bucket.ranges).toEqual([]);
    expect(s3Mock.commandCalls(HeadObjectCommand)).toHaveLength(1);
  });

  it('fails a checksum mismatch', async () => {
    // Arrange
    const key = bucket.putBackup('logs', hoursBefore(AT, 1), 'gz', gzipOf(3000));
    bucket.objects.get(key)!.metadata['stored-sha256'] = 'a'.repeat(64);

    // Act
    const [logs] = (await verify([source('logs', 'gzip')])).sources;

    // Assert
    expect(logs!.status).toBe('failed');
    expect(check(logs!, 'checksum')?.detail).toMatch(
      /^sha256 mismatch: stored bytes hash to [0-9a-f]{64}, stored-sha256 says a{64}$/,
    );
    expect(check(logs!, 'format')?.ok).toBe(true);
  });

  it('fails a truncated gzip and a truncated tar.gz, while their checksums (of what is stored) still match', async () => {
    // Arrange
    const gzip = gzipOf(5000);
    bucket.putBackup('logs', hoursBefore(AT, 1), 'gz', gzip.subarray(0, gzip.length - 700));
    const tarGz = await tarGzOf({ 'a.bin': noise(4000, 3), 'b.bin': noise(4000, 4) });
    bucket.putBackup('site', hoursBefore(AT, 1), 'tar.gz', tarGz.subarray(0, tarGz.length - 2000));

    // Act
    const [logs, site] = (await verify([source('logs', 'gzip'), source('site', 'tar-gz')])).sources;

    // Assert
    expect(check(logs!, 'format')).toEqual({
      name: 'format',
      ok: false,
      detail: 'gzip: unexpected end of file (Z_BUF_ERROR)',
    });
    expect(check(site!, 'format')).toMatchObject({
      ok: false,
      detail: expect.stringMatching(/^tar\.gz \((gzip|tar)\): /),
    });
    expect(check(logs!, 'checksum')?.ok).toBe(true);
    expect([logs!.status, site!.status]).toEqual(['failed', 'failed']);
  });

  it('fails a tar.gz whose gzip is whole but whose tar stops at an entry boundary (no end-of-archive blocks)', async () => {
    // Arrange: two whole entries (header + padded data), then nothing: the zero blocks and record padding are cut.
    const tar = gunzipSync(await tarGzOf({ 'a.bin': noise(1024, 3), 'b.bin': noise(512, 4) }));
    const entriesOnly = tar.subarray(0, 512 + 1024 + 512 + 512);
    bucket.putBackup('site', hoursBefore(AT, 1), 'tar.gz', gzipSync(entriesOnly));

    // Act
    const [site] = (await verify([source('site', 'tar-gz')])).sources;

    // Assert
    expect(check(site!, 'format')).toEqual({
      name: 'format',
      ok: false,
      detail:
        'tar.gz (tar): no end-of-archive marker after 2 entries (two zero blocks expected): ' +
        'the archive was cut short at an entry boundary',
    });
    expect(site!.status).toBe('failed');
  });

  it('passes an empty tar.gz archive (end-of-archive blocks only)', async () => {
    // Arrange
    bucket.putBackup('site', hoursBefore(AT, 1), 'tar.gz', await tarGzOf({}));

    // Act
    const [site] = (await verify([source('site', 'tar-gz')])).sources;

    // Assert
    expect(check(site!, 'format')).toMatchObject({
      ok: true,
      detail: 'tar.gz: 0 entries, 0 bytes of file data',
    });
  });

  it("reports a dump whose magic is not pg_dump's unverified, and fails a truncated TOC", async () => {
    // Arrange
    const corrupt = Buffer.from(FIXTURE);
    corrupt.write('PGDMQ', 0, 'latin1');
    bucket.putBackup('a', hoursBefore(AT, 1), 'dump', corrupt);
    bucket.putBackup('b', hoursBefore(AT, 1), 'dump', FIXTURE.subarray(0, 3000));

    // Act
    const [a, b] = (await verify([source('a', 'pg-dump'), source('b', 'pg-dump')])).sources;

    // Assert
    expect(a!.status).toBe('unverified');
    expect(check(a!, 'format')).toMatchObject({
      ok: false,
      unverified: true,
      detail:
        'unverified: not a pg_dump output this verifier reads (custom, tar, directory packed as tar, plain SQL, ' +
        'or those gzipped); it starts with bytes 5047444d51010e00',
    });
    expect(b!.status).toBe('failed');
    expect(check(b!, 'format')?.detail).toBe(
      'truncated: the file ends at byte 3000 while reading TOC entry 11 (owner)',
    );
    expect(check(a!, 'checksum')?.ok).toBe(true);
  });

  it('keeps verifying the other sources when one cannot be verified, and reports the error', async () => {
    // Arrange
    bucket.putBackup('first', hoursBefore(AT, 1), 'bin', noise(500));
    bucket.putBackup('second', hoursBefore(AT, 1), 'bin', noise(500));
    const denied = new S3ServiceException({
      name: 'AccessDenied',
      $fault: 'client',
      $metadata: { httpStatusCode: 403 },
      message: 'Access Denied',
    });
    s3Mock
      .on(HeadObjectCommand, { Key: bucket.putBackup('broken', hoursBefore(AT, 1), 'bin', noise(500)) })
      .rejects(denied);

    // Act
    const report = await verify([source('first', 'raw'), source('broken', 'raw'), source('second', 'raw')]);

    // Assert
    expect(report.sources.map((s) => s.status)).toEqual(['ok', 'failed', 'ok']);
    expect(report.sources[1]!.error).toBe('AccessDenied (access denied) [HTTP 403]: Access Denied');
    expect(report.ok).toBe(false);
  });

  it('ignores backups taken after `at` (re-verification at an earlier time)', async () => {
    // Arrange
    const older = bucket.putBackup('logs', hoursBefore(AT, 5), 'gz', gzipOf(3000, 1));
    bucket.putBackup('logs', new Date(AT.getTime() + 3_600_000), 'gz', gzipOf(3000, 2));

    // Act
    const [logs] = (await verify([source('logs', 'gzip')])).sources;

    // Assert
    expect(logs).toMatchObject({ key: older, status: 'ok', ageHours: 5 });
  });
});

describe('verifyBackups on backups streamed from stdin (digests in a digest manifest)', () => {
  /** Stores a stdin backup: metadata `digest: manifest`, and, unless left out, its manifest next to it. */
  function putStdinBackup(name: string, body: Buffer, manifest?: Record<string, string>): string {
    const { sha256, 'stored-sha256': stored, ...rest } = backupMetadata(name, body);
    delete rest['original-size'];
    const key = bucket.putBackup(name, hoursBefore(AT, 1), 'dump', body, {
      metadata: { ...rest, digest: 'manifest' },
    });
    if (manifest !== undefined) {
      const content = {
        key,
        sha256: sha256!,
        'original-size': String(body.length),
        'stored-sha256': stored!,
        'stored-size': String(body.length),
        ...manifest,
      };
      bucket.objects.set(`${key}.stowage-digest.json`, {
        body: Buffer.from(JSON.stringify(content)),
        metadata: {},
      });
    }
    return key;
  }

  it('checks the content against the manifest and does not take the manifest for a stray key', async () => {
    // Arrange
    putStdinBackup('piped', FIXTURE, {});

    // Act
    const [piped] = (await verify([source('piped', 'pg-dump')])).sources;

    // Assert
    expect(piped!.status).toBe('ok');
    expect(check(piped!, 'checksum')?.detail).toBe(
      `sha256 of ${FIXTURE.length} stored bytes matches stored-sha256`,
    );
    expect(piped!.ignoredKeys).toBeUndefined();
  });

  it('fails a stdin backup whose manifest is missing or describes other bytes', async () => {
    // Arrange
    putStdinBackup('unfinished', FIXTURE);
    putStdinBackup('resized', FIXTURE, { 'stored-size': '12' });

    // Act
    const [unfinished, resized] = (
      await verify([source('unfinished', 'pg-dump'), source('resized', 'pg-dump')])
    ).sources;

    // Assert
    expect(unfinished!.status).toBe('failed');
    expect(check(unfinished!, 'checksum')?.detail).toMatch(
      /^streamed from stdin, but its digest manifest .*\.stowage-digest\.json is missing/,
    );
    expect(check(resized!, 'checksum')?.detail).toBe(
      `the object is ${FIXTURE.length} bytes (Content-Length), its digest manifest says 12`,
    );
  });
});
