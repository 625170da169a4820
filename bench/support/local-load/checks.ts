/**
 * What the load test checks after the run, against storage and local mode's own state: each final upload stored
 * exactly once as one version, the status records matching storage (auditUpload), nothing left under uploads/ and
 * no dead letters. Each check returns its problems as lines; settle() waits for the pipeline to go quiet first.
 */
import { ListObjectsV2Command, ListObjectVersionsCommand, type S3Client } from '@aws-sdk/client-s3';

import { PROCESSED_PREFIX, QUARANTINE_PREFIX, UPLOADS_PREFIX } from '../../../core/contracts/upload-key';
import type { LocalQueue } from '../../../local/events/local-queue';
import { FileStatusStore } from '../../../local/runtime/file-status-store';
import { dataDirPaths } from '../../../local/runtime/local-data-dir';
import type { LocalMode } from '../../../local/runtime/local-mode';
import { auditUpload } from '../../../test/integration/upload-audit';
import { EXPECTED, POSTS, reachedExpected, type Upload } from './workload';

/** Uploads that failed, or ended in a status their kind must not reach. */
export function unexpectedOutcomes(uploads: readonly Upload[]): string[] {
  return uploads
    .filter((u) => u.failure !== undefined || !reachedExpected(u))
    .map(
      (u) =>
        `upload ${u.index} (${u.kind}): ${u.failure ?? `ended ${u.final}, expected ${EXPECTED[u.kind].join(' or ')}`}`,
    );
}

/** Every version under a prefix: key → number of versions (delete markers excluded). */
async function versionCounts(s3: S3Client, bucket: string, prefix: string): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  let keyMarker: string | undefined;
  let versionIdMarker: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectVersionsCommand({
        Bucket: bucket,
        Prefix: prefix,
        KeyMarker: keyMarker,
        VersionIdMarker: versionIdMarker,
      }),
    );
    for (const version of page.Versions ?? []) counts.set(version.Key!, (counts.get(version.Key!) ?? 0) + 1);
    keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
    versionIdMarker = page.IsTruncated ? page.NextVersionIdMarker : undefined;
  } while (keyMarker);
  return counts;
}

/** Each processed / quarantined upload must be there exactly once, as exactly one version. */
export async function duplicates(
  s3: S3Client,
  local: LocalMode,
  uploads: readonly Upload[],
): Promise<string[]> {
  const problems: string[] = [];
  const processed = await versionCounts(s3, local.buckets.processed, PROCESSED_PREFIX);
  const quarantined = await versionCounts(s3, local.buckets.quarantine, QUARANTINE_PREFIX);
  for (const upload of uploads) {
    if (!upload.uploadId || !upload.final || upload.final === 'error') continue;
    const where = upload.final === 'processed' ? processed : quarantined;
    const keys = [...where.keys()].filter(
      // A reused form's later versions have their own keys under form-reused/ (checked by the audit).
      (key) =>
        key.includes(upload.uploadId!) && !key.endsWith('.manifest.json') && !key.includes('/form-reused/'),
    );
    if (keys.length !== 1) problems.push(`upload ${upload.index}: ${keys.length} objects in ${upload.final}`);
    for (const key of keys) {
      if (where.get(key) !== 1)
        problems.push(`upload ${upload.index}: ${key} has ${where.get(key)} versions`);
    }
  }
  return problems;
}

/** Waits (up to 60 s) until nothing is left under uploads/ and every queue is idle. */
export async function settle(s3: S3Client, local: LocalMode): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    await Promise.all(Object.values(local.intake.queues).map((queue: LocalQueue) => queue.idle()));
    const page = await s3.send(
      new ListObjectVersionsCommand({ Bucket: local.buckets.uploads, Prefix: UPLOADS_PREFIX, MaxKeys: 1 }),
    );
    if ((page.Versions ?? []).length === 0 || Date.now() > deadline) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Each upload's status record against storage (auditUpload): nothing left in uploads, every POSTed version in exactly
 * one final place, processed/<id> only the bound version's bytes, and status, verdict, SHA-256 and bound version the
 * same in the record as in the bucket. Records are read from local mode's own status store (its data directory).
 */
export async function statusMismatches(
  s3: S3Client,
  local: LocalMode,
  uploads: readonly Upload[],
): Promise<string[]> {
  const store = new FileStatusStore({ dir: dataDirPaths(local.dataDir).status });
  const problems: string[] = [];
  for (const upload of uploads) {
    if (!upload.uploadId) continue;
    const record = await store.get(upload.uploadId);
    if (!record) {
      problems.push(`upload ${upload.index}: no status record`);
      continue;
    }
    const audit = await auditUpload(s3, local.buckets, {
      uploadId: record.uploadId,
      uploadKey: record.uploadKey,
      status: record.status,
      ...(record.verdict
        ? { verdictStatus: record.verdict.status, verdictSha256: record.verdict.sha256 }
        : {}),
      ...(record.manifest ? { manifestSha256: record.manifest.sha256 } : {}),
      ...(record.processedKey ? { processedKey: record.processedKey } : {}),
      ...(record.quarantineKey ? { quarantineKey: record.quarantineKey } : {}),
      ...(record.sourceVersionId ? { sourceVersionId: record.sourceVersionId } : {}),
    });
    if (audit.versionsPlaced !== POSTS[upload.kind]) {
      audit.problems.push(`${audit.versionsPlaced} version(s) placed, ${POSTS[upload.kind]} POSTed`);
    }
    problems.push(...audit.problems.map((problem) => `upload ${upload.index} (${upload.kind}): ${problem}`));
  }
  return problems;
}

/** Uploads the pipeline did not move: every one of them is stranded. */
export async function leftovers(s3: S3Client, local: LocalMode): Promise<string[]> {
  const page = await s3.send(
    new ListObjectsV2Command({ Bucket: local.buckets.uploads, Prefix: UPLOADS_PREFIX }),
  );
  return (page.Contents ?? []).map((object) => `left in uploads: ${object.Key}`);
}

export function deadLetters(local: LocalMode): string[] {
  return Object.entries(local.intake.queues).flatMap(([name, queue]: [string, LocalQueue]) =>
    queue.deadLettered.map((letter) => `dead letter in ${name}: ${letter.lastError}`),
  );
}
