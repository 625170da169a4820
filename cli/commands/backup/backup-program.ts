/* eslint-disable @typescript-eslint/no-require-imports -- each action require()s its command's module when it runs,
   so `push` does not load verification, decryption or listing; import() is no alternative: tsx leaves it a native
   ES import, which cannot resolve extensionless TypeScript paths. */
import type { Command } from 'commander';
import type { BackupCommandIo } from './backup-client';
import type * as Archive from './archive';
import type { BackupArchiveOptions } from './archive';
import type * as BackupConfig from './backup-config';
import type { ConnectionOptions } from './backup-config';
import type * as Delete from './delete';
import type { BackupDeleteOptions } from './delete';
import type * as List from './list';
import type { BackupListOptions } from './list';
import type * as Pull from './pull';
import type { BackupPullOptions } from './pull';
import type * as Push from './push';
import type { BackupPushOptions } from './push';
import type * as Restore from './restore';
import type { BackupRestoreOptions } from './restore';
import type * as Verify from './verify';
import type { BackupVerifyCommandOptions } from './verify';

/** The connection flags every backup command takes (each falls back to an environment variable). */
function withConnection(command: Command): Command {
  return command
    .option('--bucket <name>', 'backups bucket (env STOWAGE_BACKUPS_BUCKET)')
    .option('--region <region>', 'AWS region (env AWS_REGION)')
    .option('--profile <name>', 'AWS profile (env AWS_PROFILE)')
    .option('--endpoint-url <url>', 'S3-compatible endpoint, e.g. Ceph RGW (env STOWAGE_S3_ENDPOINT)')
    .option('--kms-key-id <id>', 'KMS key for SSE-KMS and --encrypt (env STOWAGE_BACKUPS_KMS_KEY_ID)')
    .option(
      '--timeout <seconds>',
      'a request that receives nothing for this long fails and is retried (default 60)',
    )
    .option('--connect-timeout <seconds>', 'connecting to S3 fails after this long (default 10)');
}

/** Registers `stowage backup` and its subcommands on `program`. */
export function registerBackupCommand(program: Command, io: () => BackupCommandIo): void {
  const backup = program
    .command('backup')
    .description(
      'Write, read and verify the backups bucket: push, list, pull, delete, archive, restore, verify.',
    );
  registerBackupCommands(backup, io);
}

/**
 * Registers `stowage backup push|list|pull|archive|restore|verify` on `backup`. Each action sets the exit code its
 * command returns; `io` is built once by the CLI from the process (stdout, stderr, env).
 */
export function registerBackupCommands(backup: Command, io: () => BackupCommandIo): void {
  withConnection(backup.command('push'))
    .description(
      'Upload FILE (or - for stdin) as a backup of --source; prints the key. Exit 0 done, 1 failed, 2 usage, ' +
        '130/143 interrupted by SIGINT/SIGTERM (the multipart upload is aborted).',
    )
    .argument(
      '<file>',
      'file to back up, or - for stdin; the key takes its extension (db.dump.gz → .dump.gz)',
    )
    .requiredOption('--source <name>', 'backup source name (lower-case letters, digits, dashes)')
    .option('--name <file-name>', 'with - (stdin): the file name the key takes its extension from')
    .option(
      '--format <format>',
      'checked before the upload: pg-dump, gzip, tar-gz or raw (default: from the extension)',
    )
    .option('--no-check', 'upload without checking the format first')
    .option('--storage-class <class>', 'S3 storage class, e.g. STANDARD_IA, GLACIER')
    .option(
      '--encrypt',
      'client-side envelope encryption (KMS data key, or the passphrase of --passphrase-env)',
    )
    .option(
      '--passphrase-env <var>',
      'encrypt with the passphrase in this environment variable (implies --encrypt)',
    )
    .option('--max-bandwidth <bytes-per-s>', 'upload bandwidth limit, e.g. 10M')
    .option('--part-size <bytes>', 'multipart part size (default 8M, at least 5M)')
    .option('--concurrency <n>', 'parts uploaded in parallel (default 4)')
    .option('--retries <n>', 'retries after a failed attempt (of a part, for stdin) (default 3)')
    .option(
      '--retry-delays <seconds>',
      'waits before each retry (default 5,10,20); past the list each wait doubles the last',
    )
    .option('--verify-read', 'read the object back and check its SHA-256 after the upload')
    .option('--quiet', 'no progress and no summary')
    .action(async (file: string, options: BackupPushOptions) => {
      const { runBackupPushCommand } = require('./push') as typeof Push;
      process.exitCode = await runBackupPushCommand(file, options, io());
    });

  withConnection(backup.command('list'))
    .description('List backups newest first: sizes, encryption, storage class and restore status, age.')
    .option('--source <name>', 'only this source')
    .option('--json', 'one JSON array instead of a table')
    .action(async (options: BackupListOptions) => {
      const { runBackupListCommand } = require('./list') as typeof List;
      process.exitCode = await runBackupListCommand(options, io());
    });

  withConnection(backup.command('pull'))
    .description('Download a backup, decrypt it, check its SHA-256, write it atomically; prints the path.')
    .argument('[key]', 'backup key (see `stowage backup list`)')
    .option('--latest', 'the newest backup of --source')
    .option('--source <name>', 'source for --latest')
    .option('-o, --output <path>', 'output file or directory (default: the key’s file name here)')
    .option('--force', 'replace an existing output file')
    .option('--passphrase-env <var>', 'environment variable holding the passphrase of an encrypted backup')
    .option('--retries <n>', 'retries of a download cut short or failed on the way (default 3)')
    .option(
      '--retry-delays <seconds>',
      'waits before each retry (default 5,10,20); past the list each wait doubles the last',
    )
    .option('--quiet', 'no progress and no summary')
    .action(async (key: string | undefined, options: BackupPullOptions) => {
      const { runBackupPullCommand } = require('./pull') as typeof Pull;
      process.exitCode = await runBackupPullCommand(key, options, io());
    });

  withConnection(backup.command('delete'))
    .description(
      'Delete every version of a backup (and its delete markers), or of each backup of --source older than ' +
        '--older-than DAYS. A dry run unless --yes; explains Object Lock retention. Exit 0 done, 1 not all deleted.',
    )
    .argument('[key]', 'backup key (see `stowage backup list`)')
    .option('--source <name>', 'with --older-than: the source whose old backups to delete')
    .option('--older-than <days>', 'backups taken more than this many days ago')
    .option('--yes', 'delete (without it, only list what would be deleted)')
    .action(async (key: string | undefined, options: BackupDeleteOptions) => {
      const { runBackupDeleteCommand } = require('./delete') as typeof Delete;
      process.exitCode = await runBackupDeleteCommand(key, options, io());
    });

  withConnection(backup.command('archive'))
    .description('Move a backup to an archive storage class (CopyObject onto itself, metadata and SSE kept).')
    .argument('<key>', 'backup key')
    .requiredOption('--class <class>', 'GLACIER or DEEP_ARCHIVE')
    .action(async (key: string, options: BackupArchiveOptions) => {
      const { runBackupArchiveCommand } = require('./archive') as typeof Archive;
      process.exitCode = await runBackupArchiveCommand(key, options, io());
    });

  withConnection(backup.command('restore'))
    .description('Start restoring an archived backup (RestoreObject); `list` shows the status.')
    .argument('<key>', 'backup key')
    .requiredOption('--days <n>', 'days the restored copy stays readable')
    .option('--tier <tier>', 'Standard (default), Bulk or Expedited')
    .action(async (key: string, options: BackupRestoreOptions) => {
      const { runBackupRestoreCommand } = require('./restore') as typeof Restore;
      process.exitCode = await runBackupRestoreCommand(key, options, io());
    });

  withConnection(backup.command('verify'))
    .description(
      "Run the nightly verification's checks now and print the report (read-only: writes no report, sends " +
        'nothing). Exit 0 all ok, 1 a check failed, 2 usage.',
    )
    .option('--env <name>', "the sources and replication requirement of this environment's config")
    .option(
      '--config <file>',
      'a JSON array of sources: [{name, format, maxAgeHours, minBytes, maxDropPercent}]',
    )
    .option('--source <name>', 'verify one source, described by the flags below')
    .option('--format <format>', 'with --source: pg-dump, gzip, tar-gz or raw')
    .option('--max-age-hours <hours>', 'with --source: newest backup at most this old (default 26)')
    .option('--min-bytes <bytes>', 'with --source: newest backup at least this big')
    .option('--max-drop-percent <percent>', 'with --source: at most this much below the median of the last 7')
    .option(
      '--require-replication',
      'require replication status COMPLETED (default: the env config, else off)',
    )
    .option('--at <iso-time>', 'verify as of this time (default: now)')
    .option(
      '--passphrase-env <var>',
      'decrypt passphrase-encrypted backups with the passphrase in this variable and check their content',
    )
    .option('--json', 'print the report as JSON')
    .action(
      async (
        options: ConnectionOptions &
          Omit<BackupVerifyCommandOptions, 'bucket' | 'endpoint' | 'region' | 'profile' | 'kmsKeyArn'>,
      ) => {
        const { out, env } = io();
        const { resolveBackupConfig } = require('./backup-config') as typeof BackupConfig;
        const { runBackupVerifyCommand } = require('./verify') as typeof Verify;
        const connection = resolveBackupConfig(options, env);
        process.exitCode = await runBackupVerifyCommand(
          {
            ...options,
            bucket: connection.bucket,
            endpoint: connection.endpoint,
            region: connection.region,
            kmsKeyArn: connection.kmsKeyId,
          },
          out,
          { env },
        );
      },
    );
}
