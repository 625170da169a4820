import type { BucketPurpose } from '../../../lib/config/naming';
import { formatBytes, formatDuration } from '../backup/human-format';
import { abortCommandFor, listIncompleteUploads } from '../backup/incomplete-uploads';
import { fail, pass, type CheckResult, type DoctorContext } from './check';

export const MULTIPART_CHECK_NAME = 'incomplete multipart uploads';

/** Younger than this, an incomplete upload is most likely a push still running. */
const IN_PROGRESS_SECONDS = 3600;

/**
 * Incomplete multipart uploads in each reachable bucket, with age and size: stored and billed until aborted (or
 * until the lifecycle rule's AbortIncompleteMultipartUpload, days later). FAIL for any older than an hour; younger
 * ones are reported as probably in progress.
 */
export async function incompleteUploadsCheck(
  ctx: DoctorContext,
  buckets: Readonly<Partial<Record<BucketPurpose, string>>>,
  reachable: ReadonlySet<BucketPurpose>,
): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  for (const purpose of reachable) {
    const bucket = buckets[purpose];
    if (bucket === undefined) continue;
    const name = `${purpose}: ${MULTIPART_CHECK_NAME}`;
    const uploads = await listIncompleteUploads(ctx.s3, bucket, ctx.now());
    const stale = uploads.filter((u) => (u.ageSeconds ?? Infinity) >= IN_PROGRESS_SECONDS);
    const recent = uploads.length - stale.length;
    const recentNote = recent > 0 ? `; ${recent} younger than an hour (probably in progress)` : '';
    if (stale.length === 0) {
      results.push(pass(name, `none left behind${recentNote}`));
      continue;
    }
    const listed = stale
      .slice(0, 5)
      .map(
        (u) =>
          `${u.key} (upload ${u.uploadId}, ${u.parts} parts, ${formatBytes(u.bytes)}, ` +
          `${u.ageSeconds === undefined ? 'age unknown' : `${formatDuration(u.ageSeconds)} old`})`,
      );
    const bytes = stale.reduce((sum, u) => sum + u.bytes, 0);
    results.push(
      fail(
        name,
        `${stale.length} incomplete upload(s), ${formatBytes(bytes)} billed: ${listed.join('; ')}` +
          `${stale.length > 5 ? `; and ${stale.length - 5} more` : ''}${recentNote}`,
        `abort each, e.g. ${abortCommandFor(stale[0]!)}`,
      ),
    );
  }
  return results;
}
