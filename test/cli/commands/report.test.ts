import {
  GetObjectTaggingCommand,
  ListBucketsCommand,
  ListMultipartUploadsCommand,
  ListObjectVersionsCommand,
  ListPartsCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import {
  BucketUsageAggregator,
  countUploadStatuses,
  runReportCommand,
  type StowageReport,
} from '../../../cli/commands/report';
import { daysAgo, recordingCommandIo, serviceError } from '../shared/fake-command-io';

const s3 = mockClient(S3Client);

/** Every bucket named, so no discovery: the tests are about the report. */
const BUCKETS = {
  STOWAGE_UPLOADS_BUCKET: 'up',
  STOWAGE_PROCESSED_BUCKET: 'proc',
  STOWAGE_QUARANTINE_BUCKET: 'quar',
  STOWAGE_BACKUPS_BUCKET: 'back',
  STOWAGE_ACCESS_LOGS_BUCKET: 'logs',
};

function version(key: string, size: number, extra: Record<string, unknown> = {}) {
  return { Key: key, Size: size, IsLatest: true, VersionId: `v-${key}`, LastModified: daysAgo(1), ...extra };
}

beforeEach(() => {
  s3.reset();
  s3.on(ListObjectVersionsCommand).resolves({});
  s3.on(ListMultipartUploadsCommand).resolves({});
});

describe('BucketUsageAggregator', () => {
  it('sums current versions by storage class, prefix and owner, and noncurrent versions and markers apart', () => {
    // Arrange
    const aggregator = new BucketUsageAggregator('processed', 'proc');
    const entries = [
      { key: 'processed/alice/2026/11/01/a.pdf', size: 100, storageClass: 'STANDARD' },
      { key: 'processed/alice/2026/11/01/a.pdf.manifest.json', size: 10, storageClass: 'STANDARD' },
      { key: 'processed/bob/2026/11/01/b.png', size: 1000, storageClass: 'GLACIER_IR' },
      { key: 'loose-file', size: 5, storageClass: 'STANDARD' },
    ];
    // Act
    for (const e of entries) aggregator.add({ ...e, isLatest: true, deleteMarker: false });
    aggregator.add({
      key: 'processed/bob/2026/11/01/b.png',
      size: 900,
      storageClass: 'STANDARD',
      isLatest: false,
      deleteMarker: false,
    });
    aggregator.add({
      key: 'processed/carol/x',
      size: 0,
      storageClass: 'STANDARD',
      isLatest: true,
      deleteMarker: true,
    });
    const usage = aggregator.result();
    // Assert
    expect(usage.current).toEqual({ objects: 4, bytes: 1115 });
    expect(usage.noncurrent).toEqual({ objects: 1, bytes: 900 });
    expect(usage.deleteMarkers).toBe(1);
    expect(usage.byStorageClass).toEqual({
      GLACIER_IR: { objects: 1, bytes: 1000 },
      STANDARD: { objects: 3, bytes: 115 },
    });
    expect(usage.byPrefix).toEqual({
      '(root)': { objects: 1, bytes: 5 },
      'processed/': { objects: 3, bytes: 1110 },
    });
    expect(usage.byOwner).toEqual({ alice: { objects: 2, bytes: 110 }, bob: { objects: 1, bytes: 1000 } });
  });

  it('has no owner breakdown where the layout has no owner', () => {
    const aggregator = new BucketUsageAggregator('quarantine', 'quar');
    aggregator.add({
      key: 'quarantine/u1/evil.exe',
      size: 1,
      storageClass: 'STANDARD',
      isLatest: true,
      deleteMarker: false,
    });
    expect(aggregator.result().byOwner).toBeUndefined();
  });
});

describe('countUploadStatuses', () => {
  it('counts untagged uploads as PENDING and shows every status', () => {
    expect(
      countUploadStatuses([
        undefined,
        {},
        { 'scan-status': 'CLEAN' },
        { 'scan-status': 'ERROR' },
        { 'scan-status': 'WEIRD' },
      ]),
    ).toEqual({ PENDING: 2, CLEAN: 1, INFECTED: 0, SUSPICIOUS: 0, ERROR: 1, WEIRD: 1 });
  });
});

describe('stowage report', () => {
  function arrangeBuckets(): void {
    s3.on(ListObjectVersionsCommand, { Bucket: 'up' })
      .resolvesOnce({
        Versions: [
          version('uploads/alice/2026/11/22/u1.pdf', 100),
          version('uploads/bob/2026/11/22/u2.pdf', 200),
        ],
        IsTruncated: true,
        NextKeyMarker: 'uploads/bob/2026/11/22/u2.pdf',
        NextVersionIdMarker: 'v2',
      })
      .resolves({
        Versions: [
          version('uploads/bob/2026/11/22/u3.pdf', 300),
          version('uploads/carol/2026/11/22/u4.pdf', 1),
        ],
      });
    s3.on(ListObjectVersionsCommand, { Bucket: 'proc' }).resolves({
      Versions: [
        version('processed/alice/2026/11/20/p1.pdf', 1000, { StorageClass: 'GLACIER_IR' }),
        version('processed/alice/2026/11/20/p1.pdf.manifest.json', 50),
        version('processed/alice/2026/11/20/p1.pdf', 990, { IsLatest: false, VersionId: 'old' }),
      ],
      DeleteMarkers: [{ Key: 'processed/x', IsLatest: true, VersionId: 'dm' }],
    });
    s3.on(ListObjectVersionsCommand, { Bucket: 'quar' }).resolves({
      Versions: [
        version('quarantine/u9/evil.pdf', 68, { LastModified: daysAgo(3) }),
        version('quarantine/u8/odd.png', 10, { LastModified: daysAgo(1) }),
      ],
    });
    s3.on(ListObjectVersionsCommand, { Bucket: 'back' }).resolves({
      Versions: [
        version('backups/main-db/20261122/main-db_20261122_040000.dump', 5000),
        version('test/t.txt', 1),
      ],
    });
    s3.on(GetObjectTaggingCommand, { Bucket: 'up', Key: 'uploads/alice/2026/11/22/u1.pdf' }).resolves({
      TagSet: [],
    });
    s3.on(GetObjectTaggingCommand, { Bucket: 'up', Key: 'uploads/bob/2026/11/22/u2.pdf' }).resolves({
      TagSet: [{ Key: 'scan-status', Value: 'CLEAN' }],
    });
    s3.on(GetObjectTaggingCommand, { Bucket: 'up', Key: 'uploads/bob/2026/11/22/u3.pdf' }).resolves({
      TagSet: [{ Key: 'scan-status', Value: 'ERROR' }],
    });
    // Moved on by the pipeline between the listing and the tag lookup.
    s3.on(GetObjectTaggingCommand, { Bucket: 'up', Key: 'uploads/carol/2026/11/22/u4.pdf' }).rejects(
      serviceError('NoSuchKey', 404),
    );
    s3.on(GetObjectTaggingCommand, { Bucket: 'quar', Key: 'quarantine/u9/evil.pdf' }).resolves({
      TagSet: [
        { Key: 'scan-status', Value: 'INFECTED' },
        { Key: 'scan-engine', Value: 'clamav' },
        { Key: 'scan-signature', Value: 'Eicar-Test-Signature' },
      ],
    });
    s3.on(GetObjectTaggingCommand, { Bucket: 'quar', Key: 'quarantine/u8/odd.png' }).resolves({
      TagSet: [{ Key: 'scan-status', Value: 'SUSPICIOUS' }],
    });
  }

  it('prints usage, pipeline status and quarantine as one JSON document with --json', async () => {
    // Arrange
    arrangeBuckets();
    const io = recordingCommandIo({ env: BUCKETS });
    // Act
    const code = await runReportCommand({ json: true }, io);
    // Assert
    expect(code).toBe(0);
    const report = JSON.parse(io.stdout.join('\n')) as StowageReport;
    const uploads = report.buckets.find((b) => b.purpose === 'uploads')!;
    expect(uploads.current).toEqual({ objects: 4, bytes: 601 });
    expect(uploads.byOwner).toEqual({
      alice: { objects: 1, bytes: 100 },
      bob: { objects: 2, bytes: 500 },
      carol: { objects: 1, bytes: 1 },
    });
    const processed = report.buckets.find((b) => b.purpose === 'processed')!;
    expect(processed.byStorageClass).toEqual({
      GLACIER_IR: { objects: 1, bytes: 1000 },
      STANDARD: { objects: 1, bytes: 50 },
    });
    expect(processed.noncurrent).toEqual({ objects: 1, bytes: 990 });
    expect(processed.deleteMarkers).toBe(1);
    expect(report.buckets.find((b) => b.purpose === 'backups')!.byPrefix).toEqual({
      'backups/': { objects: 1, bytes: 5000 },
      'test/': { objects: 1, bytes: 1 },
    });
    expect(report.pipeline).toEqual({
      uploadsByStatus: { PENDING: 1, CLEAN: 1, INFECTED: 0, SUSPICIOUS: 0, ERROR: 1 },
      processed: 1,
      quarantined: 2,
    });
    expect(report.awaitingReview).toEqual([
      {
        key: 'quarantine/u9/evil.pdf',
        uploadId: 'u9',
        size: 68,
        lastModified: daysAgo(3).toISOString(),
        ageSeconds: 3 * 86400,
        status: 'INFECTED',
        signature: 'Eicar-Test-Signature',
        engine: 'clamav',
      },
      {
        key: 'quarantine/u8/odd.png',
        uploadId: 'u8',
        size: 10,
        lastModified: daysAgo(1).toISOString(),
        ageSeconds: 86400,
        status: 'SUSPICIOUS',
      },
    ]);
    expect(s3.commandCalls(ListObjectVersionsCommand, { Bucket: 'up' })[1]!.args[0].input).toMatchObject({
      KeyMarker: 'uploads/bob/2026/11/22/u2.pdf',
      VersionIdMarker: 'v2',
    });
    // Tags of the listed version, not whatever is current by the time of the lookup.
    expect(
      s3.commandCalls(GetObjectTaggingCommand, { Key: 'uploads/alice/2026/11/22/u1.pdf' })[0]!.args[0].input
        .VersionId,
    ).toBe('v-uploads/alice/2026/11/22/u1.pdf');
  });

  it('prints tables by default', async () => {
    arrangeBuckets();
    const io = recordingCommandIo({ env: BUCKETS });
    const code = await runReportCommand({}, io);
    expect(code).toBe(0);
    const flat = io.stdout.map((l) => l.replace(/\s+/g, ' ').trim());
    expect(flat).toContain('uploads up 4 601 B 0 0 B 0');
    expect(flat).toContain('OWNER OBJECTS SIZE');
    expect(flat).toContain('bob 2 500 B');
    expect(flat).toContain('uploads PENDING 1');
    expect(flat).toContain('quarantined 2');
    expect(flat).toContain('Quarantined objects awaiting review: 2');
    expect(flat).toContain('quarantine/u9/evil.pdf 68 B 3d00h ago INFECTED Eicar-Test-Signature');
  });

  it('fails with exit 1 naming the bucket when a listing is denied', async () => {
    s3.on(ListObjectVersionsCommand, { Bucket: 'proc' }).rejects(serviceError('AccessDenied', 403));
    const io = recordingCommandIo({ env: BUCKETS });
    const code = await runReportCommand({}, io);
    expect(code).toBe(1);
    expect(io.stderr.join('\n')).toMatch(
      /stowage report: listing the versions in s3:\/\/proc\/ failed: AccessDenied \[HTTP 403\]/,
    );
  });

  it('fails naming every bucket it cannot find', async () => {
    const io = recordingCommandIo({ env: { STOWAGE_UPLOADS_BUCKET: 'up' } });
    s3.on(ListBucketsCommand).resolves({ Buckets: [] });
    const code = await runReportCommand({}, io);
    expect(code).toBe(1);
    expect(io.stderr).toHaveLength(4);
    expect(io.stderr.join('\n')).toMatch(/--access-logs-bucket NAME or set STOWAGE_ACCESS_LOGS_BUCKET/);
  });

  it('refuses a bad --concurrency as a usage error', async () => {
    await expect(runReportCommand({ concurrency: '0' }, recordingCommandIo())).rejects.toThrow(
      /--concurrency/,
    );
  });
});

describe('stowage report: incomplete multipart uploads', () => {
  it("lists every bucket's incomplete uploads with parts, size and age, oldest first", async () => {
    // Arrange
    s3.on(ListMultipartUploadsCommand, { Bucket: 'back' }).resolves({
      Uploads: [
        { Key: 'backups/db/20261120/db_20261120_040000.dump', UploadId: 'u-new', Initiated: daysAgo(1) },
        { Key: 'backups/db/20261118/db_20261118_040000.dump', UploadId: 'u-old', Initiated: daysAgo(3) },
      ],
    });
    s3.on(ListPartsCommand, { UploadId: 'u-new' }).resolves({
      Parts: [{ PartNumber: 1, Size: 8 * 1024 * 1024 }],
    });
    s3.on(ListPartsCommand, { UploadId: 'u-old' }).resolves({
      Parts: [
        { PartNumber: 1, Size: 8 * 1024 * 1024 },
        { PartNumber: 2, Size: 1024 },
      ],
    });
    const io = recordingCommandIo({ env: BUCKETS });
    // Act
    const code = await runReportCommand({ json: true }, io);
    // Assert
    expect(code).toBe(0);
    const report = JSON.parse(io.stdout.join('\n')) as StowageReport;
    expect(report.incompleteUploads.map((u) => [u.bucket, u.uploadId, u.parts, u.bytes])).toEqual([
      ['back', 'u-old', 2, 8 * 1024 * 1024 + 1024],
      ['back', 'u-new', 1, 8 * 1024 * 1024],
    ]);
    expect(report.incompleteUploads[0]!.ageSeconds).toBe(3 * 86400);
  });
});
