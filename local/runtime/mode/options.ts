/**
 * What `startLocalMode` takes and gives: its options (LocalModeOptions, ExternalS3Endpoint) and a running local
 * mode (LocalMode). Imported through local-mode.ts.
 */
import type { S3Endpoint } from '../../../core/aws/s3-client';
import type { VerificationReport } from '../../../core/backup/verify/verification-report';
import type { StowageConfig } from '../../../lib/config';
import type { BucketPurpose } from '../../../lib/config/naming';
import type { RgwObjectStore } from '../../servers/rgw';
import type { SupervisorOptions } from '../../servers/supervisor';
import type { LocalKmsKeyIds } from '../local-buckets';
import type { LocalIntake, LocalIntakeOptions } from '../local-intake';

/** The API's default port (`--port`). */
export const DEFAULT_API_PORT = 8787;

/** An existing S3-compatible server to use instead of starting RGW (`--s3-endpoint`). */
export interface ExternalS3Endpoint {
  /** e.g. `http://127.0.0.1:9000`. Required. */
  readonly url: string;
  /** Access key. Required. */
  readonly accessKeyId: string;
  /** Secret key. Required. */
  readonly secretAccessKey: string;
  /** Region clients sign for. Default `us-east-1`. */
  readonly region?: string;
  /** SSE-KMS key id the server knows, used for every bucket. Default `$STOWAGE_KMS_KEY_ID`, else DEFAULT_KMS_KEY_ID. */
  readonly kmsKeyId?: string;
}

export interface LocalModeOptions {
  /** Data directory (servers, signing key, status records, local.json); state survives restarts. Default `.stowage`. */
  readonly dataDir?: string;
  /** Port of the API and page on 127.0.0.1; 0 picks a free one. Default 8787. */
  readonly port?: number;
  /** Stop this data directory's servers and remove local mode's state from it first. Default false. */
  readonly fresh?: boolean;
  /**
   * An existing S3-compatible server instead of local mode's RGW. A URL string takes its credentials from
   * `environment` (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION). Default: RGW in `<dataDir>/rgw`.
   */
  readonly s3Endpoint?: string | ExternalS3Endpoint;
  /**
   * Scan with ClamAV as well as the built-in engine: `true` starts (or reuses) clamd in `<dataDir>/clamd`, a
   * `{ host, port }` uses that running clamd (tests), `false` scans with the built-in engine only. Default true.
   */
  readonly clamav?: boolean | { readonly host: string; readonly port: number };
  /** Where local mode's RGW keeps objects. Default `bluestore` (kept across restarts). */
  readonly objectStore?: RgwObjectStore;
  /** The env's config the buckets, handlers and verifier follow. Default: `dev`'s (loadConfig). */
  readonly config?: StowageConfig;
  /** Run the backup verifier once at start (besides its schedule). Default true. */
  readonly verifyAtStart?: boolean;
  /** Check for, and as root install, the server binaries. Default true. */
  readonly preflight?: boolean;
  /** Log level of the handlers' structured logs. Default `WARN`. */
  readonly logLevel?: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'SILENT';
  /** How long clamd may take for a verdict: floor + size at a throughput. Default: the clamd engine's (15 s + 16 MiB/s). */
  readonly clamdScanTimeout?: LocalIntakeOptions['clamdScanTimeout'];
  /** Restart policy for the servers this run started (backoff, failures before giving up). Default: the supervisor's. */
  readonly supervision?: Omit<SupervisorOptions, 'say'>;
  /** Where the ready lines and notes go. Default: stdout. */
  readonly out?: (line: string) => void;
  /** Where failures go: verifier alerts, dead letters, stop problems. Default: stderr. */
  readonly err?: (line: string) => void;
  /** Environment variables read for `--s3-endpoint` credentials and STOWAGE_KMS_KEY_ID. Default: process.env. */
  readonly environment?: Readonly<Record<string, string | undefined>>;
}

/** A running local mode. */
export interface LocalMode {
  /** e.g. `http://127.0.0.1:8787`. */
  readonly apiUrl: string;
  /** The S3 endpoint uploads go to, e.g. `http://127.0.0.1:41233`. */
  readonly s3Url: string;
  /** The upload page, e.g. `http://127.0.0.1:8787/`. */
  readonly pageUrl: string;
  /** Absolute data directory. */
  readonly dataDir: string;
  /** The S3 server's endpoint and credentials (path-style clients: createS3Client). */
  readonly s3: Required<Pick<S3Endpoint, 'endpoint' | 'region' | 'credentials'>>;
  /** Bucket names by purpose. */
  readonly buckets: Readonly<Record<BucketPurpose, string>>;
  /** SSE-KMS key id of each data bucket. */
  readonly kmsKeyIds: LocalKmsKeyIds;
  /** Pids of the server processes this run started (and stop() stops); reused servers are not listed. */
  readonly startedPids: readonly number[];
  /** The pipeline's queues (depth, dead letters) and handler metrics. */
  readonly intake: Pick<LocalIntake, 'queues' | 'metrics'>;
  /** A token for `user` (default lifetime 1 hour), as `stowage local token` prints. */
  mintToken(user: string, expiresInSeconds?: number): Promise<string>;
  /** Runs the backup verifier now, as the schedule does; resolves with its report (also written to the bucket). */
  verifyBackups(): Promise<VerificationReport>;
  /** When the verifier runs next on its schedule. */
  nextVerificationAt(): Date | undefined;
  /**
   * Stops the HTTP server, the queues (batches in flight finish), the verifier and the servers this run started;
   * leaves reused servers running. Idempotent.
   */
  stop(): Promise<void>;
}
