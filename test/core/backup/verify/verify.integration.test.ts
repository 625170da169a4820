/**
 * The backup verifier against a real S3 implementation (Ceph RGW): backups stored as `stowage backup push` stores
 * them (SSE-KMS, sha256 metadata), listed with real pagination, read with real ranged GETs, and the day's report
 * written back into the bucket.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import {
  CreateBucketCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';

import { backupKey } from '../../../../core/backup/backup-layout';
import { runNightlyVerification } from '../../../../core/backup/verify/nightly-verification';
import type { VerificationReport } from '../../../../core/backup/verify/verification-report';
import {
  createTestS3Client,
  deleteBucketWithContents,
  getTestServers,
  uniqueBucketName,
} from '../../../support/integration/servers';
import { recordingLogger } from '../../intake/pipeline-fixtures';
import { gzipOf, hoursBefore } from './fake-backups-bucket';

const snsMock = mockClient(SNSClient);
const AT = new Date('2026-11-23T06:00:00.000Z');
const DUMP = readFileSync(join(__dirname, '../../../fixtures/backups/shop.dump'));
const TOPIC = 'arn:aws:sns:us-east-1:123456789012:stowage-it-operations';

describe('backup verification against Ceph RGW', () => {
  const { kmsKeyId } = getTestServers().s3;
  let s3: S3Client;
  let bucket: string;

  beforeAll(async () => {
    s3 = createTestS3Client();
    bucket = uniqueBucketName('verify-it');
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  });

  afterAll(async () => {
    await deleteBucketWithContents(s3, bucket);
    s3.destroy();
  });

  beforeEach(() => {
    snsMock.reset();
    snsMock.on(PublishCommand).resolves({ MessageId: 'm1' });
  });

  /** Stores a backup with the metadata and encryption `stowage backup push` uses. */
  async function push(
    source: string,
    takenAt: Date,
    extension: string,
    body: Buffer,
    metadataOf = body,
  ): Promise<string> {
    const key = backupKey(source, takenAt, extension);
    const sha256 = createHash('sha256').update(metadataOf).digest('hex');
    await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: key,
        Body: body,
        ServerSideEncryption: 'aws:kms',
        SSEKMSKeyId: kmsKeyId,
        Metadata: {
          sha256,
          'stored-sha256': sha256,
          'original-size': String(metadataOf.length),
          encryption: 'none',
          source,
        },
      }),
    );
    return key;
  }

  it('passes the healthy source, fails the truncated one, and writes reports/<yyyymmdd>.json', async () => {
    // Arrange: a week of dumps for `db` (the newest read in ranges), and logs whose newest gzip was cut short.
    for (let day = 7; day >= 0; day--) await push('db', hoursBefore(AT, 24 * day + 2), 'dump', DUMP);
    await push('logs', hoursBefore(AT, 26), 'gz', gzipOf(200_000, 1));
    const whole = gzipOf(200_000, 2);
    const truncatedKey = await push('logs', hoursBefore(AT, 3), 'gz', whole.subarray(0, 150_000), whole);

    // Act
    const report = await runNightlyVerification(
      {
        env: 'it',
        s3,
        bucket,
        backupsKeyArn: kmsKeyId,
        requireReplication: false,
        reads: { rangeBytes: 2048, concurrency: 3 },
        sns: new SNSClient({ region: 'us-east-1' }),
        operationsTopicArn: TOPIC,
        metrics: {
          addDimension: () => undefined,
          addMetric: () => undefined,
          publishStoredMetrics: () => undefined,
        },
        logger: recordingLogger(),
      },
      {
        sources: [
          { name: 'db', format: 'pg-dump', maxAgeHours: 26, minBytes: 1000, maxDropPercent: 50 },
          { name: 'logs', format: 'gzip', maxAgeHours: 26, minBytes: 1000, maxDropPercent: 50 },
        ],
        at: AT,
      },
    );

    // Assert
    const [db, logs] = report.sources;
    expect(report.ok).toBe(false);
    expect(db).toMatchObject({ status: 'ok', ageHours: 2, sizeBytes: DUMP.length, content: { entries: 24 } });
    expect(db!.checks.map((check) => [check.name, check.ok])).toEqual([
      ['present', true],
      ['freshness', true],
      ['size', true],
      ['encryption', true],
      ['checksum', true],
      ['format', true],
    ]);
    expect(db!.checks.find((check) => check.name === 'size')?.detail).toContain('median of the previous 7');
    expect(logs).toMatchObject({ status: 'failed', key: truncatedKey });
    // The object is shorter than its original-size metadata says: the size check names both.
    expect(logs!.checks.filter((check) => !check.ok).map((check) => check.name)).toEqual([
      'size',
      'checksum',
      'format',
    ]);
    expect(logs!.checks.find((check) => check.name === 'format')?.detail).toBe(
      'gzip: unexpected end of file (Z_BUF_ERROR)',
    );

    const written = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'reports/20261123.json' }));
    expect(JSON.parse(await written.Body!.transformToString()) as VerificationReport).toEqual(report);
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'reports/20261123.json' }));
    expect(head).toMatchObject({ ServerSideEncryption: 'aws:kms', ContentType: 'application/json' });
    expect(snsMock.commandCalls(PublishCommand)[0]!.args[0].input.Message).toContain(
      `logs (gzip): failed - ${truncatedKey}`,
    );
  });
});
