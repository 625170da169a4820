import type { SecureBucketLifecycle } from './secure-bucket';

/** The archive tiers a lifecycle rule may transition into. */
export type ArchiveStorageClass = NonNullable<SecureBucketLifecycle['archiveStorageClass']>;

/**
 * One lifecycle rule as plain data (no CDK types): what SecureBucket renders into CloudFormation and what local
 * mode sends to its S3 server with PutBucketLifecycleConfiguration, so both come from one derivation.
 */
export interface LifecycleRuleSpec {
  /** Rule id, stable across environments. */
  readonly id: string;
  /** Key prefix the rule is limited to. @default every object */
  readonly prefix?: string;
  /** Abort incomplete multipart uploads this many days after they started. @default never */
  readonly abortIncompleteMultipartUploadDays?: number;
  /** Expire noncurrent versions this many days after they became noncurrent. @default never */
  readonly noncurrentVersionExpirationDays?: number;
  /** Move current versions to an archive tier after some days. @default no transition */
  readonly transition?: { readonly storageClass: ArchiveStorageClass; readonly days: number };
  /** Expire current versions this many days after creation. @default never */
  readonly expirationDays?: number;
}

/**
 * The lifecycle rules of a bucket, in order: abort incomplete multipart uploads, expire noncurrent versions, then
 * (when set) archive and/or expire current versions, then one expiration rule per extra prefix.
 */
export function lifecycleRuleSpecs(lc: SecureBucketLifecycle): LifecycleRuleSpec[] {
  const rules: LifecycleRuleSpec[] = [
    {
      id: 'abort-incomplete-multipart-uploads',
      abortIncompleteMultipartUploadDays: lc.abortIncompleteMultipartUploadDays,
    },
    { id: 'expire-noncurrent-versions', noncurrentVersionExpirationDays: lc.noncurrentVersionExpirationDays },
  ];
  if (lc.archiveAfterDays !== undefined || lc.expirationDays !== undefined) {
    rules.push({
      id: 'current-versions',
      ...(lc.archiveAfterDays !== undefined && lc.archiveStorageClass
        ? { transition: { storageClass: lc.archiveStorageClass, days: lc.archiveAfterDays } }
        : {}),
      ...(lc.expirationDays !== undefined ? { expirationDays: lc.expirationDays } : {}),
    });
  }
  for (const [prefix, expirationDays] of Object.entries(lc.prefixExpirationDays ?? {})) {
    rules.push({
      id: `expire-${prefix.replace(/[^a-zA-Z0-9]+/g, '-').replace(/-$/, '')}`,
      prefix,
      expirationDays,
    });
  }
  return rules;
}
