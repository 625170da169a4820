/**
 * The environment config's schema: one zod object, validated once (lib/config/index.ts), with every problem reported
 * together by path. This file holds the top-level fields and composes the sections, each in schema/: fields.ts
 * (shared field types, handler settings), storage.ts (lifecycle, replication), intake.ts (CORS, uploads, intake
 * pipeline), operations.ts (alarms, operations handler), backups.ts (sources, verification) and rules.ts (the
 * cross-field rules). It re-exports what the sections export, so `./schema` stays the one import.
 */
import { z } from 'zod';

import { backupsSchema } from './schema/backups';
import { awsRegion, iamArn } from './schema/fields';
import { corsSchema, intakeSchema, uploadsSchema } from './schema/intake';
import { alarmsSchema, operationsSchema } from './schema/operations';
import { checkConfig } from './schema/rules';
import { lifecycleSchema, replicationSchema } from './schema/storage';

export {
  BACKUP_FORMATS,
  BACKUP_SOURCE_DEFAULTS,
  backupSourceSchema,
  verifierSettingsSchema,
} from './schema/backups';
export { handlerSettingsSchema, LOG_LEVELS, queueHandlerSettingsSchema } from './schema/fields';
export { SCAN_THROUGHPUT_BYTES_PER_SECOND, SCAN_TIME_BUDGET } from './schema/intake';
export {
  alarmSettingsSchema,
  MAX_ALARM_RANGE_SECONDS,
  MAX_SHORT_PERIOD_ALARM_RANGE_SECONDS,
  operationsSchema,
} from './schema/operations';
export { ARCHIVE_STORAGE_CLASSES, bucketLifecycleSchema } from './schema/storage';

/** The environments Stowage deploys to. Adding one: see README "Adding an environment". */
export const ENV_NAMES = ['dev', 'staging', 'prod'] as const;
export type EnvName = (typeof ENV_NAMES)[number];

/** Retention values CloudWatch Logs accepts (days). */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

const accountId = z.string().regex(/^\d{12}$/, 'must be a 12-digit AWS account id');

/** Every field of the config, before the cross-field rules. */
const configFields = z.object({
  /** Environment name, used in stack names and tags. */
  envName: z.enum(ENV_NAMES),
  /** AWS account the env deploys to. */
  account: accountId,
  /** Primary region: every stack except Replica. */
  region: awsRegion,
  replication: replicationSchema,
  cors: corsSchema,
  uploads: uploadsSchema,
  lifecycle: lifecycleSchema,
  /** What happens to buckets and keys when a stack is deleted. */
  removalPolicy: z.enum(['retain', 'destroy']),
  /** Empty buckets on stack deletion (only with removalPolicy destroy). */
  autoDeleteObjects: z.boolean(),
  /** CloudWatch Logs retention for every log group, in days. */
  logRetentionDays: z.number().refine((d) => (LOG_RETENTION_DAYS as readonly number[]).includes(d), {
    message: `must be one of ${LOG_RETENTION_DAYS.join(', ')}`,
  }),
  /** Extra principals (human or CI roles) allowed to use the data keys, e.g. backup writers. */
  additionalKeyUserArns: z.array(iamArn),
  alarms: alarmsSchema,
  /** The alarm-driven operations handler: DLQ redrive, poison parking, re-verification. */
  operations: operationsSchema,
  intake: intakeSchema,
  backups: backupsSchema,
  /** Extra tags on every resource. `stowage:env` and `stowage:app` are always set. */
  tags: z.record(z.string(), z.string()),
});

/** The config's fields as parsed, what the cross-field rules (schema/rules.ts) read. */
export type ConfigFields = z.output<typeof configFields>;

export const configSchema = configFields.superRefine(checkConfig);

/** A validated environment configuration. Every stack and handler reads its settings from here. */
export type StowageConfig = z.infer<typeof configSchema>;
