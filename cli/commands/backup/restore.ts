import { RestoreObjectCommand, type Tier } from '@aws-sdk/client-s3';
import { awsErrorCode, isServiceError } from '../../../core/aws/aws-errors';
import { isNotImplemented } from '../../../core/aws/s3-errors';
import { UsageError } from '../../shared/usage-error';
import { headOrMissing, requireBackupKey } from './archive';
import { createBackupClients, type BackupCommandIo } from './backup-client';
import { resolveBackupConfig, type ConnectionOptions } from './backup-config';
import { EXIT, CommandFailure } from '../../shared/command-io';
import { backupObjectInfo } from './backup-object';
import { toBackupFailure } from './service-errors';

export interface BackupRestoreOptions extends ConnectionOptions {
  /** How long the restored copy stays readable. Required. */
  readonly days: string;
  /** Retrieval tier: Standard (default), Bulk or Expedited (not for DEEP_ARCHIVE). */
  readonly tier?: string;
}

const TIERS = ['Standard', 'Bulk', 'Expedited'] as const;

/** The server has no RestoreObject (Ceph RGW Pacific answers 501 NotImplemented for every key, even a missing one). */
export class RestoreNotImplementedError extends CommandFailure {
  constructor(key: string, options?: { cause?: unknown }) {
    super(
      `the server does not implement RestoreObject (501 NotImplemented), so ${key} cannot be restored there. ` +
        'Ceph RGW (measured on 16.2 Pacific) has no restore: its GLACIER and DEEP_ARCHIVE are only labels, and a ' +
        'CopyObject of the object onto its own key with storage class STANDARD makes it pullable again',
      options,
    );
    this.name = 'RestoreNotImplementedError';
  }
}

/**
 * `stowage backup restore KEY --days N [--tier …]`: starts a restore of an archived backup (RestoreObject), or
 * extends the expiry of its restored copy. HeadObject first, so a missing backup, one that is not archived and one
 * whose restore is already running are told apart on any server (Ceph RGW answers every RestoreObject with 501).
 */
export async function runBackupRestoreCommand(
  key: string,
  options: BackupRestoreOptions,
  io: BackupCommandIo,
): Promise<number> {
  const config = resolveBackupConfig(options, io.env);
  requireBackupKey(key);
  const days = Number(options.days);
  if (!Number.isInteger(days) || days < 1 || days > 365 * 100) {
    throw new UsageError(`--days must be a whole number of days (1 or more), got '${options.days}'`);
  }
  const tier = TIERS.find((t) => t.toLowerCase() === (options.tier ?? 'Standard').toLowerCase());
  if (!tier) throw new UsageError(`--tier must be one of ${TIERS.join(', ')}, got '${options.tier}'`);
  const clients = (io.createClients ?? createBackupClients)(config);
  try {
    const info = backupObjectInfo(await headOrMissing(clients.s3, config.bucket, key));
    if (!info.restore) {
      throw new CommandFailure(
        `${key} is in ${info.storageClass}, not an archive storage class (GLACIER, DEEP_ARCHIVE): nothing to ` +
          'restore, pull it directly',
      );
    }
    if (info.restore.state === 'ongoing') {
      io.err(`a restore of ${key} is already in progress: \`stowage backup list\` shows its status`);
      return EXIT.OK;
    }
    if (tier === 'Expedited' && info.storageClass === 'DEEP_ARCHIVE') {
      throw new CommandFailure(
        `${key} is in DEEP_ARCHIVE, which has no Expedited retrieval: use --tier Standard or Bulk`,
      );
    }
    const answer = await clients.s3.send(
      new RestoreObjectCommand({
        Bucket: config.bucket,
        Key: key,
        ...(info.versionId ? { VersionId: info.versionId } : {}),
        RestoreRequest: { Days: days, GlacierJobParameters: { Tier: tier as Tier } },
      }),
    );
    // S3 answers 202 for a restore it started, 200 when a restored copy exists (its expiry is moved instead).
    io.err(
      answer.$metadata.httpStatusCode === 200
        ? `${key} is already restored: its restored copy now stays readable for ${days} days from now`
        : `restore of ${key} started (${tier}, readable for ${days} days once done): ` +
            '`stowage backup list` shows its status',
    );
    return EXIT.OK;
  } catch (error) {
    if (error instanceof Error && awsErrorCode(error) === 'RestoreAlreadyInProgress') {
      io.err(`a restore of ${key} is already in progress: \`stowage backup list\` shows its status`);
      return EXIT.OK;
    }
    const failure = restoreFailure(key, tier, error) ?? toBackupFailure('restore', error);
    if (!failure) throw error;
    io.err(`stowage backup restore: ${failure.message}`);
    return EXIT.FAILED;
  } finally {
    clients.destroy();
  }
}

/** S3's own answers to RestoreObject, in words; undefined for anything else. */
function restoreFailure(key: string, tier: string, error: unknown): CommandFailure | undefined {
  if (!isServiceError(error)) return undefined;
  if (isNotImplemented(error)) return new RestoreNotImplementedError(key, { cause: error });
  switch (awsErrorCode(error)) {
    case 'InvalidObjectState':
      return new CommandFailure(
        `${key} is not in an archive storage class (GLACIER, DEEP_ARCHIVE): nothing to restore`,
        { cause: error },
      );
    case 'GlacierExpeditedRetrievalNotAvailable':
      return new CommandFailure(
        `no ${tier} retrieval capacity is available now (503 GlacierExpeditedRetrievalNotAvailable): try again ` +
          'later or use --tier Standard',
        { cause: error },
      );
    default:
      return undefined;
  }
}
