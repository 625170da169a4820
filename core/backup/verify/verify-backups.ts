import type { PipelineLogger } from '../../logging/pipeline-logger';
import type { BackupSourceConfig } from '../backup-source';
import {
  errorReport,
  verifySource,
  type SourceProgress,
  type SourceVerifierDependencies,
} from './verify-source';
import { buildReport, type SourceReport, type VerificationReport } from './verification-report';

export interface VerifyBackupsRequest {
  /** Environment name, for the report. */
  readonly env: string;
  readonly sources: readonly BackupSourceConfig[];
  /** Freshness is judged at this time; backups taken after it are not considered. */
  readonly at: Date;
}

/**
 * Verifies every source, one after the other (memory stays that of one object's stream), and never stops at a
 * failure: a source whose verification throws (S3 access, KMS, a read that breaks) is reported `failed` with its
 * `error`, and the others are still verified. The caller decides what an error means (the handler fails the
 * invocation after its side effects).
 */
export async function verifyBackups(
  deps: SourceVerifierDependencies & { readonly logger?: PipelineLogger },
  request: VerifyBackupsRequest,
): Promise<VerificationReport> {
  const sources: SourceReport[] = [];
  for (const source of request.sources) {
    const progress: SourceProgress = { checks: [] };
    try {
      sources.push(await verifySource(deps, source, request.at, progress));
    } catch (error) {
      deps.logger?.error('backup verification of a source could not complete', {
        source: source.name,
        error,
      });
      sources.push(errorReport(source, progress, error));
    }
  }
  return buildReport({ env: request.env, at: request.at.toISOString(), bucket: deps.bucket, sources });
}
