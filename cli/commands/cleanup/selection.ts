/**
 * What `stowage cleanup` selects: the buckets and key scopes it may touch, the rule per bucket (stranded uploads,
 * processed orphans, old quarantine and backups' test objects) and the listing that feeds them.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import type { BucketPurpose } from '../../../lib/config/naming';
import { TEST_PREFIX } from '../../../core/backup/backup-layout';
import { TAG_KEYS } from '../../../core/contracts/object-tags';
import { PROCESSED_PREFIX, QUARANTINE_PREFIX, UPLOADS_PREFIX } from '../../../core/contracts/upload-key';
import { mapWithConcurrency } from '../../shared/concurrency';
import { isManifestKey, MANIFEST_SUFFIX, objectKeyOfManifest } from '../../shared/key-layout';
import { collect, listObjects, type ObjectEntry } from '../../shared/object-listing';
import { readObjectTags } from '../../shared/object-tags';

/** The buckets cleanup may touch; quarantine and backups only when named. */
export const CLEANUP_BUCKETS = ['uploads', 'processed', 'quarantine', 'backups'] as const;
export type CleanupBucket = (typeof CLEANUP_BUCKETS)[number] & BucketPurpose;
export const DEFAULT_CLEANUP_BUCKETS: readonly CleanupBucket[] = ['uploads', 'processed'];

/** The part of each bucket cleanup ever looks at (docs/architecture.md key layout); nothing outside it is deleted. */
export const CLEANUP_SCOPES: Readonly<Record<CleanupBucket, string>> = {
  uploads: UPLOADS_PREFIX,
  processed: PROCESSED_PREFIX,
  quarantine: QUARANTINE_PREFIX,
  backups: TEST_PREFIX,
};

/** An object cleanup selected, and why. */
export interface CleanupCandidate {
  readonly purpose: CleanupBucket;
  readonly bucket: string;
  readonly key: string;
  readonly size: number;
  readonly lastModified: Date;
  readonly reason: string;
}

/** An old object cleanup looked at and deliberately left alone, and why. */
export interface KeptObject {
  readonly purpose: CleanupBucket;
  readonly bucket: string;
  readonly key: string;
  readonly reason: string;
}

export interface Selection {
  readonly candidates: CleanupCandidate[];
  readonly kept: KeptObject[];
}

/** True when the object was last modified before the cutoff (objects without a date are never old). */
function isOlder(object: ObjectEntry, cutoff: Date): object is ObjectEntry & { lastModified: Date } {
  return object.lastModified !== undefined && object.lastModified.getTime() < cutoff.getTime();
}

/**
 * Old uploads never processed: the pipeline removes an upload once it is processed or quarantined, so whatever is
 * left past the cutoff is stranded. INFECTED and SUSPICIOUS ones are kept: they still await their quarantine move,
 * and deleting them would destroy the evidence a reviewer needs. `tags` maps each old key to its tags (undefined:
 * gone since the listing, so nothing to delete).
 */
export function selectUploads(
  bucket: string,
  objects: readonly ObjectEntry[],
  tags: ReadonlyMap<string, Readonly<Record<string, string>> | undefined>,
  cutoff: Date,
): Selection {
  const selection: Selection = { candidates: [], kept: [] };
  for (const object of objects) {
    if (!isOlder(object, cutoff) || !tags.has(object.key)) continue;
    const objectTags = tags.get(object.key);
    if (objectTags === undefined) continue;
    const status = objectTags[TAG_KEYS.status] || 'PENDING';
    if (status === 'INFECTED' || status === 'SUSPICIOUS') {
      selection.kept.push({
        purpose: 'uploads',
        bucket,
        key: object.key,
        reason: `${status}: awaiting its quarantine move (redrive the quarantine queue, or review and delete by hand)`,
      });
      continue;
    }
    const reason =
      status === 'PENDING'
        ? 'never scanned (no verdict)'
        : status === 'ERROR'
          ? 'scan failed (ERROR), never processed'
          : status === 'CLEAN'
            ? 'CLEAN but never processed'
            : `never processed (scan-status ${status})`;
    selection.candidates.push({ purpose: 'uploads', bucket, ...entryOf(object), reason });
  }
  return selection;
}

/**
 * Orphans in processed: objects past the cutoff without their `<key>.manifest.json`, and manifests past the cutoff
 * without their object. `objects` must be the complete listing of the prefix (both halves of a pair share it).
 */
export function selectProcessedOrphans(
  bucket: string,
  objects: readonly ObjectEntry[],
  cutoff: Date,
): Selection {
  const keys = new Set(objects.map((o) => o.key));
  const candidates: CleanupCandidate[] = [];
  for (const object of objects) {
    if (!isOlder(object, cutoff)) continue;
    if (isManifestKey(object.key)) {
      if (!keys.has(objectKeyOfManifest(object.key))) {
        candidates.push({
          purpose: 'processed',
          bucket,
          ...entryOf(object),
          reason: 'manifest without its object',
        });
      }
    } else if (!keys.has(`${object.key}${MANIFEST_SUFFIX}`)) {
      candidates.push({
        purpose: 'processed',
        bucket,
        ...entryOf(object),
        reason: 'processed object without its manifest',
      });
    }
  }
  return { candidates, kept: [] };
}

/** Every object past the cutoff, with one reason (quarantine past its review window, backups' `test/` objects). */
export function selectOld(
  purpose: CleanupBucket,
  bucket: string,
  objects: readonly ObjectEntry[],
  cutoff: Date,
  reason: string,
): Selection {
  return {
    candidates: objects
      .filter((o) => isOlder(o, cutoff))
      .map((o) => ({ purpose, bucket, ...entryOf(o), reason })),
    kept: [],
  };
}

function entryOf(object: ObjectEntry & { lastModified: Date }) {
  return { key: object.key, size: object.size, lastModified: object.lastModified };
}

/**
 * The listing prefix for a bucket: the user's --prefix narrowed to the bucket's scope; undefined when they do not
 * overlap (nothing to list).
 */
export function effectivePrefix(scope: string, prefix: string | undefined): string | undefined {
  if (prefix === undefined || prefix === '') return scope;
  if (prefix.startsWith(scope)) return prefix;
  if (scope.startsWith(prefix)) return scope;
  return undefined;
}

export interface FindCandidatesOptions {
  /** Buckets to look in. */
  readonly scope: readonly CleanupBucket[];
  /** --prefix. Default: each bucket's whole scope. */
  readonly prefix?: string;
  /** Objects last modified before this are old. */
  readonly cutoff: Date;
  /** --older-than, for reasons. */
  readonly days: number;
  /** Tag lookups in flight. */
  readonly concurrency: number;
  /** Listing page size. Default: the server's. */
  readonly pageSize?: number;
}

/** Lists each bucket in scope (paginated) and selects what cleanup would delete, and what it keeps on purpose. */
export async function findCleanupCandidates(
  s3: S3Client,
  buckets: Readonly<Partial<Record<CleanupBucket, string>>>,
  options: FindCandidatesOptions,
): Promise<Selection> {
  const selection: Selection = { candidates: [], kept: [] };
  for (const purpose of options.scope) {
    const bucket = buckets[purpose];
    if (bucket === undefined) throw new Error(`no ${purpose} bucket to clean`);
    const part = await selectIn(s3, purpose, bucket, {
      ...options,
      prefix: effectivePrefix(CLEANUP_SCOPES[purpose], options.prefix),
    });
    selection.candidates.push(...part.candidates);
    selection.kept.push(...part.kept);
  }
  return selection;
}

async function selectIn(
  s3: S3Client,
  purpose: CleanupBucket,
  bucket: string,
  options: Omit<FindCandidatesOptions, 'scope'>,
): Promise<Selection> {
  if (options.prefix === undefined) return { candidates: [], kept: [] };
  const objects = await collect(listObjects(s3, bucket, options.prefix, options.pageSize));
  switch (purpose) {
    case 'uploads': {
      const old = objects.filter((o) => isOlder(o, options.cutoff));
      const tags = await mapWithConcurrency(old, options.concurrency, (o) =>
        readObjectTags(s3, bucket, o.key),
      );
      return selectUploads(bucket, old, new Map(old.map((o, i) => [o.key, tags[i]])), options.cutoff);
    }
    case 'processed':
      return selectProcessedOrphans(bucket, objects, options.cutoff);
    case 'quarantine':
      return selectOld(
        purpose,
        bucket,
        objects,
        options.cutoff,
        `quarantined more than ${options.days} days ago`,
      );
    case 'backups':
      return selectOld(purpose, bucket, objects, options.cutoff, 'test object');
  }
}
