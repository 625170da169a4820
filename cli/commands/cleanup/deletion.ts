/** How `stowage cleanup` reports what it selected and, with --yes, deletes it (DeleteObjects in batches). */
import { DeleteObjectsCommand, type S3Client } from '@aws-sdk/client-s3';
import type { CommandIo } from '../../shared/command-io';
import { describeError, isActionable } from '../../shared/service-error';
import { formatAge, formatBytes } from '../backup/human-format';
import type { CleanupBucket, Selection } from './selection';

/** S3's limit of keys per DeleteObjects request. */
export const DELETE_BATCH_SIZE = 1000;

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

export async function printAndDelete(
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
