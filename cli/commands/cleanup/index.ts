/** `stowage cleanup`: its flags, and the command that finds stranded uploads and orphans and deletes them. */
import type { Command } from 'commander';
import { parseConcurrency } from '../report';
import { UsageError } from '../../shared/usage-error';
import { createOpsClients } from '../../shared/aws-clients';
import { clockOf, type CommandIo } from '../../shared/command-io';
import { resolveConnection, withConnectionOptions, type ConnectionOptions } from '../../shared/connection';
import { discoverEnvBuckets, requireBuckets } from '../../shared/env-buckets';
import { runCommand } from '../../shared/failures';
import { printAndDelete } from './deletion';
import {
  CLEANUP_BUCKETS,
  DEFAULT_CLEANUP_BUCKETS,
  findCleanupCandidates,
  type CleanupBucket,
} from './selection';

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
