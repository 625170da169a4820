import {
  CopyObjectCommand,
  HeadObjectCommand,
  type HeadObjectCommandOutput,
  type S3Client,
} from '@aws-sdk/client-s3';
import { parseBackupKey } from '../../../core/backup/backup-layout';
import { isInvalidArgument, isNotImplemented, isObjectMissing } from '../../../core/aws/s3-errors';
import { UsageError } from '../../shared/usage-error';
import { createBackupClients, type BackupCommandIo } from './backup-client';
import { resolveBackupConfig, type ConnectionOptions } from './backup-config';
import { EXIT, CommandFailure } from '../../shared/command-io';
import {
  ARCHIVE_CLASSES,
  backupObjectInfo,
  describeRestore,
  isArchiveClass,
  type ArchiveClass,
} from './backup-object';
import { toBackupFailure } from './service-errors';

export interface BackupArchiveOptions extends ConnectionOptions {
  /** Target class: GLACIER or DEEP_ARCHIVE. */
  readonly class: string;
}

/** A single CopyObject copies at most 5 GiB. */
const MAX_COPY_BYTES = 5 * 1024 ** 3;

/** Checks KEY is a backup key; the message names the layout. */
export function requireBackupKey(key: string): void {
  if (!parseBackupKey(key)) {
    throw new UsageError(
      `'${key}' is not a backup key (backups/<source>/<yyyymmdd>/<source>_<yyyymmdd_hhmmss>.<ext>): ` +
        'see `stowage backup list`',
    );
  }
}

/**
 * `stowage backup archive KEY --class GLACIER|DEEP_ARCHIVE`: moves a backup to an archive class by copying the
 * version HeadObject saw onto the same key (metadata kept, SSE-KMS kept with the same key), then checks the new
 * current version (class, size, metadata) before reporting success.
 *
 * The copy is a new version: the previous version (every Stowage bucket is versioned) is neither deleted nor
 * changed. It stays, noncurrent and in its old class, until the bucket's noncurrent-version expiration removes it:
 * the way back if anything is wrong with the archived copy, billed in its old class until then. Its id is printed.
 *
 * An object already in the target class is left alone (exit 0). An archived object is not moved to another
 * archive class unless a restored copy of it is available (AWS refuses to copy it otherwise).
 */
export async function runBackupArchiveCommand(
  key: string,
  options: BackupArchiveOptions,
  io: BackupCommandIo,
): Promise<number> {
  const config = resolveBackupConfig(options, io.env);
  requireBackupKey(key);
  const target = options.class?.toUpperCase();
  if (!isArchiveClass(target)) {
    throw new UsageError(`--class must be ${ARCHIVE_CLASSES.join(' or ')}, got '${options.class}'`);
  }
  const clients = (io.createClients ?? createBackupClients)(config);
  try {
    const head = await headOrMissing(clients.s3, config.bucket, key);
    const current = head.StorageClass ?? 'STANDARD';
    if (current === target) {
      io.err(`${key} is already in ${target}: nothing to do`);
      return EXIT.OK;
    }
    const restore = backupObjectInfo(head).restore;
    if (restore && restore.state !== 'restored') {
      throw new CommandFailure(
        `${key} is in ${current} (${describeRestore(restore)}): an archived object can only change class once ` +
          `restored (stowage backup restore ${key} --days N)`,
      );
    }
    if ((head.ContentLength ?? 0) > MAX_COPY_BYTES) {
      throw new CommandFailure(
        `${key} is larger than 5 GiB, the limit of a single CopyObject: use a lifecycle rule to archive it`,
      );
    }
    const copiedVersion = await copyToClass(key, target, head, config.bucket, clients.s3);
    const archived = await clients.s3.send(
      new HeadObjectCommand({
        Bucket: config.bucket,
        Key: key,
        ...(copiedVersion ? { VersionId: copiedVersion } : {}),
      }),
    );
    checkArchivedCopy(key, target, head, archived);
    const previous = head.VersionId
      ? `; previous version ${head.VersionId} kept (noncurrent, ${current}) until noncurrent versions expire`
      : '';
    io.err(`${key}: ${current} → ${target}${previous}`);
    return EXIT.OK;
  } catch (error) {
    const failure = toBackupFailure('archive', error);
    if (!failure) throw error;
    io.err(`stowage backup archive: ${failure.message}`);
    return EXIT.FAILED;
  } finally {
    clients.destroy();
  }
}

/** HeadObject of a backup the user named: a missing one is a failure that says so. */
export async function headOrMissing(
  s3: S3Client,
  bucket: string,
  key: string,
): Promise<HeadObjectCommandOutput> {
  try {
    return await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
  } catch (error) {
    if (isObjectMissing(error)) {
      throw new CommandFailure(`no backup ${key} in s3://${bucket}: see \`stowage backup list\``, {
        cause: error,
      });
    }
    throw error;
  }
}

/** Copies the version `head` describes onto the key in `target`; returns the new version's id when told. */
async function copyToClass(
  key: string,
  target: ArchiveClass,
  head: HeadObjectCommandOutput,
  bucket: string,
  s3: S3Client,
): Promise<string | undefined> {
  // The version HeadObject saw, not whatever is current when the copy runs (Ceph RGW ignores CopySourceIfMatch).
  const source = `${bucket}/${encodeURIComponent(key).replace(/%2F/g, '/')}`;
  try {
    const copied = await s3.send(
      new CopyObjectCommand({
        Bucket: bucket,
        Key: key,
        CopySource: head.VersionId ? `${source}?versionId=${encodeURIComponent(head.VersionId)}` : source,
        StorageClass: target,
        MetadataDirective: 'COPY',
        ...(head.ServerSideEncryption === 'aws:kms'
          ? {
              ServerSideEncryption: 'aws:kms',
              SSEKMSKeyId: head.SSEKMSKeyId,
              BucketKeyEnabled: head.BucketKeyEnabled,
            }
          : {}),
      }),
    );
    return copied.VersionId;
  } catch (error) {
    if (isNotImplemented(error)) {
      throw new CommandFailure(
        `the server cannot copy ${key} onto itself (S3-compatible servers such as Ceph RGW do not copy SSE-KMS ` +
          'objects): archive on AWS S3 or with a lifecycle rule; the object is unchanged',
        { cause: error },
      );
    }
    if (isInvalidArgument(error)) {
      throw new CommandFailure(
        `the server refused storage class ${target} (400 InvalidArgument): S3-compatible servers such as Ceph ` +
          'RGW only accept the storage classes defined in their zone placement; the object is unchanged',
        { cause: error },
      );
    }
    throw error;
  }
}

/** The new current version must be the same backup in the target class: same size, same metadata. */
function checkArchivedCopy(
  key: string,
  target: ArchiveClass,
  before: HeadObjectCommandOutput,
  after: HeadObjectCommandOutput,
): void {
  const problems: string[] = [];
  const storageClass = after.StorageClass ?? 'STANDARD';
  if (storageClass !== target) problems.push(`its storage class is ${storageClass}`);
  if (after.ContentLength !== before.ContentLength) {
    problems.push(`it has ${after.ContentLength ?? '?'} bytes instead of ${before.ContentLength ?? '?'}`);
  }
  const wanted = before.Metadata ?? {};
  const got = after.Metadata ?? {};
  for (const name of new Set([...Object.keys(wanted), ...Object.keys(got)])) {
    if (wanted[name] !== got[name]) {
      problems.push(
        `metadata ${name} is ${JSON.stringify(got[name] ?? null)}, was ${JSON.stringify(wanted[name] ?? null)}`,
      );
    }
  }
  if (problems.length > 0) {
    const kept = before.VersionId
      ? `the previous version ${before.VersionId} is kept`
      : 'nothing was deleted';
    throw new CommandFailure(
      `the archived copy of ${key} does not match the original (${problems.join('; ')}): ${kept}`,
    );
  }
}
