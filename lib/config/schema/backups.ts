/**
 * The backups section of the environment config: the sources the nightly verification checks and what their newest
 * backup must look like, when the verification runs, its handler, and who may push backups.
 */
import { z } from 'zod';

import { SOURCE_NAME_PATTERN } from '../../../core/backup/backup-layout';
import { CONTENT_CHECKS } from '../../../core/backup/verify/source-config-schema';
import { cronExpressionProblem } from '../cron-expression';
import { handlerSettingsSchema, iamArn, LOG_LEVELS } from './fields';

/** Content checks a backup source gets, by what its backups are (BackupSourceConfig.format). */
export const BACKUP_FORMATS = ['pg-dump', 'gzip', 'tar-gz', 'raw'] as const;

/** Defaults of a backup source's expectations (BackupSourceConfig). */
export const BACKUP_SOURCE_DEFAULTS = {
  /** A nightly backup plus two hours of slack. */
  maxAgeHours: 26,
  /** The newest backup may be at most half the size of the median of the previous 7. */
  maxDropPercent: 50,
} as const;

/** One backup source and what its newest backup must look like (core/backup/backup-source.ts). */
export const backupSourceSchema = z.object({
  /** Source name, as in the key layout `backups/<source>/…`. */
  name: z
    .string()
    .regex(
      SOURCE_NAME_PATTERN,
      'must be 1-63 lower-case letters, digits and dashes, starting with a letter or digit',
    ),
  /** What the backup is: decides the content checks. */
  format: z.enum(BACKUP_FORMATS),
  /** The newest backup must be younger than this many hours. */
  maxAgeHours: z
    .number()
    .int('must be a whole number of hours')
    .min(1, 'must be at least 1 hour')
    .max(24 * 366, 'must be at most 8784 hours (a year)')
    .default(BACKUP_SOURCE_DEFAULTS.maxAgeHours),
  /** The newest backup must be at least this many bytes (original size). */
  minBytes: z.number().int('must be a whole number of bytes').min(1, 'must be at least 1 byte'),
  /** The newest backup may be at most this much smaller than the median of the previous 7 (percent). */
  maxDropPercent: z
    .number()
    .min(0, 'must be between 0 and 100')
    .max(100, 'must be between 0 and 100')
    .default(BACKUP_SOURCE_DEFAULTS.maxDropPercent),
  /**
   * `optional`: a backup whose content the verifier cannot open (passphrase-encrypted, a format it does not read)
   * is reported `unverified` without failing the source. Default: required (it fails the source).
   */
  contentChecks: z.enum(CONTENT_CHECKS).optional(),
});

/** Settings of the nightly verification handler: one run at a time, long enough for multi-GiB streamed checks. */
export const verifierSettingsSchema = handlerSettingsSchema.extend({
  /** Reserved concurrency: 1 or 2 (the nightly run, and one re-verification the operations handler starts). */
  reservedConcurrency: z
    .number()
    .int()
    .min(1, 'must be at least 1')
    .max(2, 'must be at most 2 (verification runs are not parallelised)'),
});

const cronExpression = z.string().superRefine((expression, ctx) => {
  const problem = cronExpressionProblem(expression);
  if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
});

/** The nightly backup verification: sources, schedule, handler, writers. */
export const backupsSchema = z.object({
  /** The sources the nightly verification checks; names are unique. */
  sources: z.array(backupSourceSchema).min(1, 'needs at least one source (the verifier checks each)'),
  /** When the verification runs: an EventBridge Scheduler cron expression, evaluated in UTC. */
  verifySchedule: cronExpression,
  /** The verification handler. */
  verifier: verifierSettingsSchema,
  /** Log level of the verification handler (Powertools). */
  logLevel: z.enum(LOG_LEVELS),
  /** IAM roles or users that may assume the backup writer role (push backups). Empty: no writer role. */
  writerPrincipalArns: z.array(iamArn),
  /** Every backup must show replication status COMPLETED (needs replication.enabled). */
  requireReplication: z.boolean(),
});
