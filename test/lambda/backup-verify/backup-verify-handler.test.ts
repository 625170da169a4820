import { S3Client } from '@aws-sdk/client-s3';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';

import { createBackupVerifyHandler } from '../../../lambda/backup-verify/backup-verify-handler';
import type { BackupSourceConfig } from '../../../core/backup/backup-source';
import { VerificationRunError } from '../../../core/backup/verify/nightly-verification';
import type { VerificationReport } from '../../../core/backup/verify/verification-report';
import { InvalidEventError } from '../../../core/events/invalid-event-error';
import { recordingLogger } from '../../core/intake/pipeline-fixtures';
import {
  BUCKET,
  FakeBackupsBucket,
  gzipOf,
  hoursBefore,
  KEY_ARN,
  noise,
} from '../../core/backup/verify/fake-backups-bucket';

const s3Mock = mockClient(S3Client);
const snsMock = mockClient(SNSClient);
const NOW = new Date('2026-11-23T06:00:00.000Z');
const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:stowage-test-operations';
const SOURCES: BackupSourceConfig[] = [
  { name: 'logs', format: 'gzip', maxAgeHours: 26, minBytes: 100, maxDropPercent: 50 },
  { name: 'blob', format: 'raw', maxAgeHours: 26, minBytes: 100, maxDropPercent: 50 },
];

let bucket: FakeBackupsBucket;

/** Metrics stand-in that records each flushed EMF document's dimensions and values. */
function recordingMetrics() {
  const flushed: { dimensions: Record<string, string>; metrics: Record<string, number> }[] = [];
  let dimensions: Record<string, string> = {};
  let metrics: Record<string, number> = {};
  return {
    flushed,
    addDimension: (name: string, value: string) => (dimensions[name] = value),
    addMetric: (name: string, _unit: string, value: number) => (metrics[name] = value),
    publishStoredMetrics: () => {
      flushed.push({ dimensions, metrics });
      dimensions = {};
      metrics = {};
    },
  };
}

function handler(metrics = recordingMetrics()) {
  return createBackupVerifyHandler({
    s3: new S3Client({ region: 'eu-west-1' }),
    sns: new SNSClient({ region: 'eu-west-1' }),
    env: 'test',
    bucket: BUCKET,
    backupsKeyArn: KEY_ARN,
    requireReplication: false,
    operationsTopicArn: TOPIC,
    sources: SOURCES,
    metrics,
    logger: recordingLogger(),
    now: () => NOW,
  });
}

function writtenReport(): VerificationReport {
  const put = bucket.puts.find((p) => p.key === 'reports/20261123.json');
  expect(put).toBeDefined();
  return JSON.parse(put!.body) as VerificationReport;
}

beforeEach(() => {
  s3Mock.reset();
  snsMock.reset();
  bucket = new FakeBackupsBucket(s3Mock);
  snsMock.on(PublishCommand).resolves({ MessageId: 'm1' });
});

describe('backup verification handler', () => {
  it('verifies every source on a scheduled run, writes the report under the backups key and emits metrics', async () => {
    // Arrange
    bucket.putBackup('logs', hoursBefore(NOW, 2), 'gz', gzipOf(3000));
    bucket.putBackup('blob', hoursBefore(NOW, 3), 'bin', noise(2000));
    const metrics = recordingMetrics();

    // Act
    const report = await handler(metrics)({
      source: 'aws.scheduler',
      'detail-type': 'Scheduled Event',
      detail: {},
    });

    // Assert
    expect(report.ok).toBe(true);
    expect(writtenReport()).toEqual(report);
    expect(bucket.puts[0]).toMatchObject({ sse: 'aws:kms', kmsKeyId: KEY_ARN });
    expect(metrics.flushed).toEqual([
      {
        dimensions: { source: 'logs' },
        metrics: { BackupVerified: 1, BackupAgeHours: 2, BackupSizeBytes: report.sources[0]!.sizeBytes },
      },
      {
        dimensions: { source: 'blob' },
        metrics: { BackupVerified: 1, BackupAgeHours: 3, BackupSizeBytes: 2000 },
      },
    ]);
    expect(snsMock.commandCalls(PublishCommand)).toHaveLength(0);
  });

  it('publishes a readable summary of the failed sources to the operations topic', async () => {
    // Arrange: logs is stale, blob is missing.
    bucket.putBackup('logs', hoursBefore(NOW, 30), 'gz', gzipOf(3000));
    const metrics = recordingMetrics();

    // Act
    const report = await handler(metrics)({});

    // Assert
    expect(report.ok).toBe(false);
    const input = snsMock.commandCalls(PublishCommand)[0]!.args[0].input;
    expect(input.TopicArn).toBe(TOPIC);
    expect(input.Subject).toBe('Stowage test: backup verification failed for 2 of 2 sources (logs, blob)');
    expect(input.Message).toBe(
      [
        'Backup verification in test at 2026-11-23T06:00:00.000Z: 2 of 2 sources failed.',
        '',
        'logs (gzip): failed - backups/logs/20261122/logs_20261122_000000.gz',
        '  - freshness: stale: newest backup is 30 h old (max 26 h)',
        'blob (raw): missing',
        '  - no backup under backups/blob/ taken at or before 2026-11-23T06:00:00.000Z',
        '',
        `Full report: s3://${BUCKET}/reports/20261123.json`,
      ].join('\n'),
    );
    expect(metrics.flushed[1]).toEqual({ dimensions: { source: 'blob' }, metrics: { BackupVerified: 0 } });
  });

  it('fails the invocation when SNS fails, after the report is written and the metrics are out', async () => {
    // Arrange
    bucket.putBackup('logs', hoursBefore(NOW, 30), 'gz', gzipOf(3000));
    snsMock
      .on(PublishCommand)
      .rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottledException' }));
    const metrics = recordingMetrics();

    // Act
    const run = handler(metrics)({});

    // Assert
    await expect(run).rejects.toThrow(
      'backup verification did not complete: notification: ThrottledException: Rate exceeded',
    );
    await expect(run).rejects.toBeInstanceOf(VerificationRunError);
    expect(writtenReport().ok).toBe(false);
    expect(metrics.flushed).toHaveLength(2);
  });

  it('fails the invocation when a source could not be verified, after verifying the others and notifying', async () => {
    // Arrange: listing blob's prefix is denied.
    bucket.putBackup('logs', hoursBefore(NOW, 1), 'gz', gzipOf(3000));
    const { ListObjectsV2Command } = await import('@aws-sdk/client-s3');
    s3Mock
      .on(ListObjectsV2Command, { Prefix: 'backups/blob/' })
      .rejects(Object.assign(new Error('Access Denied'), { name: 'AccessDenied' }));

    // Act
    const run = handler()({});

    // Assert
    await expect(run).rejects.toThrow('source blob: AccessDenied: Access Denied');
    const report = writtenReport();
    expect(report.sources.map((s) => [s.source, s.status])).toEqual([
      ['logs', 'ok'],
      ['blob', 'failed'],
    ]);
    expect(snsMock.commandCalls(PublishCommand)[0]!.args[0].input.Message).toContain(
      'verification error: AccessDenied',
    );
  });

  it("re-verifies one source at a given time and merges it into that day's report", async () => {
    // Arrange: the nightly report has blob missing; blob's backup has arrived since.
    bucket.putBackup('logs', hoursBefore(NOW, 2), 'gz', gzipOf(3000));
    await handler()({}).catch(() => undefined);
    bucket.putBackup('blob', hoursBefore(NOW, 0.5), 'bin', noise(2000));

    // Act
    const report = await handler()({ source: 'blob', at: '2026-11-23T07:00:00Z' });

    // Assert
    expect(report.sources.map((s) => [s.source, s.status, s.ageHours])).toEqual([['blob', 'ok', 1.5]]);
    const merged = JSON.parse(bucket.puts.at(-1)!.body) as VerificationReport;
    expect(merged.at).toBe('2026-11-23T06:00:00.000Z');
    expect(merged.ok).toBe(true);
    expect(merged.sources.map((s) => [s.source, s.status, s.verifiedAt])).toEqual([
      ['logs', 'ok', undefined],
      ['blob', 'ok', '2026-11-23T07:00:00.000Z'],
    ]);
  });

  it('refuses a re-verification of an unknown source or with a bad time, naming the field', async () => {
    // Act / Assert
    await expect(handler()({ source: 'nope' })).rejects.toThrow(
      new InvalidEventError("source: unknown backup source 'nope' (configured: logs, blob)"),
    );
    await expect(handler()({ source: 'logs', at: 'yesterday' })).rejects.toThrow(
      /^invalid re-verification request: at: /,
    );
  });
});
