import type { Command } from 'commander';
import { DeleteObjectsCommand, type S3Client } from '@aws-sdk/client-s3';
import type { BucketPurpose } from '../../lib/config/naming';
import { TEST_PREFIX } from '../../core/backup/backup-layout';
import { TAG_KEYS } from '../../core/contracts/object-tags';
import { PROCESSED_PREFIX, QUARANTINE_PREFIX, UPLOADS_PREFIX } from '../../core/contracts/upload-key';
import { formatAge, formatBytes } from './backup/human-format';
import { parseConcurrency } from './report';
import { UsageError } from '../shared/usage-error';
import { createOpsClients } from '../shared/aws-clients';
import { clockOf, type CommandIo } from '../shared/command-io';
import { mapWithConcurrency } from '../shared/concurrency';
import { resolveConnection, withConnectionOptions, type ConnectionOptions } from '../shared/connection';
import { discoverEnvBuckets, requireBuckets } from '../shared/env-buckets';
import { runCommand } from '../shared/failures';
import { isManifestKey, MANIFEST_SUFFIX, objectKeyOfManifest } from '../shared/key-layout';
import { collect, listObjects, type ObjectEntry } from '../shared/object-listing';
import { readObjectTags } from '../shared/object-tags';
import { describeError, isActionable } from '../shared/service-error';

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

/** S3's limit of keys per DeleteObjects request. */
export const DELETE_BATCH_SIZE = 1000;

export interface CleanupOptions extends ConnectionOptions {
  /** Only objects last modified more than this many days ago. Required. */
  readonly olderThan?: string;
  /** Only keys starting with this prefix. Default: every key in each bucket's scope. */
  readonly prefix?: string;
  /** Buckets to clean (repeatable, or comma-separated). Default: uploads and processed. */
  readonly bucket?: readonly string[];
  /** Print what would be deleted and delete nothing; wins over --yes. Default: dry run unless --yes. */
  readonly dryRun?: boolean;
  /** Delete (without it, cleanup is a dry run). Default: false. */
  readonly yes?: boolean;
  /** Object tag lookups in flight. Default 16. */
  readonly concurrency?: string;
}

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

export interface DeleteFailure {
  readonly bucket: string;
  readonly key: string;
  readonly error: string;
}

/**
 * Deletes the keys in DeleteObjects batches of at most 1000 (a delete marker in versioned buckets: the data stays a
 * noncurrent version until the lifecycle expires it). Returns the keys deleted and every per-key error; a batch the
 * service refuses as a whole fails each of its keys with that error.
 */
export async function deleteKeys(
  s3: S3Client,
  bucket: string,
  keys: readonly string[],
): Promise<{ deleted: string[]; failed: DeleteFailure[] }> {
  const deleted: string[] = [];
  const failed: DeleteFailure[] = [];
  for (let i = 0; i < keys.length; i += DELETE_BATCH_SIZE) {
    const batch = keys.slice(i, i + DELETE_BATCH_SIZE);
    try {
      const out = await s3.send(
        new DeleteObjectsCommand({
          Bucket: bucket,
          Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: false },
        }),
      );
      const errors = new Map(
        (out.Errors ?? []).map((e) => [e.Key ?? '', `${e.Code ?? 'Error'}: ${e.Message ?? ''}`]),
      );
      for (const key of batch) {
        const error = errors.get(key);
        if (error !== undefined) failed.push({ bucket, key, error });
        else deleted.push(key);
      }
    } catch (error) {
      if (!isActionable(error)) throw error;
      const message = `DeleteObjects failed: ${describeError(error)}`;
      for (const key of batch) failed.push({ bucket, key, error: message });
    }
  }
  return { deleted, failed };
}

function parseBuckets(values: readonly string[] | undefined): CleanupBucket[] {
  if (values === undefined || values.length === 0) return [...DEFAULT_CLEANUP_BUCKETS];
  const names = values
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter((v) => v !== '');
  for (const name of names) {
    if (!(CLEANUP_BUCKETS as readonly string[]).includes(name)) {
      throw new UsageError(`--bucket must be one of ${CLEANUP_BUCKETS.join(', ')}, got '${name}'`);
    }
  }
  return CLEANUP_BUCKETS.filter((b) => names.includes(b));
}

function parseDays(value: string | undefined): number {
  if (value === undefined) throw new UsageError('--older-than DAYS is required (e.g. --older-than 30)');
  const days = Number(value);
  if (value.trim() === '' || !Number.isFinite(days) || days < 0) {
    throw new UsageError(`--older-than must be a number of days (0 or more), got '${value}'`);
  }
  return days;
}

/**
 * `stowage cleanup --older-than DAYS [--prefix P] [--bucket B]… [--dry-run] [--yes]`: finds stranded uploads,
 * processed orphans and (when named) quarantine past the cutoff and backups' `test/` objects; prints them and the
 * total, and deletes them only with --yes (never with --dry-run). Exit 1 when any delete failed.
 */
export async function runCleanupCommand(options: CleanupOptions, io: CommandIo): Promise<number> {
  const connection = resolveConnection(options, io.env);
  const days = parseDays(options.olderThan);
  const scope = parseBuckets(options.bucket);
  const concurrency = parseConcurrency(options.concurrency);
  const apply = options.yes === true && options.dryRun !== true;
  return runCommand('cleanup', io.err, async () => {
    const clients = (io.createClients ?? createOpsClients)(connection);
    try {
      const discovery = await discoverEnvBuckets(clients.s3, {
        envName: connection.config.envName,
        purposes: scope,
        explicit: connection.explicitBuckets,
        region: connection.endpoint ? undefined : connection.region,
      });
      const buckets = requireBuckets(discovery, scope);
      const now = clockOf(io)();
      const cutoff = new Date(now.getTime() - days * 86_400_000);
      const selection = await findCleanupCandidates(clients.s3, buckets, {
        scope,
        prefix: options.prefix,
        cutoff,
        days,
        concurrency,
      });
      return await printAndDelete(clients.s3, selection, {
        apply,
        now,
        days,
        io,
        scope,
        noncurrentDays: connection.config.lifecycle.noncurrentVersionExpirationDays,
      });
    } finally {
      clients.destroy();
    }
  });
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

async function printAndDelete(
  s3: S3Client,
  selection: Selection,
  context: {
    apply: boolean;
    now: Date;
    days: number;
    io: CommandIo;
    scope: readonly CleanupBucket[];
    noncurrentDays: number;
  },
): Promise<number> {
  const { io, now } = context;
  const { candidates, kept } = selection;
  io.out(
    `${context.apply ? 'Deleting' : 'Dry run: would delete'} objects older than ${context.days} days in ` +
      `${context.scope.join(', ')}${context.apply ? '' : ' (nothing is deleted without --yes)'}`,
  );
  for (const c of candidates) {
    io.out(
      `${context.apply ? 'delete' : 'would delete'}  s3://${c.bucket}/${c.key}  ${formatBytes(c.size)}  ` +
        `${formatAge(c.lastModified, now)}  ${c.reason}`,
    );
  }
  for (const k of kept) io.out(`kept  s3://${k.bucket}/${k.key}  ${k.reason}`);
  const bytes = candidates.reduce((sum, c) => sum + c.size, 0);
  const perBucket = context.scope
    .map((p) => `${p} ${candidates.filter((c) => c.purpose === p).length}`)
    .join(', ');
  if (!context.apply) {
    io.out(`Total: ${candidates.length} objects, ${formatBytes(bytes)} would be deleted (${perBucket})`);
    if (candidates.length > 0) io.out('Run again with --yes to delete them.');
    return 0;
  }
  const failures: DeleteFailure[] = [];
  let deleted = 0;
  const byBucket = new Map<string, string[]>();
  for (const c of candidates) {
    const keys = byBucket.get(c.bucket) ?? [];
    keys.push(c.key);
    byBucket.set(c.bucket, keys);
  }
  for (const [bucket, keys] of byBucket) {
    const result = await deleteKeys(s3, bucket, keys);
    deleted += result.deleted.length;
    failures.push(...result.failed);
  }
  for (const f of failures) io.err(`stowage cleanup: failed to delete s3://${f.bucket}/${f.key}: ${f.error}`);
  io.out(
    `Total: deleted ${deleted} of ${candidates.length} objects (${formatBytes(bytes)} selected, ${perBucket})` +
      `${failures.length > 0 ? `; ${failures.length} failed` : ''}`,
  );
  if (deleted > 0) {
    io.out(
      `Versioned buckets keep deleted data as noncurrent versions for ` +
        `${context.noncurrentDays} days (lifecycle), then it expires.`,
    );
  }
  return failures.length > 0 ? 1 : 0;
}

function collectValues(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** Registers `stowage cleanup` on the program; `io` is built once by the CLI from the process. */
export function registerCleanupCommand(program: Command, io: () => CommandIo): void {
  withConnectionOptions(program.command('cleanup'))
    .summary('find and delete stranded uploads and orphans (dry run unless --yes)')
    .description(
      'Find stranded uploads and processed orphans (and, when named, old quarantine and backups test/ objects) ' +
        'older than DAYS. Dry run by default: deletes only with --yes. Exit 0 done, 1 a delete failed, 2 usage.',
    )
    .option('--older-than <days>', 'only objects last modified more than DAYS days ago (required)')
    .option('--prefix <prefix>', 'only keys starting with this prefix')
    .option(
      '--bucket <name>',
      `bucket to clean, repeatable: ${CLEANUP_BUCKETS.join('|')} (default: uploads and processed)`,
      collectValues,
    )
    .option('--dry-run', 'print what would be deleted; delete nothing (wins over --yes)')
    .option('--yes', 'delete the selected objects')
    .option('--concurrency <n>', 'object tag lookups in flight (default 16)')
    .action(async (options: CleanupOptions) => {
      process.exitCode = await runCleanupCommand(options, io());
    });
}
