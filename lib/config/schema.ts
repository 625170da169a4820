import { z } from 'zod';
import { SOURCE_NAME_PATTERN } from '../../core/backup/backup-layout';
import { PRESIGN_EXPIRY_BOUNDS } from '../../lambda/intake-api/intake-config';
import { CONTENT_CHECKS } from '../../core/backup/verify/source-config-schema';
import { cronExpressionProblem } from './cron-expression';

/** The environments Stowage deploys to. Adding one: see README "Adding an environment". */
export const ENV_NAMES = ['dev', 'staging', 'prod'] as const;
export type EnvName = (typeof ENV_NAMES)[number];

/** Retention values CloudWatch Logs accepts (days). */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

const days = z.number().int('must be a whole number of days').positive('must be at least 1 day');
const awsRegion = z.string().regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, 'must be an AWS region such as eu-west-1');
const accountId = z.string().regex(/^\d{12}$/, 'must be a 12-digit AWS account id');
const iamArn = z
  .string()
  .regex(/^arn:aws[a-z-]*:iam::\d{12}:(role|user)\/.+$/, 'must be an IAM role or user ARN');
const origin = z
  .string()
  .refine(
    (o) => o === '*' || /^https?:\/\/[a-z0-9.-]+(:\d+)?$/i.test(o),
    'must be a scheme and host such as https://app.example.com (no path, no trailing slash)',
  );
const contentType = z
  .string()
  .regex(/^[a-z]+\/[a-z0-9.+-]+$/, 'must be a lower-case MIME type such as application/pdf');

/** Storage classes a lifecycle rule may archive into. */
export const ARCHIVE_STORAGE_CLASSES = ['GLACIER_IR', 'GLACIER', 'DEEP_ARCHIVE'] as const;

/** Log levels of the handlers' structured (Powertools) logs. */
export const LOG_LEVELS = ['DEBUG', 'INFO', 'WARN', 'ERROR'] as const;

/**
 * Throughput the scan handler sustains streaming an object from S3 through the engines (S3 GetObject in
 * Lambda is the bound: ~60 MiB/s; the engines alone run at over 1 GiB/s, see BENCHMARKS.md). With it, the
 * scan timeout bounds the largest object one invocation can scan: 5 minutes is about 17 GiB.
 */
export const SCAN_THROUGHPUT_BYTES_PER_SECOND = 60 * 1024 * 1024;
/** Share of the scan timeout the streaming itself may use; the rest is tagging, status and publishing. */
export const SCAN_TIME_BUDGET = 0.8;

/** Size, time and concurrency of one handler. */
export const handlerSettingsSchema = z.object({
  /** Memory in MB (Lambda allots CPU in proportion). */
  memoryMb: z.number().int().min(128, 'must be at least 128 MB').max(10240, 'must be at most 10240 MB'),
  /** Timeout in seconds. */
  timeoutSeconds: z
    .number()
    .int()
    .min(1, 'must be at least 1 second')
    .max(900, 'must be at most 900 seconds'),
  /** Reserved concurrency: a cap that also protects the account's pool. */
  reservedConcurrency: z.number().int().min(1, 'must be at least 1'),
});

/** Settings of a handler fed by an SQS queue. */
export const queueHandlerSettingsSchema = handlerSettingsSchema.extend({
  /** Messages per invocation (partial batch responses report each failed one). */
  batchSize: z.number().int().min(1, 'must be at least 1').max(10, 'must be at most 10'),
  /** Reserved concurrency; also the event source's maximum concurrency, which SQS needs to be at least 2. */
  reservedConcurrency: z.number().int().min(2, 'must be at least 2 (SQS event sources scale from 2)'),
});

const hostPort = z
  .string()
  .regex(/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?:[1-9]\d{0,4}$/i, 'must be host:port such as clamd.internal:3310')
  .refine((a) => Number(a.slice(a.lastIndexOf(':') + 1)) <= 65535, 'port must be at most 65535');

export const bucketLifecycleSchema = z.object({
  /** Days after which current objects move to the archive tier, if set. */
  archiveAfterDays: days.optional(),
  /** The archive tier: GLACIER_IR (instant), GLACIER (Flexible Retrieval) or DEEP_ARCHIVE. */
  archiveStorageClass: z.enum(ARCHIVE_STORAGE_CLASSES).optional(),
  /** Days after which current objects expire, if set. */
  expirationDays: days.optional(),
});

/** Content checks a backup source gets, by what its backups are (BackupSourceConfig.format). */
export const BACKUP_FORMATS = ['pg-dump', 'gzip', 'tar-gz', 'raw'] as const;

/** Defaults of a backup source's expectations (BackupSourceConfig). */
export const BACKUP_SOURCE_DEFAULTS = {
  /** A nightly backup plus two hours of slack. */
  maxAgeHours: 26,
  /** The newest backup may be at most half the size of the median of the previous 7. */
  maxDropPercent: 50,
} as const;

/** One backup source and what its newest backup must look like (core/backup/backup-source.ts). */
export const backupSourceSchema = z.object({
  /** Source name, as in the key layout `backups/<source>/…`. */
  name: z
    .string()
    .regex(
      SOURCE_NAME_PATTERN,
      'must be 1-63 lower-case letters, digits and dashes, starting with a letter or digit',
    ),
  /** What the backup is: decides the content checks. */
  format: z.enum(BACKUP_FORMATS),
  /** The newest backup must be younger than this many hours. */
  maxAgeHours: z
    .number()
    .int('must be a whole number of hours')
    .min(1, 'must be at least 1 hour')
    .max(24 * 366, 'must be at most 8784 hours (a year)')
    .default(BACKUP_SOURCE_DEFAULTS.maxAgeHours),
  /** The newest backup must be at least this many bytes (original size). */
  minBytes: z.number().int('must be a whole number of bytes').min(1, 'must be at least 1 byte'),
  /** The newest backup may be at most this much smaller than the median of the previous 7 (percent). */
  maxDropPercent: z
    .number()
    .min(0, 'must be between 0 and 100')
    .max(100, 'must be between 0 and 100')
    .default(BACKUP_SOURCE_DEFAULTS.maxDropPercent),
  /**
   * `optional`: a backup whose content the verifier cannot open (passphrase-encrypted, a format it does not read)
   * is reported `unverified` without failing the source. Default: required (it fails the source).
   */
  contentChecks: z.enum(CONTENT_CHECKS).optional(),
});

/** Settings of the nightly verification handler: one run at a time, long enough for multi-GiB streamed checks. */
export const verifierSettingsSchema = handlerSettingsSchema.extend({
  /** Reserved concurrency: 1 or 2 (the nightly run, and one re-verification the operations handler starts). */
  reservedConcurrency: z
    .number()
    .int()
    .min(1, 'must be at least 1')
    .max(2, 'must be at most 2 (verification runs are not parallelised)'),
});

/** Longest evaluation range (period × evaluation periods) of an alarm with a period under one hour (CloudWatch). */
export const MAX_SHORT_PERIOD_ALARM_RANGE_SECONDS = 24 * 60 * 60;
/** Longest evaluation range of any alarm (CloudWatch: seven days). */
export const MAX_ALARM_RANGE_SECONDS = 7 * 24 * 60 * 60;

/** Where an alarm looks: the length of one period and how many periods must all breach. */
const alarmWindow = {
  /** Length of one evaluation period in seconds: a whole number of minutes. */
  periodSeconds: z
    .number()
    .int()
    .min(60, 'must be at least 60 seconds')
    .max(86400, 'must be at most 86400 seconds (a day)')
    .refine((s) => s % 60 === 0, 'must be a whole number of minutes (a multiple of 60)'),
  /** Consecutive periods that must breach before the alarm fires. */
  evaluationPeriods: z.number().int().min(1, 'must be at least 1'),
};

/**
 * Alarm thresholds and windows of the Operations stack (lib/constructs/operations-alarms.ts). Every alarm's
 * evaluation range (period × evaluation periods) must fit CloudWatch's limits; the config refinement checks it.
 */
export const alarmSettingsSchema = z.object({
  /** Errors ≥ 1, throttles ≥ 1 and p99 duration near the timeout, for every handler. */
  handlers: z.object({
    ...alarmWindow,
    /** The duration alarm fires when p99 duration reaches this share of the handler's timeout (percent). */
    durationPercentOfTimeout: z
      .number()
      .int()
      .min(1, 'must be between 1 and 100')
      .max(100, 'must be between 1 and 100'),
  }),
  /** One or more visible messages in a DLQ, the backups failures queue, the holding queue. */
  queues: z.object(alarmWindow),
  /** The intake queue's oldest message is older than this: the scan pipeline is not keeping up. */
  intakeQueueAge: z.object({
    ...alarmWindow,
    /** Age of the oldest message, in seconds, above which the alarm fires. */
    thresholdSeconds: z.number().int().min(60, 'must be at least 60 seconds'),
  }),
  /** Scans that ended with verdict ERROR (ScanERROR, summed per period) reach this count. */
  scanErrors: z.object({
    ...alarmWindow,
    /** ERROR verdicts per period at which the alarm fires. */
    threshold: z.number().int().min(1, 'must be at least 1'),
  }),
  /** More uploads than this were quarantined in an hour (Quarantined, summed per hour). */
  quarantinedPerHour: z.object({
    /** Quarantined uploads per hour above which the alarm fires. */
    threshold: z.number().int().min(0, 'must be at least 0'),
    /** Consecutive hours that must breach. */
    evaluationPeriods: z.number().int().min(1, 'must be at least 1').max(168, 'must be at most 168 (a week)'),
  }),
  /**
   * Backup verification and staleness per source. Each alarm looks at hourly datapoints over this many hours and
   * fires when none of them was good (missing data is breaching): a verifier that did not run alarms too. Keep it
   * above the time between two verification runs plus their jitter (daily runs: 25 or more).
   */
  backups: z.object({
    /** Hours without a good datapoint before a backup alarm fires. */
    windowHours: z.number().int().min(1, 'must be at least 1 hour').max(168, 'must be at most 168 hours'),
  }),
  /** API 5xx responses as a share of requests (metric math over AWS/ApiGateway 5xx and Count). */
  api5xx: z.object({
    ...alarmWindow,
    /** Percent of requests answered 5xx above which the alarm fires. */
    ratePercent: z.number().gt(0, 'must be above 0').max(100, 'must be at most 100'),
  }),
  /** S3 replication of processed and backups (only where replication metrics are on). */
  replication: z.object({
    ...alarmWindow,
    /** Replication latency, in seconds, above which the alarm fires (RTC promises 900). */
    latencySeconds: z.number().int().min(60, 'must be at least 60 seconds'),
  }),
});

/** Settings of the alarm-driven operations handler (lambda/operations). */
export const operationsSchema = z.object({
  /** Size, time and concurrency of the handler. Its timeout must cover a re-verification it waits for. */
  handler: handlerSettingsSchema,
  /** Log level of the handler (Powertools). */
  logLevel: z.enum(LOG_LEVELS),
  /** Most messages one DLQ redrive moves. */
  redriveMaxMessages: z
    .number()
    .int()
    .min(1, 'must be at least 1')
    .max(10000, 'must be at most 10000 (a run must end within the handler timeout)'),
  /** Redrives of one message after which it is parked in the holding queue instead. */
  poisonMaxRedrives: z.number().int().min(1, 'must be at least 1').max(100, 'must be at most 100'),
  /** Days the holding queue keeps parked messages (SQS allows at most 14). */
  holdingRetentionDays: z.number().int().min(1, 'must be at least 1 day').max(14, 'must be at most 14 days'),
});

const cronExpression = z.string().superRefine((expression, ctx) => {
  const problem = cronExpressionProblem(expression);
  if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
});

export const configSchema = z
  .object({
    /** Environment name, used in stack names and tags. */
    envName: z.enum(ENV_NAMES),
    /** AWS account the env deploys to. */
    account: accountId,
    /** Primary region: every stack except Replica. */
    region: awsRegion,
    replication: z.object({
      /** Replicate `processed` and `backups` into the replica region. */
      enabled: z.boolean(),
      /** Region of the Replica stack. Must differ from the primary region. */
      replicaRegion: awsRegion,
      /** S3 Replication Time Control (15-minute SLA; implies metrics). */
      replicationTimeControl: z.boolean(),
      /** Replication metrics (latency, pending operations) in CloudWatch. */
      metrics: z.boolean(),
    }),
    cors: z.object({
      /** Browser origins allowed to upload straight to the uploads bucket. */
      allowedOrigins: z.array(origin).min(1, 'needs at least one origin'),
    }),
    uploads: z.object({
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
    }),
    lifecycle: z.object({
      uploads: bucketLifecycleSchema,
      processed: bucketLifecycleSchema,
      quarantine: bucketLifecycleSchema,
      backups: bucketLifecycleSchema.extend({
        /** Days after which objects under `test/` expire. */
        testPrefixExpirationDays: days,
        /** Object Lock (governance mode) default retention of every backup version, in days. Unset: no lock. */
        objectLockRetentionDays: days.optional(),
      }),
      accessLogs: bucketLifecycleSchema,
      /** Days after which noncurrent object versions expire, in every bucket. */
      noncurrentVersionExpirationDays: days,
      /** Days after which incomplete multipart uploads are aborted, in every bucket. */
      abortIncompleteMultipartUploadDays: days,
    }),
    /** What happens to buckets and keys when a stack is deleted. */
    removalPolicy: z.enum(['retain', 'destroy']),
    /** Empty buckets on stack deletion (only with removalPolicy destroy). */
    autoDeleteObjects: z.boolean(),
    /** CloudWatch Logs retention for every log group, in days. */
    logRetentionDays: z.number().refine((d) => (LOG_RETENTION_DAYS as readonly number[]).includes(d), {
      message: `must be one of ${LOG_RETENTION_DAYS.join(', ')}`,
    }),
    /** Extra principals (human or CI roles) allowed to use the data keys, e.g. backup writers. */
    additionalKeyUserArns: z.array(iamArn),
    alarms: z.object({
      /** Alarm actions on (pages people) or off (alarms still change state). */
      actionsEnabled: z.boolean(),
      /** Email addresses subscribed to the operations topic. */
      emailSubscriptions: z.array(z.email('must be an email address')),
      /** HTTPS endpoints subscribed to the operations topic. */
      httpsSubscriptions: z.array(z.url({ protocol: /^https$/, error: 'must be an https:// URL' })),
      ...alarmSettingsSchema.shape,
    }),
    /** The alarm-driven operations handler: DLQ redrive, poison parking, re-verification. */
    operations: operationsSchema,
    intake: z.object({
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
    }),
    backups: z.object({
      /** The sources the nightly verification checks; names are unique. */
      sources: z.array(backupSourceSchema).min(1, 'needs at least one source (the verifier checks each)'),
      /** When the verification runs: an EventBridge Scheduler cron expression, evaluated in UTC. */
      verifySchedule: cronExpression,
      /** The verification handler. */
      verifier: verifierSettingsSchema,
      /** Log level of the verification handler (Powertools). */
      logLevel: z.enum(LOG_LEVELS),
      /** IAM roles or users that may assume the backup writer role (push backups). Empty: no writer role. */
      writerPrincipalArns: z.array(iamArn),
      /** Every backup must show replication status COMPLETED (needs replication.enabled). */
      requireReplication: z.boolean(),
    }),
    /** Extra tags on every resource. `stowage:env` and `stowage:app` are always set. */
    tags: z.record(z.string(), z.string()),
  })
  .superRefine((c, ctx) => {
    if (c.replication.replicaRegion === c.region) {
      ctx.addIssue({
        code: 'custom',
        path: ['replication', 'replicaRegion'],
        message: `must differ from the primary region (${c.region})`,
      });
    }
    if (c.replication.replicationTimeControl && !c.replication.metrics) {
      ctx.addIssue({
        code: 'custom',
        path: ['replication', 'metrics'],
        message: 'must be true when replicationTimeControl is on (S3 requires metrics for RTC)',
      });
    }
    if (c.envName === 'prod') {
      if (!c.replication.enabled) {
        ctx.addIssue({ code: 'custom', path: ['replication', 'enabled'], message: 'must be true in prod' });
      }
      if (c.removalPolicy !== 'retain') {
        ctx.addIssue({ code: 'custom', path: ['removalPolicy'], message: "must be 'retain' in prod" });
      }
      if (!c.backups.requireReplication) {
        ctx.addIssue({
          code: 'custom',
          path: ['backups', 'requireReplication'],
          message: 'must be true in prod (every backup must reach the replica region)',
        });
      }
      if (!c.intake.jwt.issuerUrl.startsWith('https://')) {
        ctx.addIssue({
          code: 'custom',
          path: ['intake', 'jwt', 'issuerUrl'],
          message: 'must be an https:// URL in prod',
        });
      }
      c.cors.allowedOrigins.forEach((o, i) => {
        if (o === '*' || !o.startsWith('https://')) {
          ctx.addIssue({
            code: 'custom',
            path: ['cors', 'allowedOrigins', i],
            message: `'${o}' is not allowed in prod: list explicit https:// origins`,
          });
        }
      });
    }
    if (c.autoDeleteObjects && c.removalPolicy !== 'destroy') {
      ctx.addIssue({
        code: 'custom',
        path: ['autoDeleteObjects'],
        message: "can only be true when removalPolicy is 'destroy'",
      });
    }
    const lifecycles = {
      uploads: c.lifecycle.uploads,
      processed: c.lifecycle.processed,
      quarantine: c.lifecycle.quarantine,
      backups: c.lifecycle.backups,
      accessLogs: c.lifecycle.accessLogs,
    };
    for (const [name, rule] of Object.entries(lifecycles)) {
      if ((rule.archiveAfterDays === undefined) !== (rule.archiveStorageClass === undefined)) {
        ctx.addIssue({
          code: 'custom',
          path: [
            'lifecycle',
            name,
            rule.archiveAfterDays === undefined ? 'archiveAfterDays' : 'archiveStorageClass',
          ],
          message: 'archiveAfterDays and archiveStorageClass must be set together',
        });
      }
      if (rule.archiveAfterDays === undefined || rule.expirationDays === undefined) continue;
      // S3 rejects an expiration that does not come after the transition.
      if (rule.expirationDays <= rule.archiveAfterDays) {
        ctx.addIssue({
          code: 'custom',
          path: ['lifecycle', name, 'expirationDays'],
          message: `must be after archiveAfterDays (${rule.archiveAfterDays})`,
        });
      }
    }
    const scan = c.intake.handlers.scan;
    const scanSeconds = (scan.batchSize * c.uploads.maxSizeBytes) / SCAN_THROUGHPUT_BYTES_PER_SECOND;
    if (scanSeconds > scan.timeoutSeconds * SCAN_TIME_BUDGET) {
      const needed = Math.ceil(scanSeconds / SCAN_TIME_BUDGET);
      ctx.addIssue({
        code: 'custom',
        path: ['intake', 'handlers', 'scan', 'timeoutSeconds'],
        message:
          `too short to scan a batch of ${scan.batchSize} uploads of uploads.maxSizeBytes at ~60 MiB/s: ` +
          `needs at least ${needed} seconds (or a smaller batchSize or maxSizeBytes)`,
      });
    }
    const seen = new Map<string, number>();
    c.backups.sources.forEach((source, i) => {
      const first = seen.get(source.name);
      if (first === undefined) {
        seen.set(source.name, i);
        return;
      }
      ctx.addIssue({
        code: 'custom',
        path: ['backups', 'sources', i, 'name'],
        message: `duplicates backups.sources.${first}.name: source names must be unique`,
      });
    });
    if (c.backups.requireReplication && !c.replication.enabled) {
      ctx.addIssue({
        code: 'custom',
        path: ['backups', 'requireReplication'],
        message: 'can only be true when replication.enabled is true (nothing would ever replicate)',
      });
    }
    const lockDays = c.lifecycle.backups.objectLockRetentionDays;
    if (lockDays !== undefined && c.autoDeleteObjects) {
      ctx.addIssue({
        code: 'custom',
        path: ['lifecycle', 'backups', 'objectLockRetentionDays'],
        message: 'cannot be set with autoDeleteObjects (locked versions cannot be deleted)',
      });
    }
    if (lockDays !== undefined && lockDays > (c.lifecycle.backups.expirationDays ?? Infinity)) {
      ctx.addIssue({
        code: 'custom',
        path: ['lifecycle', 'backups', 'objectLockRetentionDays'],
        message: `must not exceed backups.expirationDays (${c.lifecycle.backups.expirationDays})`,
      });
    }
    for (const name of [
      'handlers',
      'queues',
      'intakeQueueAge',
      'scanErrors',
      'api5xx',
      'replication',
    ] as const) {
      const { periodSeconds, evaluationPeriods } = c.alarms[name];
      const range = periodSeconds * evaluationPeriods;
      const limit = periodSeconds < 3600 ? MAX_SHORT_PERIOD_ALARM_RANGE_SECONDS : MAX_ALARM_RANGE_SECONDS;
      if (range > limit) {
        ctx.addIssue({
          code: 'custom',
          path: ['alarms', name, 'evaluationPeriods'],
          message:
            `periodSeconds × evaluationPeriods is ${range} seconds; CloudWatch allows at most ${limit} ` +
            `(${periodSeconds < 3600 ? 'one day for periods under an hour' : 'seven days'})`,
        });
      }
    }
    if (c.operations.handler.timeoutSeconds < c.backups.verifier.timeoutSeconds) {
      ctx.addIssue({
        code: 'custom',
        path: ['operations', 'handler', 'timeoutSeconds'],
        message:
          `must be at least backups.verifier.timeoutSeconds (${c.backups.verifier.timeoutSeconds}): ` +
          'the handler waits for the re-verification it starts',
      });
    }
    if (c.lifecycle.backups.testPrefixExpirationDays > (c.lifecycle.backups.expirationDays ?? Infinity)) {
      ctx.addIssue({
        code: 'custom',
        path: ['lifecycle', 'backups', 'testPrefixExpirationDays'],
        message: `must not exceed backups.expirationDays (${c.lifecycle.backups.expirationDays})`,
      });
    }
  });

/** A validated environment configuration. Every stack and handler reads its settings from here. */
export type StowageConfig = z.infer<typeof configSchema>;
