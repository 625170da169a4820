import {
  DeleteObjectCommand,
  HeadObjectCommand,
  ListObjectVersionsCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { awsErrorCode } from '../../../core/aws/aws-errors';
import { digestManifestKey, SOURCE_NAME_PATTERN } from '../../../core/backup/backup-layout';
import { UsageError } from '../../shared/usage-error';
import { requireBackupKey } from './archive';
import { createBackupClients, type BackupCommandIo } from './backup-client';
import { resolveBackupConfig, type ConnectionOptions } from './backup-config';
import { EXIT, clockOf } from '../../shared/command-io';
import { listBackups } from './backup-listing';
import { formatBytes } from './human-format';
import { describeS3Code, toBackupFailure } from './service-errors';

export interface BackupDeleteOptions extends ConnectionOptions {
  /** With --older-than: every backup of this source. */
  readonly source?: string;
  /** Days: backups taken longer ago than this. */
  readonly olderThan?: string;
  /** Delete; without it, only say what would be deleted. */
  readonly yes?: boolean;
}

/** One stored version (or delete marker) of a key. */
interface StoredVersion {
  readonly key: string;
  readonly versionId?: string;
  readonly size: number;
  readonly deleteMarker: boolean;
  /** Object Lock: the version cannot be deleted before this date. */
  readonly retainedUntil?: Date;
  readonly lockMode?: string;
  readonly legalHold: boolean;
}

/**
 * `stowage backup delete KEY | --source S --older-than DAYS [--yes]`: every version of each backup (and of its
 * digest manifest), delete markers included, so nothing of it stays billed. A dry run unless --yes. A version under
 * Object Lock is explained (retained until when, in which mode, or a legal hold) instead of failing obscurely, and
 * the others are still deleted. Exit 0 when everything asked for is gone (or, dry run, could be), else 1.
 */
export async function runBackupDeleteCommand(
  key: string | undefined,
  options: BackupDeleteOptions,
  io: BackupCommandIo,
): Promise<number> {
  const config = resolveBackupConfig(options, io.env);
  const days = parseSelection(key, options);
  const clients = (io.createClients ?? createBackupClients)(config);
  const now = clockOf(io)();
  try {
    const keys = key
      ? [key]
      : (await listBackups(clients.s3, config.bucket, options.source!))
          .filter((backup) => now.getTime() - backup.takenAt.getTime() > days! * 86_400_000)
          .map((backup) => backup.key)
          .reverse();
    if (keys.length === 0) {
      io.err(`no backups of '${options.source}' older than ${days} days in s3://${config.bucket}`);
      return EXIT.OK;
    }
    let blocked = 0;
    let failed = 0;
    let deleted = 0;
    for (const backup of keys) {
      const versions = [
        ...(await versionsOf(clients.s3, config.bucket, backup)),
        ...(await versionsOf(clients.s3, config.bucket, digestManifestKey(backup))),
      ];
      if (versions.length === 0) {
        io.err(`${backup}: not found (no version, no delete marker)`);
        if (key) failed++;
        continue;
      }
      const size = versions.reduce((sum, v) => sum + v.size, 0);
      const markers = versions.filter((v) => v.deleteMarker).length;
      io.out(
        `${options.yes ? 'deleting' : 'would delete'} ${backup}: ${versions.length - markers} version(s), ` +
          `${formatBytes(size)}${markers ? `, ${markers} delete marker(s)` : ''}`,
      );
      for (const version of versions) {
        const lock = lockOf(version, now);
        if (lock) {
          blocked++;
          io.out(`  ${label(version)}: ${lock}: it cannot be deleted before then`);
          continue;
        }
        if (!options.yes) continue;
        const result = await deleteOne(clients.s3, config.bucket, version);
        if (result === true) deleted++;
        else {
          failed++;
          io.out(`  ${label(version)}: not deleted: ${result}`);
        }
      }
    }
    if (!options.yes) {
      io.err(
        `dry run: nothing was deleted${blocked ? ` (${blocked} version(s) are retained by Object Lock)` : ''}; ` +
          'pass --yes to delete',
      );
      return blocked ? EXIT.FAILED : EXIT.OK;
    }
    io.err(
      `deleted ${deleted} version(s) and delete marker(s)` +
        (blocked ? `; ${blocked} retained by Object Lock` : '') +
        (failed ? `; ${failed} failed` : ''),
    );
    return blocked || failed ? EXIT.FAILED : EXIT.OK;
  } catch (error) {
    const failure = toBackupFailure('delete', error);
    if (!failure) throw error;
    io.err(`stowage backup delete: ${failure.message}`);
    return EXIT.FAILED;
  } finally {
    clients.destroy();
  }
}

function parseSelection(key: string | undefined, options: BackupDeleteOptions): number | undefined {
  if (key) {
    if (options.source !== undefined || options.olderThan !== undefined) {
      throw new UsageError('give either KEY or --source NAME --older-than DAYS, not both');
    }
    requireBackupKey(key);
    return undefined;
  }
  if (options.source === undefined || options.olderThan === undefined) {
    throw new UsageError('name the backup KEY to delete, or use --source NAME --older-than DAYS');
  }
  if (!SOURCE_NAME_PATTERN.test(options.source))
    throw new UsageError(`invalid source name '${options.source}'`);
  const days = Number(options.olderThan);
  if (options.olderThan.trim() === '' || !Number.isFinite(days) || days < 0) {
    throw new UsageError(`--older-than must be a number of days, got '${options.olderThan}'`);
  }
  return days;
}

/** Every version and delete marker of exactly `key`, with its Object Lock state. */
async function versionsOf(s3: S3Client, bucket: string, key: string): Promise<StoredVersion[]> {
  const found: StoredVersion[] = [];
  let KeyMarker: string | undefined;
  let VersionIdMarker: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectVersionsCommand({ Bucket: bucket, Prefix: key, KeyMarker, VersionIdMarker }),
    );
    for (const v of page.Versions ?? []) {
      if (v.Key !== key) continue;
      found.push({ key, versionId: v.VersionId, size: v.Size ?? 0, deleteMarker: false, legalHold: false });
    }
    for (const m of page.DeleteMarkers ?? []) {
      if (m.Key !== key) continue;
      found.push({ key, versionId: m.VersionId, size: 0, deleteMarker: true, legalHold: false });
    }
    KeyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
    VersionIdMarker = page.IsTruncated ? page.NextVersionIdMarker : undefined;
  } while (KeyMarker);
  return Promise.all(
    found.map((version) => (version.deleteMarker ? version : withLock(s3, bucket, version))),
  );
}

/** HeadObject of the version: Object Lock's retain-until date, mode and legal hold (absent without a lock). */
async function withLock(s3: S3Client, bucket: string, version: StoredVersion): Promise<StoredVersion> {
  const head = await s3.send(
    new HeadObjectCommand({ Bucket: bucket, Key: version.key, VersionId: version.versionId }),
  );
  return {
    ...version,
    retainedUntil: head.ObjectLockRetainUntilDate,
    lockMode: head.ObjectLockMode,
    legalHold: head.ObjectLockLegalHoldStatus === 'ON',
  };
}

/** Why Object Lock keeps the version now, or undefined when it does not. */
function lockOf(version: StoredVersion, now: Date): string | undefined {
  const reasons: string[] = [];
  if (version.retainedUntil && version.retainedUntil.getTime() > now.getTime()) {
    reasons.push(
      `retained until ${version.retainedUntil.toISOString()} (${(version.lockMode ?? 'unknown').toLowerCase()} mode)`,
    );
  }
  if (version.legalHold) reasons.push('under a legal hold (remove it with PutObjectLegalHold first)');
  return reasons.length > 0 ? reasons.join(' and ') : undefined;
}

function label(version: StoredVersion): string {
  const what = version.deleteMarker ? 'delete marker' : 'version';
  return `${what} ${version.versionId ?? '(none)'}${version.key.endsWith('.json') ? ` of ${version.key}` : ''}`;
}

/** Deletes one version. True, or what the server said (with the code's meaning). */
async function deleteOne(s3: S3Client, bucket: string, version: StoredVersion): Promise<true | string> {
  try {
    await s3.send(
      new DeleteObjectCommand({ Bucket: bucket, Key: version.key, VersionId: version.versionId }),
    );
    return true;
  } catch (error) {
    const failure = toBackupFailure('delete', error);
    if (!failure) throw error;
    const name = awsErrorCode(error) ?? '';
    // Object Lock refusals come as AccessDenied: say so rather than blame the credentials only.
    if (name === 'AccessDenied') {
      return `${describeS3Code(name)}: missing s3:DeleteObjectVersion, or the version is locked`;
    }
    return failure.message;
  }
}
