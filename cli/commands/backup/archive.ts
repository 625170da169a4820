import { CopyObjectCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { parseBackupKey } from '../../../lambda/shared/backup/backup-layout';
import { isNotImplemented } from '../../../lambda/shared/pipeline/s3-errors';
import { UsageError } from '../scan';
import { createBackupClients } from './backup-client';
import { resolveBackupConfig, type ConnectionOptions } from './backup-config';
import { BACKUP_EXIT, BackupFailure, type BackupIo } from './backup-io';
import { ARCHIVE_CLASSES, isArchiveClass, type ArchiveClass } from './backup-object';
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
 * `stowage backup archive KEY --class GLACIER|DEEP_ARCHIVE`: moves a backup to an archive class by copying it onto
 * itself (metadata kept, SSE-KMS kept with the same key).
 */
export async function runBackupArchiveCommand(
  key: string,
  options: BackupArchiveOptions,
  io: BackupIo,
): Promise<number> {
  const config = resolveBackupConfig(options, io.env);
  requireBackupKey(key);
  const target = options.class?.toUpperCase();
  if (!isArchiveClass(target)) {
    throw new UsageError(`--class must be ${ARCHIVE_CLASSES.join(' or ')}, got '${options.class}'`);
  }
  const clients = (io.createClients ?? createBackupClients)(config);
  try {
    const head = await clients.s3.send(new HeadObjectCommand({ Bucket: config.bucket, Key: key }));
    const current = head.StorageClass ?? 'STANDARD';
    if (current === target) {
      io.err(`${key} is already in ${target}`);
      return BACKUP_EXIT.OK;
    }
    if (isArchiveClass(current)) {
      throw new BackupFailure(
        `${key} is in ${current}: restore it first (stowage backup restore), archive classes cannot be copied directly`,
      );
    }
    if ((head.ContentLength ?? 0) > MAX_COPY_BYTES) {
      throw new BackupFailure(
        `${key} is larger than 5 GiB, the limit of a single CopyObject: use a lifecycle rule to archive it`,
      );
    }
    await copyToClass(key, target, head, config.bucket, clients.s3);
    io.err(`${key}: ${current} → ${target}`);
    return BACKUP_EXIT.OK;
  } catch (error) {
    const failure = toBackupFailure('archive', error);
    if (!failure) throw error;
    io.err(`stowage backup archive: ${failure.message}`);
    return BACKUP_EXIT.FAILED;
  } finally {
    clients.destroy();
  }
}

async function copyToClass(
  key: string,
  target: ArchiveClass,
  head: { ServerSideEncryption?: string; SSEKMSKeyId?: string; BucketKeyEnabled?: boolean },
  bucket: string,
  s3: S3Client,
): Promise<void> {
  try {
    await s3.send(
      new CopyObjectCommand({
        Bucket: bucket,
        Key: key,
        CopySource: `${bucket}/${encodeURIComponent(key).replace(/%2F/g, '/')}`,
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
  } catch (error) {
    if (isNotImplemented(error)) {
      throw new BackupFailure(
        `the server cannot copy ${key} onto itself (S3-compatible servers such as Ceph RGW do not copy SSE-KMS ` +
          'objects): archive on AWS S3 or with a lifecycle rule',
        { cause: error },
      );
    }
    throw error;
  }
}
