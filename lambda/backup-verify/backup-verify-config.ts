import { z } from 'zod';

import { parseBackupSourcesJson, SourceConfigError } from '../../core/backup/verify/source-config-schema';
import type { BackupSourceConfig } from '../../core/backup/backup-source';
import { HANDLER_ENV } from '../../core/contracts/handler-env';
import { HandlerConfigError, parseHandlerEnv } from '../runtime/handler-config';

const required = z.string().trim().min(1, 'required');

const schema = z.object({
  [HANDLER_ENV.BACKUPS_BUCKET]: required,
  [HANDLER_ENV.BACKUPS_KEY_ARN]: z.string().trim().optional(),
  [HANDLER_ENV.BACKUP_SOURCES]: required,
  [HANDLER_ENV.BACKUP_REQUIRE_REPLICATION]: z.enum(['true', 'false'], "'true' or 'false'").default('false'),
  [HANDLER_ENV.OPERATIONS_TOPIC_ARN]: required,
  [HANDLER_ENV.ENV_NAME]: required,
});

export interface BackupVerifyHandlerConfig {
  readonly backupsBucket: string;
  readonly backupsKeyArn?: string;
  readonly sources: readonly BackupSourceConfig[];
  readonly requireReplication: boolean;
  readonly operationsTopicArn: string;
  readonly envName: string;
}

/** Reads the backup verification handler's environment (called once, at cold start). */
export function loadBackupVerifyConfig(
  env: Readonly<Record<string, string | undefined>>,
): BackupVerifyHandlerConfig {
  const values = parseHandlerEnv('backup-verify', schema, env);
  let sources: BackupSourceConfig[];
  try {
    sources = parseBackupSourcesJson(values[HANDLER_ENV.BACKUP_SOURCES]);
  } catch (error) {
    if (error instanceof SourceConfigError) {
      throw new HandlerConfigError(
        `invalid environment for the backup-verify handler: ${HANDLER_ENV.BACKUP_SOURCES}: ${error.message}`,
      );
    }
    throw error;
  }
  const keyArn = values[HANDLER_ENV.BACKUPS_KEY_ARN];
  return {
    backupsBucket: values[HANDLER_ENV.BACKUPS_BUCKET],
    ...(keyArn ? { backupsKeyArn: keyArn } : {}),
    sources,
    requireReplication: values[HANDLER_ENV.BACKUP_REQUIRE_REPLICATION] === 'true',
    operationsTopicArn: values[HANDLER_ENV.OPERATIONS_TOPIC_ARN],
    envName: values[HANDLER_ENV.ENV_NAME],
  };
}
