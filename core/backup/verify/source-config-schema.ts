import { z } from 'zod';

import { describeIssues } from '../../events/invalid-event-error';
import { SOURCE_NAME_PATTERN } from '../backup-layout';
import type { BackupSourceConfig } from '../backup-source';

/** Defaults of the optional expectations (BackupSourceConfig documents them). */
/** BackupSourceConfig.contentChecks: whether content the verifier cannot open fails the source. */
export const CONTENT_CHECKS = ['required', 'optional'] as const;

export const SOURCE_DEFAULTS = { maxAgeHours: 26, maxDropPercent: 50, minBytes: 1 } as const;

export const backupSourceSchema = z.object({
  name: z.string().regex(SOURCE_NAME_PATTERN, 'lower-case letters, digits and dashes (1-63)'),
  format: z.enum(['pg-dump', 'gzip', 'tar-gz', 'raw']),
  maxAgeHours: z.number().positive().default(SOURCE_DEFAULTS.maxAgeHours),
  minBytes: z.number().int().nonnegative().default(SOURCE_DEFAULTS.minBytes),
  maxDropPercent: z.number().min(0).max(100).default(SOURCE_DEFAULTS.maxDropPercent),
  contentChecks: z.enum(CONTENT_CHECKS).optional(),
});

export const backupSourcesSchema = z.array(backupSourceSchema).superRefine((sources, context) => {
  const seen = new Set<string>();
  sources.forEach((source, index) => {
    if (seen.has(source.name)) {
      context.addIssue({
        code: 'custom',
        path: [index, 'name'],
        message: `duplicate source '${source.name}'`,
      });
    }
    seen.add(source.name);
  });
});

/** The configured sources are invalid: names every bad field. */
export class SourceConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SourceConfigError';
  }
}

/** Validates a list of sources (already parsed from JSON); throws SourceConfigError naming every bad field. */
export function parseBackupSources(value: unknown): BackupSourceConfig[] {
  const parsed = backupSourcesSchema.safeParse(value);
  if (!parsed.success)
    throw new SourceConfigError(`invalid backup sources: ${describeIssues(parsed.error.issues)}`);
  return parsed.data;
}

/** Parses a JSON array of sources (HANDLER_ENV.BACKUP_SOURCES, `stowage backup verify --config FILE`). */
export function parseBackupSourcesJson(json: string): BackupSourceConfig[] {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (error) {
    if (error instanceof SyntaxError)
      throw new SourceConfigError(`backup sources are not valid JSON: ${error.message}`);
    throw error;
  }
  return parseBackupSources(value);
}
