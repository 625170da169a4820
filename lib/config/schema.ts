import { z } from 'zod';

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

export const bucketLifecycleSchema = z.object({
  /** Days after which current objects move to the archive tier, if set. */
  archiveAfterDays: days.optional(),
  /** The archive tier: GLACIER_IR (instant), GLACIER (Flexible Retrieval) or DEEP_ARCHIVE. */
  archiveStorageClass: z.enum(ARCHIVE_STORAGE_CLASSES).optional(),
  /** Days after which current objects expire, if set. */
  expirationDays: days.optional(),
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
      /** Lifetime of a presigned POST, in seconds. */
      presignExpirySeconds: z.number().int().min(60).max(604800, 'must be at most 7 days'),
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
