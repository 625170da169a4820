/**
 * The storage sections of the environment config: S3 lifecycle per bucket (archive tier, expiration, noncurrent
 * versions, Object Lock of backups) and cross-region replication of processed and backups.
 */
import { z } from 'zod';

import { awsRegion, days } from './fields';

/** Storage classes a lifecycle rule may archive into. */
export const ARCHIVE_STORAGE_CLASSES = ['GLACIER_IR', 'GLACIER', 'DEEP_ARCHIVE'] as const;

/** Lifecycle of one bucket: archive tier and expiration of current objects. */
export const bucketLifecycleSchema = z.object({
  /** Days after which current objects move to the archive tier, if set. */
  archiveAfterDays: days.optional(),
  /** The archive tier: GLACIER_IR (instant), GLACIER (Flexible Retrieval) or DEEP_ARCHIVE. */
  archiveStorageClass: z.enum(ARCHIVE_STORAGE_CLASSES).optional(),
  /** Days after which current objects expire, if set. */
  expirationDays: days.optional(),
});

/** Lifecycle of every bucket, and the rules all of them share. */
export const lifecycleSchema = z.object({
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
});

/** Cross-region replication of `processed` and `backups`. */
export const replicationSchema = z.object({
  /** Replicate `processed` and `backups` into the replica region. */
  enabled: z.boolean(),
  /** Region of the Replica stack. Must differ from the primary region. */
  replicaRegion: awsRegion,
  /** S3 Replication Time Control (15-minute SLA; implies metrics). */
  replicationTimeControl: z.boolean(),
  /** Replication metrics (latency, pending operations) in CloudWatch. */
  metrics: z.boolean(),
});
