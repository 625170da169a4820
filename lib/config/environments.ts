import { DEFAULT_ALLOWED_TYPES } from '../../core/scan/media-types';
import { DEFAULT_STATUS_TTL_DAYS } from '../../core/status/status-table';
import type { EnvName, StowageConfig } from './schema';
import { BACKUP_SOURCE_DEFAULTS } from './schema';

/** Settings every environment starts from; each environment below overrides what differs. */
export type EnvDefinition = Omit<StowageConfig, 'envName' | 'account' | 'region'> & {
  /**
   * The env's AWS account. Required to deploy staging and prod; dev falls back to the credentials' account
   * (CDK_DEFAULT_ACCOUNT). Reading the config without it (CLI, tests) uses PLACEHOLDER_ACCOUNT.
   */
  readonly account?: string;
  /** The env's primary region. @default DEFAULT_REGION (eu-west-1); never the CDK's or the profile's region. */
  readonly region?: string;
};

const MiB = 1024 * 1024;

/** Alarm thresholds and windows every environment starts from (the schema's `alarmSettingsSchema`). */
export const ALARM_DEFAULTS = {
  // Errors and throttles ≥ 1 in 5 minutes; p99 duration at 80 % of the timeout.
  handlers: { periodSeconds: 300, evaluationPeriods: 1, durationPercentOfTimeout: 80 },
  // A message in a DLQ (or the holding or failures queue) pages within a minute or two.
  queues: { periodSeconds: 60, evaluationPeriods: 1 },
  // The scan handler retries a failed message for up to 5 × 30 minutes: 15 minutes of backlog means it is stuck.
  intakeQueueAge: { periodSeconds: 300, evaluationPeriods: 1, thresholdSeconds: 900 },
  // One ERROR is retried; five in 5 minutes means an engine or S3 is failing.
  scanErrors: { periodSeconds: 300, evaluationPeriods: 1, threshold: 5 },
  quarantinedPerHour: { threshold: 10, evaluationPeriods: 1 },
  // Daily verification at a varying minute: a day plus two hours of slack.
  backups: { windowHours: 26 },
  api5xx: { periodSeconds: 300, evaluationPeriods: 1, ratePercent: 5 },
  // Replication Time Control promises 15 minutes.
  replication: { periodSeconds: 300, evaluationPeriods: 1, latencySeconds: 900 },
} as const satisfies Omit<
  StowageConfig['alarms'],
  'actionsEnabled' | 'emailSubscriptions' | 'httpsSubscriptions'
>;

type BackupSource = StowageConfig['backups']['sources'][number];

/** A backup source with the default expectations (26 hours, at most a 50 % drop) unless `overrides` says otherwise. */
function backupSource(
  name: string,
  format: BackupSource['format'],
  minBytes: number,
  overrides: Partial<Pick<BackupSource, 'maxAgeHours' | 'maxDropPercent'>> = {},
): BackupSource {
  return { name, format, minBytes, ...BACKUP_SOURCE_DEFAULTS, ...overrides };
}

const base: EnvDefinition = {
  region: undefined,
  replication: {
    enabled: false,
    replicaRegion: 'eu-central-1',
    replicationTimeControl: false,
    metrics: false,
  },
  cors: { allowedOrigins: ['http://localhost:5173', 'http://127.0.0.1:8080'] },
  uploads: {
    maxSizeBytes: 10 * MiB,
    // The seed documents' voice recordings, documents, images and archives; the scanner knows each.
    allowedContentTypes: [...DEFAULT_ALLOWED_TYPES],
    // A form is accepted again and again until it expires (each POST a new object version, quarantined as
    // `form-reused`): long enough for a person to pick a file and the browser to start the POST, no longer.
    presignExpirySeconds: 900,
    // Anyone holding a download URL reads the file until it expires: minutes, shorter where the data is real.
    downloadExpirySeconds: 900,
  },
  lifecycle: {
    uploads: { expirationDays: 30 },
    // Processed files stay readable by the app: Glacier Instant Retrieval keeps millisecond reads.
    processed: { archiveAfterDays: 90, archiveStorageClass: 'GLACIER_IR' },
    quarantine: { expirationDays: 90 },
    backups: {
      archiveAfterDays: 30,
      archiveStorageClass: 'GLACIER',
      expirationDays: 90,
      testPrefixExpirationDays: 7,
    },
    accessLogs: { archiveAfterDays: 90, archiveStorageClass: 'GLACIER', expirationDays: 2555 },
    noncurrentVersionExpirationDays: 30,
    abortIncompleteMultipartUploadDays: 7,
  },
  removalPolicy: 'destroy',
  autoDeleteObjects: true,
  logRetentionDays: 30,
  additionalKeyUserArns: [],
  alarms: { actionsEnabled: false, emailSubscriptions: [], httpsSubscriptions: [], ...ALARM_DEFAULTS },
  operations: {
    // Waits for a re-verification (RequestResponse), so it needs the verifier's 15 minutes; two runs at a time
    // (two alarms at once), each bounded by redriveMaxMessages.
    handler: { memoryMb: 256, timeoutSeconds: 900, reservedConcurrency: 2 },
    logLevel: 'INFO',
    redriveMaxMessages: 100,
    poisonMaxRedrives: 3,
    holdingRetentionDays: 14,
  },
  intake: {
    // Placeholders: point each env at its identity provider (e.g. a Cognito user pool) before deploying.
    jwt: { issuerUrl: 'https://auth.dev.stowage.example.com', audiences: ['stowage-dev'] },
    api: { throttlingRateLimit: 50, throttlingBurstLimit: 100 },
    handlers: {
      api: { memoryMb: 512, timeoutSeconds: 10, reservedConcurrency: 20 },
      // Scanning streams the object: at ~60 MiB/s, 5 minutes bounds one object at about 17 GiB.
      scan: { memoryMb: 2048, timeoutSeconds: 300, reservedConcurrency: 10, batchSize: 5 },
      quarantine: { memoryMb: 512, timeoutSeconds: 120, reservedConcurrency: 5, batchSize: 5 },
      process: { memoryMb: 512, timeoutSeconds: 120, reservedConcurrency: 10, batchSize: 5 },
    },
    logLevel: 'INFO',
    clamdAddress: undefined,
    // Encrypted archive entries cannot be inspected, so they are SUSPICIOUS.
    scan: { allowEncryptedArchiveEntries: false },
    guardDuty: { malwareProtection: false, inconclusiveVerdict: 'ERROR' },
    // Days a status record lives after its upload was presigned (DynamoDB TTL, set by the intake API).
    statusRetentionDays: DEFAULT_STATUS_TTL_DAYS,
    dlqMaxReceiveCount: 5,
    resultsArchiveRetentionDays: 30,
  },
  backups: {
    // The seed documents' nightly backups: the main database (pg_dump custom format) and the server files.
    // Floors are deliberately low (a backup smaller than this is certainly broken); maxDropPercent catches
    // a shrinking one. Raise them per env once real sizes are known.
    sources: [backupSource('main-db', 'pg-dump', 1 * MiB), backupSource('server-files', 'tar-gz', 1 * MiB)],
    // 04:00 UTC daily: after the nightly backups have landed.
    verifySchedule: 'cron(0 4 * * ? *)',
    // Streams every newest backup through sha256 and the format checks: 15 minutes (the Lambda maximum) covers
    // several GiB at S3's ~60 MiB/s per stream. Two at a time: a re-verification the operations handler starts
    // while the nightly run is going must not be throttled.
    verifier: { memoryMb: 2048, timeoutSeconds: 900, reservedConcurrency: 2 },
    logLevel: 'INFO',
    writerPrincipalArns: [],
    requireReplication: false,
  },
  tags: {},
};

/**
 * The environments. Set staging's and prod's account here before their first deploy (docs/deploy.md): a deploying
 * synth refuses them without one. Dev may stay undefined and follow the deploying credentials.
 */
export const ENVIRONMENTS: Record<EnvName, EnvDefinition> = {
  dev: {
    ...base,
    account: undefined,
    intake: { ...base.intake, logLevel: 'DEBUG' },
    backups: { ...base.backups, logLevel: 'DEBUG' },
    operations: { ...base.operations, logLevel: 'DEBUG' },
  },
  staging: {
    ...base,
    account: undefined,
    cors: { allowedOrigins: ['https://staging.stowage.example.com'] },
    uploads: { ...base.uploads, presignExpirySeconds: 600, downloadExpirySeconds: 600 },
    removalPolicy: 'retain',
    autoDeleteObjects: false,
    logRetentionDays: 90,
    alarms: { ...base.alarms, actionsEnabled: true },
    intake: {
      ...base.intake,
      jwt: { issuerUrl: 'https://auth.staging.stowage.example.com', audiences: ['stowage-staging'] },
      guardDuty: { malwareProtection: true, inconclusiveVerdict: 'ERROR' },
    },
  },
  prod: {
    ...base,
    account: undefined,
    cors: { allowedOrigins: ['https://stowage.example.com'] },
    replication: {
      enabled: true,
      replicaRegion: 'eu-central-1',
      replicationTimeControl: true,
      metrics: true,
    },
    lifecycle: {
      ...base.lifecycle,
      noncurrentVersionExpirationDays: 90,
      // Nobody, not even an admin without governance bypass, can delete a backup in its first 30 days.
      backups: { ...base.lifecycle.backups, objectLockRetentionDays: 30 },
    },
    uploads: { ...base.uploads, presignExpirySeconds: 300, downloadExpirySeconds: 300 },
    removalPolicy: 'retain',
    autoDeleteObjects: false,
    logRetentionDays: 365,
    alarms: { ...base.alarms, actionsEnabled: true },
    intake: {
      ...base.intake,
      jwt: { issuerUrl: 'https://auth.stowage.example.com', audiences: ['stowage'] },
      api: { throttlingRateLimit: 200, throttlingBurstLimit: 400 },
      guardDuty: { malwareProtection: true, inconclusiveVerdict: 'SUSPICIOUS' },
      resultsArchiveRetentionDays: 90,
    },
    // Every backup must have reached the replica region (replication status COMPLETED).
    backups: { ...base.backups, requireReplication: true },
  },
};

/** Account of a config read without one (CLI, tests): synth needs no AWS lookup. Deploying refuses it for staging and prod. */
export const PLACEHOLDER_ACCOUNT = '123456789012';

/** Region of an env that names none. */
export const DEFAULT_REGION = 'eu-west-1';
