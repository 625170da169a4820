/**
 * The intake sections of the environment config: the browser origins allowed to upload, what an upload may be
 * (size, content types, presigned form lifetime), and the intake pipeline (JWT issuer, API throttling, the four
 * handlers, clamd, GuardDuty, status retention, DLQs), with the scan throughput its timeout is checked against.
 */
import { z } from 'zod';

import { DOWNLOAD_EXPIRY_BOUNDS, PRESIGN_EXPIRY_BOUNDS } from '../../../lambda/intake-api/intake-config';
import { days, handlerSettingsSchema, LOG_LEVELS, queueHandlerSettingsSchema } from './fields';

const origin = z
  .string()
  .refine(
    (o) => o === '*' || /^https?:\/\/[a-z0-9.-]+(:\d+)?$/i.test(o),
    'must be a scheme and host such as https://app.example.com (no path, no trailing slash)',
  );
const contentType = z
  .string()
  .regex(/^[a-z]+\/[a-z0-9.+-]+$/, 'must be a lower-case MIME type such as application/pdf');

/**
 * Throughput the scan handler sustains streaming an object from S3 through the engines (S3 GetObject in
 * Lambda is the bound: ~60 MiB/s; the engines alone run at over 1 GiB/s, see BENCHMARKS.md). With it, the
 * scan timeout bounds the largest object one invocation can scan: 5 minutes is about 17 GiB.
 */
export const SCAN_THROUGHPUT_BYTES_PER_SECOND = 60 * 1024 * 1024;
/** Share of the scan timeout the streaming itself may use; the rest is tagging, status and publishing. */
export const SCAN_TIME_BUDGET = 0.8;

const hostPort = z
  .string()
  .regex(/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?:[1-9]\d{0,4}$/i, 'must be host:port such as clamd.internal:3310')
  .refine((a) => Number(a.slice(a.lastIndexOf(':') + 1)) <= 65535, 'port must be at most 65535');

/** CORS of the uploads bucket. */
export const corsSchema = z.object({
  /** Browser origins allowed to upload straight to the uploads bucket. */
  allowedOrigins: z.array(origin).min(1, 'needs at least one origin'),
});

/** What an upload may be: size, content types, lifetime of its presigned form. */
export const uploadsSchema = z.object({
  /** Largest upload accepted, in bytes. */
  maxSizeBytes: z
    .number()
    .int()
    .positive('must be at least 1 byte')
    .max(5 * 1024 ** 3, 'must be at most 5 GiB (the presigned POST limit)'),
  /** Content types the intake API accepts. */
  allowedContentTypes: z.array(contentType).min(1, 'needs at least one content type'),
  /**
   * Lifetime of a presigned POST, in seconds: what a browser needs to start the upload. S3 accepts the form again
   * and again until it expires (every POST a new version, quarantined as form-reused), so it is kept short.
   */
  presignExpirySeconds: z
    .number()
    .int('must be whole seconds')
    .min(
      PRESIGN_EXPIRY_BOUNDS.min,
      `must be at least ${PRESIGN_EXPIRY_BOUNDS.min} seconds (a browser needs time to start the upload)`,
    )
    .max(
      PRESIGN_EXPIRY_BOUNDS.max,
      `must be at most ${PRESIGN_EXPIRY_BOUNDS.max} seconds (15 minutes): a presigned form can be POSTed again until it expires`,
    ),
  /**
   * Lifetime of a presigned download URL (`GET /uploads/{uploadId}/download`), in seconds: anyone holding the URL
   * can read the file until it expires, so it is kept to minutes.
   */
  downloadExpirySeconds: z
    .number()
    .int('must be whole seconds')
    .min(
      DOWNLOAD_EXPIRY_BOUNDS.min,
      `must be at least ${DOWNLOAD_EXPIRY_BOUNDS.min} seconds (a client needs time to start the download)`,
    )
    .max(
      DOWNLOAD_EXPIRY_BOUNDS.max,
      `must be at most ${DOWNLOAD_EXPIRY_BOUNDS.max} seconds (1 hour): anyone holding the URL can read the file until it expires`,
    ),
});

/** The intake pipeline: JWT, API throttling, handlers, clamd, GuardDuty, status retention, DLQs, results archive. */
export const intakeSchema = z.object({
  jwt: z.object({
    /** Issuer (`iss`) of the JWTs the HTTP API accepts, e.g. a Cognito user pool URL. https in prod. */
    issuerUrl: z.url({ protocol: /^https?$/, error: 'must be an http(s):// URL' }),
    /** Accepted audiences (`aud` or, for Cognito access tokens, `client_id`). */
    audiences: z.array(z.string().min(1, 'must not be empty')).min(1, 'needs at least one audience'),
  }),
  api: z.object({
    /** Steady-state requests per second across the HTTP API's routes. */
    throttlingRateLimit: z.number().positive('must be above 0'),
    /** Burst of requests the HTTP API absorbs above the rate. */
    throttlingBurstLimit: z.number().int().positive('must be at least 1'),
  }),
  handlers: z.object({
    /** The presign/status HTTP API handler. */
    api: handlerSettingsSchema,
    /** The scan handler: its timeout bounds the largest object it can scan (see SCAN_THROUGHPUT_BYTES_PER_SECOND). */
    scan: queueHandlerSettingsSchema,
    /** The quarantine handler (INFECTED, SUSPICIOUS). */
    quarantine: queueHandlerSettingsSchema,
    /** The process handler (CLEAN). */
    process: queueHandlerSettingsSchema,
  }),
  /** Log level of every handler (Powertools). */
  logLevel: z.enum(LOG_LEVELS),
  /** `host:port` of a clamd (fleet) the scan handler streams to. Unset: the ClamAV engine is off. */
  clamdAddress: hostPort.optional(),
  scan: z.object({
    /**
     * Accept encrypted archive entries (zip -P, AES) without inspecting them. false (the default): an entry the
     * scanner cannot read is SUSPICIOUS ("cannot inspect: encrypted entry NAME").
     */
    allowEncryptedArchiveEntries: z.boolean(),
  }),
  guardDuty: z.object({
    /** Protect the uploads bucket with a GuardDuty Malware Protection plan and consume its results. */
    malwareProtection: z.boolean(),
    /** What an inconclusive GuardDuty result (UNSUPPORTED, FAILED, ACCESS_DENIED) becomes. */
    inconclusiveVerdict: z.enum(['ERROR', 'SUSPICIOUS']),
  }),
  /** Days a status record lives after its last update (DynamoDB TTL). */
  statusRetentionDays: days,
  /** Deliveries of a message before its queue moves it to the DLQ. */
  dlqMaxReceiveCount: z.number().int().min(1, 'must be at least 1').max(1000, 'must be at most 1000'),
  /** Days the results bus archive keeps events (replays for new subscribers and recovery). */
  resultsArchiveRetentionDays: days,
});
