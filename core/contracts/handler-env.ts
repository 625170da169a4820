/**
 * Environment variables the Intake stack sets on each handler: the contract between
 * lib/stacks/intake-stack.ts and lambda/<handler>/index.ts. Handlers read them once, at cold start,
 * validate them, and pass plain values down; nothing deeper reads process.env.
 */
export const HANDLER_ENV = {
  /** Name of the uploads bucket. */
  UPLOADS_BUCKET: 'STOWAGE_UPLOADS_BUCKET',
  /** ARN of the uploads bucket's KMS key (presigned POSTs name it). */
  UPLOADS_KEY_ARN: 'STOWAGE_UPLOADS_KEY_ARN',
  /** Name of the processed bucket. */
  PROCESSED_BUCKET: 'STOWAGE_PROCESSED_BUCKET',
  /** ARN of the processed bucket's KMS key. */
  PROCESSED_KEY_ARN: 'STOWAGE_PROCESSED_KEY_ARN',
  /** Name of the quarantine bucket. */
  QUARANTINE_BUCKET: 'STOWAGE_QUARANTINE_BUCKET',
  /** ARN of the quarantine bucket's KMS key. */
  QUARANTINE_KEY_ARN: 'STOWAGE_QUARANTINE_KEY_ARN',
  /** Name of the DynamoDB table of upload status records. */
  STATUS_TABLE: 'STOWAGE_STATUS_TABLE',
  /** Days a status record is kept after its upload was presigned (DynamoDB TTL). */
  STATUS_RETENTION_DAYS: 'STOWAGE_STATUS_RETENTION_DAYS',
  /** Name of the results EventBridge bus. */
  RESULTS_BUS: 'STOWAGE_RESULTS_BUS',
  /** Largest upload accepted, in bytes. */
  MAX_UPLOAD_BYTES: 'STOWAGE_MAX_UPLOAD_BYTES',
  /** Comma-separated allowed content types. */
  ALLOWED_CONTENT_TYPES: 'STOWAGE_ALLOWED_CONTENT_TYPES',
  /** Presigned POST lifetime in seconds. */
  PRESIGN_EXPIRY_SECONDS: 'STOWAGE_PRESIGN_EXPIRY_SECONDS',
  /** Presigned download (GET) URL lifetime in seconds. */
  DOWNLOAD_EXPIRY_SECONDS: 'STOWAGE_DOWNLOAD_EXPIRY_SECONDS',
  /** maxReceiveCount of the queue feeding the handler: its last failing delivery records the dead-letter reason. */
  DLQ_MAX_RECEIVE_COUNT: 'STOWAGE_DLQ_MAX_RECEIVE_COUNT',
  /** `host:port` of a clamd (fleet); unset = ClamAV engine off. */
  CLAMD_ADDRESS: 'STOWAGE_CLAMD_ADDRESS',
  /** `true`: encrypted archive entries are accepted uninspected (config intake.scan.allowEncryptedArchiveEntries). */
  SCAN_ALLOW_ENCRYPTED_ENTRIES: 'STOWAGE_SCAN_ALLOW_ENCRYPTED_ENTRIES',
  /** What a GuardDuty UNSUPPORTED / FAILED / ACCESS_DENIED result becomes: `ERROR` or `SUSPICIOUS`. */
  GUARDDUTY_INCONCLUSIVE_VERDICT: 'STOWAGE_GUARDDUTY_INCONCLUSIVE_VERDICT',
  /** Name of the backups bucket. */
  BACKUPS_BUCKET: 'STOWAGE_BACKUPS_BUCKET',
  /** ARN of the backups bucket's KMS key (the verifier checks each backup is encrypted with it). */
  BACKUPS_KEY_ARN: 'STOWAGE_BACKUPS_KEY_ARN',
  /** JSON array of the backup sources and their expectations (BackupSourceConfig[]). */
  BACKUP_SOURCES: 'STOWAGE_BACKUP_SOURCES',
  /** `true` where backups must show replication status COMPLETED (prod). */
  BACKUP_REQUIRE_REPLICATION: 'STOWAGE_BACKUP_REQUIRE_REPLICATION',
  /** ARN of the operations SNS topic that hears about failed verifications. */
  OPERATIONS_TOPIC_ARN: 'STOWAGE_OPERATIONS_TOPIC_ARN',
  /** Environment name, for logs and metrics dimensions. */
  ENV_NAME: 'STOWAGE_ENV',
  /**
   * Operations handler: JSON array of the DLQs it may redrive, `{ deadLetterQueueName, deadLetterQueueUrl,
   * sourceQueueUrl }[]`; a DLQ alarm names its queue by the `QueueName` dimension.
   */
  REDRIVE_ROUTES: 'STOWAGE_REDRIVE_ROUTES',
  /** Operations handler: URL of the holding queue poison messages are parked in. */
  HOLDING_QUEUE_URL: 'STOWAGE_HOLDING_QUEUE_URL',
  /** Operations handler: most messages one DLQ redrive moves. */
  REDRIVE_MAX_MESSAGES: 'STOWAGE_REDRIVE_MAX_MESSAGES',
  /** Operations handler: redrives of one message after which it is parked instead. */
  POISON_MAX_REDRIVES: 'STOWAGE_POISON_MAX_REDRIVES',
  /** Operations handler: name or ARN of the backup verification function it re-invokes. */
  VERIFIER_FUNCTION: 'STOWAGE_VERIFIER_FUNCTION',
  /** Operations handler: DynamoDB table of handled alarm transitions (Powertools idempotency). */
  IDEMPOTENCY_TABLE: 'STOWAGE_IDEMPOTENCY_TABLE',
  /**
   * Operations handler: URL of the Backups stack's verification failures queue (records of runs that never
   * completed). Its last path segment is the queue name, the `QueueName` dimension of its NotEmpty alarm.
   */
  VERIFICATION_FAILURES_QUEUE_URL: 'STOWAGE_VERIFICATION_FAILURES_QUEUE_URL',
} as const;

export type HandlerEnvName = (typeof HANDLER_ENV)[keyof typeof HANDLER_ENV];
