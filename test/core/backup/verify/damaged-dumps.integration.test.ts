/**
 * Acceptance of issue #11: for damaged dumps made at test time from the real PostgreSQL 15, the verifier over the
 * real RGW fails a backup exactly when its restore fails (pg_restore for archives, psql for plain SQL). Prints the
 * table of verdicts.
 */
import { createHash } from 'node:crypto';

import { CreateBucketCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';

import { backupKey } from '../../../../core/backup/backup-layout';
import { verifyBackups } from '../../../../core/backup/verify/verify-backups';
import type { SourceReport } from '../../../../core/backup/verify/verification-report';
import {
  createTestS3Client,
  deleteBucketWithContents,
  getTestServers,
  uniqueBucketName,
} from '../../../support/integration/servers';
import { makeDumpCases, restoreVerdict, type DumpSet, type RestoreVerdict } from './damaged-dumps';

jest.setTimeout(420_000);

describe('damaged pg_dump backups: the verifier fails exactly when the restore fails', () => {
  const { kmsKeyId } = getTestServers().s3;
  let s3: S3Client;
  let bucket: string;
  let dumps: DumpSet;

  beforeAll(async () => {
    s3 = createTestS3Client();
    bucket = uniqueBucketName('verify-damage');
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    dumps = await makeDumpCases();
  });

  afterAll(async () => {
    dumps?.cleanup();
    await deleteBucketWithContents(s3, bucket);
    s3.destroy();
  });

  it('agrees with pg_restore / psql on every case', async () => {
    // Arrange: each case is the newest backup of its own source, stored as `stowage backup push` stores a file.
    const at = new Date();
    const takenAt = new Date(at.getTime() - 3_600_000);
    const sources = dumps.cases.map((_, index) => `dump-case-${String(index + 1).padStart(2, '0')}`);
    for (const [index, dumpCase] of dumps.cases.entries()) {
      const sha256 = createHash('sha256').update(dumpCase.bytes).digest('hex');
      await s3.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: backupKey(sources[index]!, takenAt, 'dump'),
          Body: dumpCase.bytes,
          ServerSideEncryption: 'aws:kms',
          SSEKMSKeyId: kmsKeyId,
          Metadata: {
            sha256,
            'stored-sha256': sha256,
            'original-size': String(dumpCase.bytes.length),
            encryption: 'none',
            source: sources[index]!,
          },
        }),
      );
    }
    const references: RestoreVerdict[] = [];
    for (const dumpCase of dumps.cases) references.push(await restoreVerdict(dumpCase, dumps.dir));

    // Act
    const report = await verifyBackups(
      { s3, bucket, requireReplication: false },
      {
        env: 'it',
        at,
        sources: sources.map((name) => ({
          name,
          format: 'pg-dump' as const,
          maxAgeHours: 26,
          minBytes: 1,
          maxDropPercent: 50,
        })),
      },
    );

    // Assert
    const rows = dumps.cases.map((dumpCase, index) => {
      const source = report.sources[index]!;
      return {
        case: dumpCase.name,
        restore: { ok: 'ok', fails: 'FAILS', hangs: 'FAILS (hangs, killed after 30 s)' }[references[index]!],
        stowage: source.status === 'ok' ? 'ok' : source.status.toUpperCase(),
        why: whyOf(source),
      };
    });
    const table = [
      '| case | restore (pg_restore / psql) | stowage backup verify | stowage finding |',
      '|---|---|---|---|',
      ...rows.map((row) => `| ${row.case} | ${row.restore} | ${row.stowage} | ${row.why} |`),
    ].join('\n');
    console.log(`Damaged-dump verdicts:\n${table}`);
    for (const row of rows) {
      expect({ case: row.case, fails: row.stowage !== 'ok' }).toEqual({
        case: row.case,
        fails: row.restore !== 'ok',
      });
    }
    // The whole dumps pass, so agreement is not "everything fails".
    expect(rows.filter((row) => row.stowage === 'ok').length).toBeGreaterThanOrEqual(5);
  });
});

function whyOf(source: SourceReport): string {
  const format = source.checks.find((check) => check.name === 'format');
  const problem = source.checks.find((check) => !check.ok);
  const text = (problem ?? format)?.detail ?? source.error ?? '';
  return text.replace(/\|/g, '/').slice(0, 140);
}
