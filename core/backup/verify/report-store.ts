import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';

import { isObjectMissing } from '../../aws/s3-errors';
import { reportKey } from '../backup-layout';
import { buildReport, type SourceReport, type VerificationReport } from './verification-report';

export interface ReportStoreOptions {
  readonly s3: S3Client;
  readonly bucket: string;
  /** SSE-KMS key for the report (the backups key). Unset: the bucket's default encryption. */
  readonly kmsKeyArn?: string;
}

/** Writes `reports/<yyyymmdd>.json` (the day of the report's `at`, UTC) and returns its key. */
export async function writeReport(options: ReportStoreOptions, report: VerificationReport): Promise<string> {
  const key = reportKey(new Date(report.at));
  await options.s3.send(
    new PutObjectCommand({
      Bucket: options.bucket,
      Key: key,
      Body: `${JSON.stringify(report, null, 2)}\n`,
      ContentType: 'application/json',
      ...(options.kmsKeyArn ? { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: options.kmsKeyArn } : {}),
    }),
  );
  return key;
}

/** The report already written for the day of `at`, or undefined when there is none (or it is not a report). */
export async function readReport(
  options: ReportStoreOptions,
  at: Date,
): Promise<VerificationReport | undefined> {
  let text: string;
  try {
    const response = await options.s3.send(
      new GetObjectCommand({ Bucket: options.bucket, Key: reportKey(at) }),
    );
    text = (await response.Body?.transformToString('utf8')) ?? '';
  } catch (error) {
    if (isObjectMissing(error)) return undefined;
    throw error;
  }
  try {
    const parsed = JSON.parse(text) as Partial<VerificationReport>;
    return Array.isArray(parsed.sources) && typeof parsed.at === 'string'
      ? (parsed as VerificationReport)
      : undefined;
  } catch (error) {
    if (error instanceof SyntaxError) return undefined;
    throw error;
  }
}

/**
 * A re-verification of some sources folded into the day's report: their entries are replaced (or added), marked
 * with when they were verified, the others kept, and `ok` recomputed.
 */
export function mergeReports(existing: VerificationReport, fresh: VerificationReport): VerificationReport {
  const replaced = new Map<string, SourceReport>(
    fresh.sources.map((source) => [source.source, { ...source, verifiedAt: fresh.at }]),
  );
  const sources = existing.sources.map((source) => replaced.get(source.source) ?? source);
  for (const [name, source] of replaced) {
    if (!existing.sources.some((other) => other.source === name)) sources.push(source);
  }
  return buildReport({ env: existing.env, at: existing.at, bucket: existing.bucket, sources });
}
