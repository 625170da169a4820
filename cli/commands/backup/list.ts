import { SOURCE_NAME_PATTERN } from '../../../core/backup/backup-layout';
import { UsageError } from '../../shared/usage-error';
import { createBackupClients, type BackupCommandIo } from './backup-client';
import { resolveBackupConfig, type ConnectionOptions } from './backup-config';
import { EXIT, clockOf } from '../../shared/command-io';
import { describeBackups, listBackups } from './backup-listing';
import { describeRestore } from './backup-object';
import { formatAge, formatBytes } from './human-format';
import { toBackupFailure } from './service-errors';

export interface BackupListOptions extends ConnectionOptions {
  /** Only this source. Default: every source. */
  readonly source?: string;
  /** One JSON array instead of a table. */
  readonly json?: boolean;
}

/** One row of `stowage backup list --json`. */
export interface BackupListEntry {
  readonly key: string;
  readonly source: string;
  readonly takenAt: string;
  readonly ageSeconds: number;
  readonly originalSize?: number;
  readonly storedSize: number;
  readonly sha256?: string;
  readonly encryption: string;
  readonly keySource?: string;
  readonly storageClass: string;
  /** Archive classes only: `not-restored`, `ongoing` or `restored`. */
  readonly restore?: string;
  /** With restore `restored`: when the restored copy expires (ISO 8601). */
  readonly restoredUntil?: string;
}

/** `stowage backup list [--source NAME] [--json]`: backups newest first, with sizes, class, restore state and age. */
export async function runBackupListCommand(options: BackupListOptions, io: BackupCommandIo): Promise<number> {
  const config = resolveBackupConfig(options, io.env);
  if (options.source !== undefined && !SOURCE_NAME_PATTERN.test(options.source)) {
    throw new UsageError(
      `invalid source name '${options.source}': use lower-case letters, digits and dashes (1-63)`,
    );
  }
  const clients = (io.createClients ?? createBackupClients)(config);
  try {
    const listed = await listBackups(clients.s3, config.bucket, options.source);
    const infos = await describeBackups(
      clients.s3,
      config.bucket,
      listed.map((b) => b.key),
    );
    const now = clockOf(io)();
    const entries: BackupListEntry[] = listed.map((backup, i) => {
      const info = infos[i]!;
      return {
        key: backup.key,
        source: backup.source,
        takenAt: backup.takenAt.toISOString(),
        ageSeconds: Math.max(0, Math.round((now.getTime() - backup.takenAt.getTime()) / 1000)),
        originalSize: info.originalSize,
        storedSize: info.storedSize,
        sha256: info.sha256,
        encryption: info.encryption,
        keySource: info.keySource,
        storageClass: info.storageClass,
        restore: info.restore?.state,
        restoredUntil: info.restore?.state === 'restored' ? info.restore.until?.toISOString() : undefined,
      };
    });
    if (options.json) {
      io.out(JSON.stringify(entries, null, 2));
      return EXIT.OK;
    }
    if (entries.length === 0) {
      io.err(`no backups${options.source ? ` of source '${options.source}'` : ''} in s3://${config.bucket}`);
      return EXIT.OK;
    }
    const rows = entries.map((entry, i) => [
      entry.key,
      formatAge(new Date(entry.takenAt), now),
      entry.originalSize === undefined ? '?' : formatBytes(entry.originalSize),
      formatBytes(entry.storedSize),
      entry.encryption === 'none' ? 'none' : (entry.keySource ?? entry.encryption),
      entry.storageClass + (infos[i]!.restore ? ` (${describeRestore(infos[i]!.restore!)})` : ''),
    ]);
    for (const line of table(['KEY', 'AGE', 'ORIGINAL', 'STORED', 'ENCRYPTED', 'CLASS'], rows)) io.out(line);
    return EXIT.OK;
  } catch (error) {
    const failure = toBackupFailure('list', error);
    if (!failure) throw error;
    io.err(`stowage backup list: ${failure.message}`);
    return EXIT.FAILED;
  } finally {
    clients.destroy();
  }
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, c) => (c === cells.length - 1 ? cell : cell.padEnd(widths[c]!)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)];
}
