import type { Command } from 'commander';
import { BUCKET_PURPOSES, type BucketPurpose } from '../../../lib/config/naming';
import { parseClamdAddress } from '../scan';
import { createOpsClients } from '../../shared/aws-clients';
import { clockOf, CommandFailure, EXIT, type CommandIo } from '../../shared/command-io';
import { resolveConnection, withConnectionOptions, type ConnectionOptions } from '../../shared/connection';
import { discoverEnvBuckets, type BucketDiscovery } from '../../shared/env-buckets';
import {
  bucketsFoundChecks,
  encryptionCheck,
  lifecycleCheck,
  publicAccessBlockCheck,
  reachableCheck,
  versioningCheck,
} from './bucket-checks';
import { fail, guard, skip, type CheckResult, type CheckStatus, type DoctorContext } from './check';
import { clamdCheck, type ClamdTarget } from './clamd-check';
import { callerIdentityCheck } from './identity-check';
import { KeyAliasResolver } from './key-aliases';
import { incompleteUploadsCheck, MULTIPART_CHECK_NAME } from './multipart-check';
import { createLiveClients } from './live-clients';
import { rolePermissionChecks } from './permissions-check';
import { queueChecks } from './queue-checks';
import type { LiveClients } from '../../../lib/security/iam-contract/live-model';
import { WRITE_CHECK_NAME, writeReadDeleteCheck } from './write-check';

export interface DoctorOptions extends ConnectionOptions {
  /** One JSON document instead of lines. Default: lines. */
  readonly json?: boolean;
  /** SSE-KMS key for the write check; env STOWAGE_BACKUPS_KMS_KEY_ID. Default: the env's backups key alias. */
  readonly kmsKeyId?: string;
  /** The intake queue's URL; env STOWAGE_INTAKE_QUEUE_URL. Default: found by name prefix. */
  readonly intakeQueueUrl?: string;
  /** The intake DLQ's URL; env STOWAGE_INTAKE_DLQ_URL. Default: the intake queue's redrive target. */
  readonly intakeDlqUrl?: string;
  /** `host:port` of a clamd to PING. Default: the env config's intake.clamdAddress. */
  readonly clamd?: string;
}

export const DOCTOR_ENV = {
  kmsKeyId: 'STOWAGE_BACKUPS_KMS_KEY_ID',
  intakeQueueUrl: 'STOWAGE_INTAKE_QUEUE_URL',
  intakeDlqUrl: 'STOWAGE_INTAKE_DLQ_URL',
} as const;

/** `stowage doctor --json`. */
export interface DoctorReport {
  readonly env: string;
  readonly region: string;
  readonly endpoint?: string;
  readonly ok: boolean;
  readonly summary: Readonly<Record<CheckStatus, number>>;
  readonly checks: readonly CheckResult[];
}

/**
 * Runs every check in order: caller identity, the env's buckets (found, reachable, encryption, versioning, public
 * access block, lifecycle), a write/read/delete under `test/` in backups, the intake queues, each role's
 * permissions (evaluated with the IAM policy simulator against the deployed policies), clamd. A check that
 * throws becomes a FAIL; the others still run.
 */
export async function runDoctorChecks(
  ctx: DoctorContext,
  options: {
    readonly explicitBuckets: Readonly<Partial<Record<BucketPurpose, string>>>;
    readonly kmsKeyId?: string;
    readonly intakeQueueUrl?: string;
    readonly intakeDlqUrl?: string;
    readonly clamd?: ClamdTarget;
    /** Clients the role permission check reads the account with. */
    readonly liveClients: () => LiveClients;
  },
): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  results.push(...(await guard('caller identity', () => callerIdentityCheck(ctx))));

  let discovery: BucketDiscovery | undefined;
  results.push(
    ...(await guard('buckets found', async () => {
      try {
        discovery = await discoverEnvBuckets(ctx.s3, {
          envName: ctx.config.envName,
          explicit: options.explicitBuckets,
          region: ctx.endpoint ? undefined : ctx.region,
        });
      } catch (error) {
        // ListBuckets refused or unreachable: the message says what to pass instead.
        if (error instanceof CommandFailure) {
          return fail('buckets found', error.message, 'name the buckets with --<purpose>-bucket NAME');
        }
        throw error;
      }
      return bucketsFoundChecks(discovery, BUCKET_PURPOSES, ctx.config.envName);
    })),
  );

  const keys = new KeyAliasResolver(ctx.kms, ctx.config);
  const reachable = new Set<BucketPurpose>();
  const perBucket = await Promise.all(
    BUCKET_PURPOSES.map(async (purpose) => {
      const bucket = discovery?.buckets[purpose];
      if (bucket === undefined) return [];
      const out = await guard(`${purpose}: reachable`, () => reachableCheck(ctx, purpose, bucket));
      if (out.some((r) => r.status !== 'PASS')) {
        const why = `${bucket} is not reachable (see '${purpose}: reachable')`;
        return [
          ...out,
          ...['encryption', 'versioning', 'public access block', 'lifecycle'].map((c) =>
            skip(`${purpose}: ${c}`, why),
          ),
        ];
      }
      reachable.add(purpose);
      for (const [check, run] of [
        ['encryption', () => encryptionCheck(ctx, keys, purpose, bucket)],
        ['versioning', () => versioningCheck(ctx, purpose, bucket)],
        ['public access block', () => publicAccessBlockCheck(ctx, purpose, bucket)],
        ['lifecycle', () => lifecycleCheck(ctx, purpose, bucket)],
      ] as const) {
        out.push(...(await guard(`${purpose}: ${check}`, run)));
      }
      return out;
    }),
  );
  results.push(...perBucket.flat());

  const backups = discovery?.buckets.backups;
  if (backups !== undefined && reachable.has('backups')) {
    results.push(
      ...(await guard(WRITE_CHECK_NAME, () =>
        writeReadDeleteCheck(ctx, keys, { bucket: backups, kmsKeyId: options.kmsKeyId }),
      )),
    );
  } else {
    results.push(skip(WRITE_CHECK_NAME, 'no reachable backups bucket (see the bucket checks)'));
  }

  results.push(
    ...(await guard(MULTIPART_CHECK_NAME, () =>
      incompleteUploadsCheck(ctx, discovery?.buckets ?? {}, reachable),
    )),
  );
  results.push(...(await guard('intake queues', () => queueChecks(ctx, options))));
  results.push(
    ...(await guard('permissions', () =>
      rolePermissionChecks(ctx, discovery?.buckets ?? {}, options.liveClients),
    )),
  );
  results.push(...(await guard('clamd', () => clamdCheck(options.clamd))));
  return results;
}

export function summarize(checks: readonly CheckResult[]): Record<CheckStatus, number> {
  const summary: Record<CheckStatus, number> = { PASS: 0, FAIL: 0, SKIP: 0 };
  for (const c of checks) summary[c.status] += 1;
  return summary;
}

/** One line per check, a `fix:` line under each FAIL (`hint:` under a SKIP that has one), and a summary. */
export function renderDoctor(report: DoctorReport): string[] {
  const lines = [
    `stowage doctor: env ${report.env}, region ${report.region}${report.endpoint ? `, S3 endpoint ${report.endpoint}` : ''}`,
  ];
  for (const c of report.checks) {
    lines.push(`${c.status}  ${c.name}: ${c.detail}`);
    if (c.hint !== undefined && c.status !== 'PASS') {
      lines.push(`      ${c.status === 'FAIL' ? 'fix' : 'hint'}: ${c.hint}`);
    }
  }
  const { PASS, FAIL, SKIP } = report.summary;
  lines.push(`${PASS} passed, ${FAIL} failed, ${SKIP} skipped`);
  return lines;
}

/** `stowage doctor [--env NAME] [--json]`: exit 0 when nothing failed, 1 on any FAIL, 2 on bad usage. */
export async function runDoctorCommand(options: DoctorOptions, io: CommandIo): Promise<number> {
  const connection = resolveConnection(options, io.env);
  const pick = (flag: string | undefined, name: string): string | undefined => {
    const value = flag ?? io.env[name];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  };
  const configured = connection.config.intake.clamdAddress;
  const clamd: ClamdTarget | undefined =
    options.clamd !== undefined
      ? { ...parseClamdAddress(options.clamd), source: '--clamd' }
      : configured !== undefined
        ? { ...parseClamdAddress(configured), source: 'intake.clamdAddress' }
        : undefined;
  const clients = (io.createClients ?? createOpsClients)(connection);
  let live: ReturnType<typeof createLiveClients> | undefined;
  try {
    const ctx: DoctorContext = {
      config: connection.config,
      region: connection.region,
      endpoint: connection.endpoint,
      s3: clients.s3,
      sts: clients.sts,
      kms: clients.kms,
      sqs: clients.sqs,
      now: clockOf(io),
    };
    const checks = await runDoctorChecks(ctx, {
      explicitBuckets: connection.explicitBuckets,
      kmsKeyId: pick(options.kmsKeyId, DOCTOR_ENV.kmsKeyId),
      intakeQueueUrl: pick(options.intakeQueueUrl, DOCTOR_ENV.intakeQueueUrl),
      intakeDlqUrl: pick(options.intakeDlqUrl, DOCTOR_ENV.intakeDlqUrl),
      clamd,
      liveClients: () => (live ??= createLiveClients(connection)),
    });
    const summary = summarize(checks);
    const report: DoctorReport = {
      env: connection.config.envName,
      region: connection.region,
      ...(connection.endpoint ? { endpoint: connection.endpoint } : {}),
      ok: summary.FAIL === 0,
      summary,
      checks,
    };
    if (options.json) io.out(JSON.stringify(report, null, 2));
    else renderDoctor(report).forEach((line) => io.out(line));
    return report.ok ? EXIT.OK : EXIT.FAILED;
  } finally {
    clients.destroy();
    live?.destroy();
  }
}

/** Registers `stowage doctor` on the program; `io` is built once by the CLI from the process. */
export function registerDoctorCommand(program: Command, io: () => CommandIo): void {
  withConnectionOptions(program.command('doctor'))
    .summary('check a deployment: PASS / FAIL / SKIP with a fix for each')
    .description(
      "Check an env's deployment from here: credentials, buckets (encryption, versioning, public access block, " +
        'lifecycle), a write/read/delete under test/ with the env KMS key, intake queues and DLQs, each role’s ' +
        'permissions (IAM policy simulator on the deployed policies), clamd. ' +
        'Each check prints PASS, FAIL or SKIP with a fix. Exit 0 nothing failed, 1 a check failed, 2 usage.',
    )
    .option('--json', 'one JSON document instead of lines')
    .option(
      '--kms-key-id <id>',
      'SSE-KMS key for the write check (env STOWAGE_BACKUPS_KMS_KEY_ID; default: the env key)',
    )
    .option('--intake-queue-url <url>', 'intake queue (env STOWAGE_INTAKE_QUEUE_URL; default: found by name)')
    .option(
      '--intake-dlq-url <url>',
      'intake DLQ (env STOWAGE_INTAKE_DLQ_URL; default: the queue’s redrive target)',
    )
    .option('--clamd <host:port>', 'clamd to PING (default: the env config’s intake.clamdAddress)')
    .action(async (options: DoctorOptions) => {
      process.exitCode = await runDoctorCommand(options, io());
    });
}
