import { z } from 'zod';

import { SOURCE_NAME_PATTERN } from '../../core/backup/backup-layout';
import type { BackupSourceConfig } from '../../core/backup/backup-source';
import {
  runNightlyVerification,
  type NightlyVerificationDependencies,
} from '../../core/backup/verify/nightly-verification';
import type { VerificationReport } from '../../core/backup/verify/verification-report';
import { describeIssues, InvalidEventError } from '../../core/events/invalid-event-error';

/** A direct invocation that re-verifies one source (the operations handler), optionally at a given time. */
const reverifySchema = z.object({
  source: z.string().regex(SOURCE_NAME_PATTERN, 'a source name'),
  at: z.iso.datetime({ offset: true, message: 'an ISO 8601 time, e.g. 2026-11-23T05:00:00Z' }).optional(),
});

export type BackupVerifyEvent = unknown;

export interface BackupVerifyHandlerDependencies
  extends Omit<NightlyVerificationDependencies, 'metrics'>, Pick<NightlyVerificationDependencies, 'metrics'> {
  readonly sources: readonly BackupSourceConfig[];
  /** Clock, for tests. */
  readonly now?: () => Date;
}

/**
 * The backup verification handler. An EventBridge Scheduler invocation (any payload without `source`, or an
 * EventBridge-shaped event with `detail-type`/`detail`) verifies
 * every configured source now and writes the day's report; `{ "source": "name", "at"?: "ISO time" }` re-verifies
 * one source (at that time) and merges it into that day's report. Returns the report of this run; throws
 * (after writing the report and notifying) when a source could not be verified or a side effect failed.
 */
export function createBackupVerifyHandler(
  deps: BackupVerifyHandlerDependencies,
): (event: BackupVerifyEvent) => Promise<VerificationReport> {
  const now = deps.now ?? (() => new Date());
  return async (event) => {
    if (!isReverification(event)) {
      return runNightlyVerification(deps, { sources: deps.sources, at: now() });
    }
    const parsed = reverifySchema.safeParse(event);
    if (!parsed.success) {
      throw new InvalidEventError(`invalid re-verification request: ${describeIssues(parsed.error.issues)}`);
    }
    const source = deps.sources.find((candidate) => candidate.name === parsed.data.source);
    if (!source) {
      const known = deps.sources.map((candidate) => candidate.name).join(', ');
      throw new InvalidEventError(
        `source: unknown backup source '${parsed.data.source}' (configured: ${known})`,
      );
    }
    const at = parsed.data.at ? new Date(parsed.data.at) : now();
    return runNightlyVerification(deps, { sources: [source], at, merge: true });
  };
}

/** A direct invocation names a `source`; an EventBridge-shaped event (its `source` is e.g. `aws.scheduler`) does not count. */
function isReverification(event: unknown): event is Record<string, unknown> {
  if (typeof event !== 'object' || event === null || Array.isArray(event)) return false;
  return 'source' in event && !('detail-type' in event) && !('detail' in event);
}
