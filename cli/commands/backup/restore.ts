import { RestoreObjectCommand, type Tier } from '@aws-sdk/client-s3';
import { UsageError } from '../scan';
import { requireBackupKey } from './archive';
import { createBackupClients } from './backup-client';
import { resolveBackupConfig, type ConnectionOptions } from './backup-config';
import { BACKUP_EXIT, BackupFailure, type BackupIo } from './backup-io';
import { toBackupFailure } from './service-errors';

export interface BackupRestoreOptions extends ConnectionOptions {
  /** How long the restored copy stays readable. Required. */
  readonly days: string;
  /** Retrieval tier: Standard (default), Bulk or Expedited (not for DEEP_ARCHIVE). */
  readonly tier?: string;
}

const TIERS = ['Standard', 'Bulk', 'Expedited'] as const;

/** `stowage backup restore KEY --days N [--tier …]`: starts a restore of an archived backup (RestoreObject). */
export async function runBackupRestoreCommand(
  key: string,
  options: BackupRestoreOptions,
  io: BackupIo,
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
    await clients.s3.send(
      new RestoreObjectCommand({
        Bucket: config.bucket,
        Key: key,
        RestoreRequest: { Days: days, GlacierJobParameters: { Tier: tier as Tier } },
      }),
    );
    io.err(
      `restore of ${key} started (${tier}, readable for ${days} days once done): ` +
        '`stowage backup list` shows its status',
    );
    return BACKUP_EXIT.OK;
  } catch (error) {
    const name = error instanceof Error ? error.name : '';
    if (name === 'RestoreAlreadyInProgress') {
      io.err(`a restore of ${key} is already in progress: \`stowage backup list\` shows its status`);
      return BACKUP_EXIT.OK;
    }
    const failure =
      name === 'InvalidObjectState'
        ? new BackupFailure(
            `${key} is not in an archive storage class (GLACIER, DEEP_ARCHIVE): nothing to restore`,
          )
        : toBackupFailure('restore', error);
    if (!failure) throw error;
    io.err(`stowage backup restore: ${failure.message}`);
    return BACKUP_EXIT.FAILED;
  } finally {
    clients.destroy();
  }
}
