import { readFile } from 'node:fs/promises';

import { KMSClient } from '@aws-sdk/client-kms';
import type { S3Client } from '@aws-sdk/client-s3';

import { loadConfig } from '../../../lib/config';

import { createS3Client } from '../../../core/aws/s3-client';
import type { BackupSourceConfig } from '../../../core/backup/backup-source';
import { createPassphraseKeyResolver } from '../../../core/backup/envelope-encryption';
import { createKmsKeyResolver } from '../../../core/backup/kms-key-resolver';
import { createEnvelopeDecryptor } from '../../../core/backup/verify/envelope-decryptor';
import type { BackupDecryptor } from '../../../core/backup/verify/backup-decryptor';
import {
  parseBackupSources,
  parseBackupSourcesJson,
  SourceConfigError,
} from '../../../core/backup/verify/source-config-schema';
import { verifyBackups } from '../../../core/backup/verify/verify-backups';
import {
  isFailure,
  type SourceReport,
  type VerificationReport,
} from '../../../core/backup/verify/verification-report';
import { UsageError } from '../../shared/usage-error';
import { describeError } from '../../../core/backup/verify/error-message';
import { systemErrorCode } from '../../../core/aws/aws-errors';
import { EXIT } from '../../shared/command-io';

export interface BackupVerifyCommandOptions {
  /** The backups bucket. */
  readonly bucket: string;
  /** S3 endpoint override (a local Ceph RGW); credentials come from the usual AWS chain. */
  readonly endpoint?: string;
  readonly region?: string;
  /** Named AWS profile (default: the SDK's credential chain, which honours AWS_PROFILE). */
  readonly profile?: string;
  /** Check every backup is SSE-KMS encrypted under this key. */
  readonly kmsKeyArn?: string;
  /** Require replication status COMPLETED (default: the env's `backups.requireReplication` with --env, else off). */
  readonly requireReplication?: boolean;
  /** `--env NAME`: the sources (and replication requirement) of that environment's config. */
  readonly env?: string;
  /** Sources given directly (programmatic use). */
  readonly sources?: readonly BackupSourceConfig[];
  /** `--config FILE`: a JSON array of sources. */
  readonly config?: string;
  /** `--source NAME` with `--format`, `--max-age-hours`, `--min-bytes`, `--max-drop-percent`. */
  readonly source?: string;
  readonly format?: string;
  readonly maxAgeHours?: string | number;
  readonly minBytes?: string | number;
  readonly maxDropPercent?: string | number;
  /** Judge freshness at this ISO 8601 time (default now). */
  readonly at?: string;
  /** Print the report as JSON instead of text. */
  readonly json?: boolean;
  /** `--passphrase-env VAR`: open passphrase-encrypted backups with the passphrase in this environment variable. */
  readonly passphraseEnv?: string;
}

/** Clients the command uses; tests and local mode pass their own. */
export interface BackupVerifyCommandDependencies {
  readonly s3?: S3Client;
  /** Default: the envelope decryptor with KMS in `region` (KMS-encrypted backups are decrypted and checked). */
  readonly decryptor?: BackupDecryptor;
  readonly now?: () => Date;
  /** Where `--passphrase-env` is looked up. Default: process.env. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/**
 * `stowage backup verify`: the nightly handler's checks, run from a workstation against a bucket (read-only: no
 * report is written, no metric or notification sent). Prints a readable report, or the report as JSON with
 * `--json`. Returns the exit code; throws UsageError for bad arguments (the CLI exits 2).
 */
export async function runBackupVerifyCommand(
  options: BackupVerifyCommandOptions,
  writeLine: (line: string) => void,
  deps: BackupVerifyCommandDependencies = {},
): Promise<number> {
  if (!options.bucket) throw new UsageError('--bucket is required');
  const sources = await resolveSources(options);
  const envConfig = options.env === undefined ? undefined : loadConfig(options.env, { environment: {} });
  const at = options.at === undefined ? (deps.now ?? (() => new Date()))() : parseAt(options.at);
  const passphraseDecryptor = passphraseDecryptorOf(options.passphraseEnv, deps.env ?? process.env);
  const s3 =
    deps.s3 ??
    createS3Client({ endpoint: options.endpoint, region: options.region, profile: options.profile });
  try {
    const report = await verifyBackups(
      {
        s3,
        bucket: options.bucket,
        ...(options.kmsKeyArn ? { backupsKeyArn: options.kmsKeyArn } : {}),
        requireReplication: options.requireReplication ?? envConfig?.backups.requireReplication ?? false,
        decryptor:
          deps.decryptor ??
          createEnvelopeDecryptor(
            createKmsKeyResolver({
              kms: new KMSClient({ region: options.region, profile: options.profile }),
            }),
          ),
        ...(passphraseDecryptor ? { passphraseDecryptor } : {}),
      },
      { env: options.env ?? 'cli', sources, at },
    );
    if (options.json) writeLine(JSON.stringify(report, null, 2));
    else formatReport(report).forEach((line) => writeLine(line));
    return report.ok ? EXIT.OK : EXIT.FAILED;
  } finally {
    if (!deps.s3) s3.destroy();
  }
}

/** The decryptor of `--passphrase-env VAR`: the variable must hold a non-empty passphrase. */
function passphraseDecryptorOf(
  variable: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
): BackupDecryptor | undefined {
  if (variable === undefined) return undefined;
  const passphrase = env[variable];
  if (passphrase === undefined || passphrase === '') {
    throw new UsageError(`--passphrase-env ${variable}: the variable is not set or empty`);
  }
  return createEnvelopeDecryptor(createPassphraseKeyResolver(passphrase));
}

async function resolveSources(options: BackupVerifyCommandOptions): Promise<BackupSourceConfig[]> {
  const given = [options.sources, options.config, options.source, options.env].filter(
    (value) => value !== undefined,
  );
  if (given.length !== 1) {
    throw new UsageError(
      'name the sources with one of --env NAME, --config FILE or --source NAME --format FORMAT',
    );
  }
  const sourceFlags = [options.format, options.maxAgeHours, options.minBytes, options.maxDropPercent];
  if (options.source === undefined && sourceFlags.some((flag) => flag !== undefined)) {
    throw new UsageError(
      '--format, --max-age-hours, --min-bytes and --max-drop-percent go with --source NAME',
    );
  }
  try {
    if (options.sources !== undefined) return parseBackupSources(options.sources);
    if (options.env !== undefined)
      return parseBackupSources(loadConfig(options.env, { environment: {} }).backups.sources);
    if (options.config !== undefined) return parseBackupSourcesJson(await readConfig(options.config));
    if (options.format === undefined) throw new UsageError('--source needs --format pg-dump|gzip|tar-gz|raw');
    return parseBackupSources([
      {
        name: options.source,
        format: options.format,
        ...numberFlag('maxAgeHours', '--max-age-hours', options.maxAgeHours),
        ...numberFlag('minBytes', '--min-bytes', options.minBytes),
        ...numberFlag('maxDropPercent', '--max-drop-percent', options.maxDropPercent),
      },
    ]);
  } catch (error) {
    if (error instanceof SourceConfigError) throw new UsageError(error.message);
    throw error;
  }
}

async function readConfig(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if (systemErrorCode(error)) throw new UsageError(`--config ${path}: ${describeError(error)}`);
    throw error;
  }
}

function numberFlag(field: string, flag: string, value: string | number | undefined): Record<string, number> {
  if (value === undefined) return {};
  const parsed = typeof value === 'number' ? value : value.trim() === '' ? NaN : Number(value);
  if (!Number.isFinite(parsed)) throw new UsageError(`${flag} must be a number, got '${value}'`);
  return { [field]: parsed };
}

function parseAt(value: string): Date {
  const at = new Date(value);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(value) || Number.isNaN(at.getTime())) {
    throw new UsageError(`--at must be an ISO 8601 time, e.g. 2026-11-23T05:00:00Z, got '${value}'`);
  }
  return at;
}

const MARK: Record<SourceReport['status'], string> = {
  ok: 'OK',
  failed: 'FAILED',
  archived: 'ARCHIVED',
  missing: 'MISSING',
  unverified: 'UNVERIFIED',
};

/** The report as text: one block per source, one line per check. */
export function formatReport(report: VerificationReport): string[] {
  const lines = [`Backups in s3://${report.bucket} at ${report.at}`];
  for (const source of report.sources) {
    const facts = [
      source.key,
      source.ageHours !== undefined ? `${source.ageHours} h old` : undefined,
      source.sizeBytes !== undefined ? `${source.sizeBytes} bytes` : undefined,
    ].filter((fact) => fact !== undefined);
    lines.push(
      '',
      `${MARK[source.status]}  ${source.source} (${source.format})${facts.length ? `  ${facts.join(', ')}` : ''}` +
        (source.status === 'unverified' && !isFailure(source)
          ? '  (content checks optional: not a failure)'
          : ''),
    );
    for (const check of source.checks) {
      const mark = check.skipped ? 'skip' : check.ok ? 'ok' : check.unverified ? 'n/a' : 'FAIL';
      lines.push(`  ${mark.padEnd(4)}  ${check.name.padEnd(13)} ${check.detail}`);
    }
    if (source.error) lines.push(`  FAIL  ${'error'.padEnd(13)} ${source.error}`);
    for (const entry of source.content?.pgDump?.sample ?? []) lines.push(`        ${''.padEnd(13)} ${entry}`);
    if (source.ignoredKeys) {
      lines.push(
        `  note  ${'ignored keys'.padEnd(13)} ${source.ignoredKeys.count} outside the layout, e.g. ${source.ignoredKeys.examples.join(', ')}`,
      );
    }
  }
  const good = report.sources.filter((source) => !isFailure(source)).length;
  lines.push('', `${good} of ${report.sources.length} sources verified${report.ok ? '' : ': FAILED'}`);
  return lines;
}
