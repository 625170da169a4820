/**
 * Local mode's backup verifier: the backup-verify Lambda handler on the config's schedule (UTC) and once at start,
 * reports into the backups bucket, alerts to the console (no SNS locally). Registers the schedule under `verifier`.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import type { S3Client } from '@aws-sdk/client-s3';

import { createBackupVerifyHandler } from '../../../lambda/backup-verify/backup-verify-handler';
import { parseBackupSources } from '../../../core/backup/verify/source-config-schema';
import type { VerificationReport } from '../../../core/backup/verify/verification-report';
import type { StowageConfig } from '../../../lib/config';
import { operationsTopicArn } from '../../../lib/config/naming';
import { createConsoleSnsClient } from '../console-sns-client';
import type { LocalBucketSetup, LocalKmsKeyIds } from '../local-buckets';
import { startLocalVerifier, type LocalVerifier, type VerifierRun } from '../local-verifier';
import type { MetricsLog } from '../metrics-log';
import { HANDLER_SERVICES } from '../../../core/contracts/metrics';
import type { ShutdownPlan } from '../shutdown-order';
import { messageOf } from './message-of';
import type { LocalModeOptions } from './options';

export interface VerifierScheduleInput {
  /** The shared S3 client. */
  readonly s3: S3Client;
  /** The buckets, as set up (reports go to the backups bucket). */
  readonly buckets: LocalBucketSetup;
  /** SSE-KMS key id of each data bucket. */
  readonly kmsKeyIds: LocalKmsKeyIds;
  /** The env's config: backup sources, schedule, replication rule. */
  readonly config: StowageConfig;
  /** Where the verifier's metrics go. */
  readonly metrics: MetricsLog;
  /** Run once now as well. */
  readonly runAtStart: boolean;
  /** Log level of the handler's structured logs; INFO and DEBUG also print each run's outcome. */
  readonly logLevel: LocalModeOptions['logLevel'];
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
}

/** Starts the verifier's schedule and registers it; see the module comment. */
export function startVerifierSchedule(input: VerifierScheduleInput, shutdown: ShutdownPlan): LocalVerifier {
  const { config, out, err, logLevel } = input;
  const verifyLogger = new Logger({
    serviceName: HANDLER_SERVICES.backupVerify,
    logLevel: logLevel ?? 'WARN',
  });
  const verifyHandler = createBackupVerifyHandler({
    s3: input.s3,
    sns: createConsoleSnsClient((notification) =>
      err(
        [
          `backup verification alert (local mode has no SNS; on AWS this goes to ${notification.topicArn}):`,
          `  ${notification.subject ?? '(no subject)'}`,
          ...notification.message.split('\n').map((line) => `  ${line}`),
        ].join('\n'),
      ),
    ),
    env: config.envName,
    bucket: input.buckets.names.backups,
    backupsKeyArn: input.kmsKeyIds.backups,
    requireReplication: config.backups.requireReplication,
    operationsTopicArn: operationsTopicArn(config),
    sources: parseBackupSources(config.backups.sources),
    metrics: input.metrics.forService(HANDLER_SERVICES.backupVerify),
    logger: verifyLogger,
  });
  const verifier = startLocalVerifier({
    handler: verifyHandler,
    schedule: config.backups.verifySchedule,
    runAtStart: input.runAtStart,
    onRun: (run) => reportVerification(run, out, err, logLevel === 'INFO' || logLevel === 'DEBUG'),
  });
  shutdown.add('verifier', () => verifier.stop());
  return verifier;
}

/**
 * The console side of a verification run: a run that did not complete is an error line (on AWS: a failed
 * invocation); a failed verification was already printed as the alert the console SNS client received.
 */
function reportVerification(
  run: VerifierRun,
  out: (line: string) => void,
  err: (line: string) => void,
  verbose: boolean,
): void {
  if (run.error !== undefined) {
    err(`backup verification (${run.trigger}) did not complete: ${messageOf(run.error)}`);
  } else if (verbose) {
    const report = run.report as VerificationReport;
    out(
      `backup verification (${run.trigger}): ${report.ok ? 'every source verified' : 'FAILED (see the alert)'}`,
    );
  }
}
