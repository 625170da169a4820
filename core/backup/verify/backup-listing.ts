import { paginateListObjectsV2, type S3Client } from '@aws-sdk/client-s3';

import { BACKUPS_PREFIX, DIGEST_MANIFEST_SUFFIX, parseBackupKey } from '../backup-layout';

/** A backup found by listing (by the verifier, and by `stowage backup list|pull|delete`), identified by its key. */
export interface ListedBackup {
  readonly key: string;
  /** The source its key names. */
  readonly source: string;
  readonly takenAt: Date;
  /** When the server stored it (the listing's LastModified), when known. */
  readonly storedAt?: Date;
}

/**
 * How far a key's timestamp may be after the object was stored before it counts as dated in the future: the
 * pusher's clock and the server's may differ a little; more than this is a wrong clock or a hand-made key.
 */
export const FUTURE_KEY_TOLERANCE_MS = 5 * 60_000;

/** Whether a backup's key claims a time later than the server stored it (beyond FUTURE_KEY_TOLERANCE_MS). */
export function isFutureDated(backup: ListedBackup): boolean {
  return (
    backup.storedAt !== undefined &&
    backup.takenAt.getTime() > backup.storedAt.getTime() + FUTURE_KEY_TOLERANCE_MS
  );
}

export interface BackupListing {
  /** The newest backup taken at or before `at`, if any. */
  readonly newest?: ListedBackup;
  /** Up to `historySize` backups before the newest, newest first. */
  readonly previous: readonly ListedBackup[];
  /** Keys under the source's prefix that are not in the layout. */
  readonly ignored: { readonly count: number; readonly examples: readonly string[] };
}

const IGNORED_EXAMPLES = 5;

/**
 * Lists `backups/<source>/` (every page) and keeps only what verification needs: the newest backup by the key's
 * timestamp and the `historySize` before it, so memory stays bounded however many backups exist. Backups taken
 * after `at` are not considered (a re-verification at an earlier time sees what existed then), unless the server
 * stored them at or before `at`: such a key is dated in the future (isFutureDated) and is a candidate like any
 * other, so the verifier reports it as such instead of passing over it.
 */
export async function listBackups(
  s3: S3Client,
  bucket: string,
  source: string,
  at: Date,
  historySize: number,
): Promise<BackupListing> {
  const kept: ListedBackup[] = []; // newest first, at most historySize + 1
  let ignoredCount = 0;
  const examples: string[] = [];
  const pages = paginateListObjectsV2(
    { client: s3 },
    { Bucket: bucket, Prefix: `${BACKUPS_PREFIX}${source}/` },
  );
  for await (const page of pages) {
    for (const object of page.Contents ?? []) {
      const key = object.Key ?? '';
      // A stdin backup's digest manifest sits next to it, outside the key pattern: part of the layout, not a backup.
      if (
        key.endsWith(DIGEST_MANIFEST_SUFFIX) &&
        parseBackupKey(key.slice(0, -DIGEST_MANIFEST_SUFFIX.length))
      ) {
        continue;
      }
      const parsed = parseBackupKey(key);
      if (!parsed || parsed.source !== source) {
        ignoredCount++;
        if (examples.length < IGNORED_EXAMPLES) examples.push(key);
        continue;
      }
      const storedAt = object.LastModified;
      const existedAt = storedAt !== undefined && storedAt.getTime() <= at.getTime();
      if (parsed.takenAt.getTime() > at.getTime() && !existedAt) continue;
      insertNewestFirst(
        kept,
        { key, source: parsed.source, takenAt: parsed.takenAt, ...(storedAt ? { storedAt } : {}) },
        historySize + 1,
      );
    }
  }
  const [newest, ...previous] = kept;
  return { ...(newest ? { newest } : {}), previous, ignored: { count: ignoredCount, examples } };
}

function insertNewestFirst(kept: ListedBackup[], backup: ListedBackup, limit: number): void {
  const index = kept.findIndex(
    (other) =>
      other.takenAt.getTime() < backup.takenAt.getTime() ||
      (other.takenAt.getTime() === backup.takenAt.getTime() && other.key < backup.key),
  );
  if (index === -1) {
    if (kept.length < limit) kept.push(backup);
    return;
  }
  kept.splice(index, 0, backup);
  if (kept.length > limit) kept.pop();
}
