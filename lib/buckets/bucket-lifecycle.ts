import { TEST_PREFIX } from '../../core/backup/backup-layout';
import type { StowageConfig } from '../config';
import type { SecureBucketLifecycle } from '../constructs/secure-bucket';

/** The buckets whose lifecycle the config sets. */
export type LifecycleBucket = keyof Omit<
  StowageConfig['lifecycle'],
  'noncurrentVersionExpirationDays' | 'abortIncompleteMultipartUploadDays'
>;

/** The SecureBucket lifecycle of one bucket, from the env's config. Replicas reuse their source's. */
export function bucketLifecycle(config: StowageConfig, bucket: LifecycleBucket): SecureBucketLifecycle {
  const { noncurrentVersionExpirationDays, abortIncompleteMultipartUploadDays } = config.lifecycle;
  const rule = config.lifecycle[bucket];
  return {
    archiveAfterDays: rule.archiveAfterDays,
    archiveStorageClass: rule.archiveStorageClass,
    expirationDays: rule.expirationDays,
    noncurrentVersionExpirationDays,
    abortIncompleteMultipartUploadDays,
    prefixExpirationDays:
      bucket === 'backups' ? { [TEST_PREFIX]: config.lifecycle.backups.testPrefixExpirationDays } : undefined,
  };
}
