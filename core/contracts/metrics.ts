/**
 * The metrics contract: the namespace, each handler's service name and the metric names that the handlers emit and
 * the Operations stack's alarms and dashboard read. lib/constructs/stowage-function.ts sets POWERTOOLS_SERVICE_NAME
 * and POWERTOOLS_METRICS_NAMESPACE from these; Powertools in lambda/<handler>/index.ts reads them from there, and
 * local mode passes the same values, so every host emits the same series.
 */
import { METRIC_NAMES as BACKUP_METRIC_NAMES } from '../backup/verify/verification-metrics';

/** CloudWatch namespace of every Stowage metric (POWERTOOLS_METRICS_NAMESPACE). */
export const METRICS_NAMESPACE = 'Stowage';

/**
 * The one service name of each handler (POWERTOOLS_SERVICE_NAME): the `service` of its log lines and traces, and the
 * `service` dimension of its metrics. Equal to the handler's directory under lambda/.
 */
export const HANDLER_SERVICES = {
  intakeApi: 'intake-api',
  scan: 'scan',
  quarantine: 'quarantine',
  process: 'process',
  backupVerify: 'backup-verify',
  operations: 'operations',
} as const;
export type HandlerService = (typeof HANDLER_SERVICES)[keyof typeof HANDLER_SERVICES];

/**
 * The handlers that emit metrics, by the `service` dimension the Operations stack reads them by. Every Stowage metric
 * has the dimensions `service` and `env`; the verifier's add `source`.
 */
export const METRIC_SERVICES = {
  scan: HANDLER_SERVICES.scan,
  quarantine: HANDLER_SERVICES.quarantine,
  process: HANDLER_SERVICES.process,
  backupVerify: HANDLER_SERVICES.backupVerify,
  operations: HANDLER_SERVICES.operations,
} as const;
export type MetricService = (typeof METRIC_SERVICES)[keyof typeof METRIC_SERVICES];

/** Verdict metrics of the scan handler: `Scan<STATUS>` per published verdict (lambda/scan/scan-handler.ts). */
export const SCAN_VERDICTS = ['CLEAN', 'INFECTED', 'SUSPICIOUS', 'ERROR'] as const;

/** Metrics the handlers emit that the Operations stack reads. */
export const HANDLER_METRICS = {
  /** Quarantine handler: uploads moved into quarantine. */
  quarantined: 'Quarantined',
  /**
   * Quarantine and process handlers: milliseconds from the upload landing in S3 to the end of its move. The dashboard
   * shows its percentiles.
   */
  endToEndLatency: 'EndToEndLatency',
  backupVerified: BACKUP_METRIC_NAMES.VERIFIED,
  backupAgeHours: BACKUP_METRIC_NAMES.AGE_HOURS,
  backupSizeBytes: BACKUP_METRIC_NAMES.SIZE_BYTES,
} as const;
