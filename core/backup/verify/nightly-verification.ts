import type { SNSClient } from '@aws-sdk/client-sns';

import type { PipelineLogger } from '../../logging/pipeline-logger';
import type { BackupSourceConfig } from '../backup-source';
import { notifyFailure } from './failure-notification';
import { mergeReports, readReport, writeReport } from './report-store';
import { verifyBackups } from './verify-backups';
import type { SourceVerifierDependencies } from './verify-source';
import { emitVerificationMetrics, type VerificationMetrics } from './verification-metrics';
import type { VerificationReport } from './verification-report';
import { describeVerifyError } from './error-message';

export interface NightlyVerificationDependencies extends SourceVerifierDependencies {
  readonly env: string;
  readonly sns: SNSClient;
  /** The operations topic that hears about failures. */
  readonly operationsTopicArn: string;
  readonly metrics: VerificationMetrics;
  readonly logger: PipelineLogger;
}

export interface NightlyVerificationRequest {
  readonly sources: readonly BackupSourceConfig[];
  readonly at: Date;
  /**
   * A re-verification of some sources: their results are merged into the day's report instead of replacing it.
   * Default false (the nightly run writes the whole report).
   */
  readonly merge?: boolean;
}

/**
 * The verification did not complete everything it had to: a source could not be verified, or a side effect
 * (report, notification) failed. Thrown after every step that could run has run, so the handler's error alarm
 * fires while the report and the notification still went out where possible.
 */
export class VerificationRunError extends Error {
  constructor(
    message: string,
    readonly report: VerificationReport,
    readonly causes: readonly unknown[],
  ) {
    super(message, { cause: causes[0] });
    this.name = 'VerificationRunError';
  }
}

/**
 * Verifies the sources, then, as separate steps: writes `reports/<yyyymmdd>.json`, emits metrics per source, and
 * publishes a summary to the operations topic when anything failed. Returns the report of this run.
 */
export async function runNightlyVerification(
  deps: NightlyVerificationDependencies,
  request: NightlyVerificationRequest,
): Promise<VerificationReport> {
  const report = await verifyBackups(deps, { env: deps.env, sources: request.sources, at: request.at });
  const problems: string[] = [];
  const causes: unknown[] = [];
  for (const source of report.sources) {
    if (source.error) problems.push(`source ${source.source}: ${source.error}`);
  }

  const store = {
    s3: deps.s3,
    bucket: deps.bucket,
    ...(deps.backupsKeyArn ? { kmsKeyArn: deps.backupsKeyArn } : {}),
  };
  let location: string | undefined;
  try {
    const existing = request.merge ? await readReport(store, request.at) : undefined;
    const key = await writeReport(store, existing ? mergeReports(existing, report) : report);
    location = `s3://${deps.bucket}/${key}`;
  } catch (error) {
    deps.logger.error('writing the verification report failed', { error });
    problems.push(`report: ${messageOf(error)}`);
    causes.push(error);
  }

  emitVerificationMetrics(deps.metrics, report);

  if (!report.ok) {
    try {
      await notifyFailure(deps.sns, deps.operationsTopicArn, report, location);
    } catch (error) {
      deps.logger.error('publishing the verification failure failed', { error });
      problems.push(`notification: ${messageOf(error)}`);
      causes.push(error);
    }
  }

  const summary = report.sources.map((source) => `${source.source}=${source.status}`).join(' ');
  const fields = { ok: report.ok, sources: summary, ...(location ? { report: location } : {}) };
  if (report.ok) deps.logger.info('backup verification finished', fields);
  else deps.logger.warn('backup verification finished with failures', fields);
  if (problems.length > 0) {
    throw new VerificationRunError(
      `backup verification did not complete: ${problems.join('; ')}`,
      report,
      causes,
    );
  }
  return report;
}

function messageOf(error: unknown): string {
  return describeVerifyError(error);
}
