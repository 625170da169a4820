import {
  BucketAlreadyOwnedByYou,
  CreateBucketCommand,
  GetBucketLifecycleConfigurationCommand,
  PutBucketCorsCommand,
  PutBucketEncryptionCommand,
  PutBucketLifecycleConfigurationCommand,
  PutBucketTaggingCommand,
  PutBucketVersioningCommand,
  type LifecycleRule,
  type S3Client,
  type ServerSideEncryptionByDefault,
  type Tag,
} from '@aws-sdk/client-s3';

import type { StowageConfig } from '../../lib/config';
import {
  APP_TAG,
  BUCKET_PURPOSES,
  BUCKET_PURPOSE_TAG,
  ENV_TAG,
  keyAliasName,
  localBucketName,
  type BucketKeyPurpose,
  type BucketPurpose,
} from '../../lib/config/naming';
import { lifecycleRuleSpecs, type LifecycleRuleSpec } from '../../lib/constructs/lifecycle-rules';
import { uploadsCorsRule } from '../../lib/buckets/bucket-cors';
import { bucketLifecycle, type LifecycleBucket } from '../../lib/buckets/bucket-lifecycle';
import { isUnsupportedConfiguration, type BucketEncryptionMode } from './intake-buckets';

/** SSE-KMS key id of each data bucket, as the S3 server's KMS knows them. */
export type LocalKmsKeyIds = Readonly<Record<BucketKeyPurpose, string>>;

/** The data buckets, encrypted with SSE-KMS under their own key (access-logs uses SSE-S3). */
export const KMS_BUCKETS: readonly BucketKeyPurpose[] = ['uploads', 'processed', 'quarantine', 'backups'];

export interface LocalBucketsOptions {
  /** Client of the S3 server (path-style, from createS3Client). Required. */
  readonly s3: S3Client;
  /** The env's config: names, lifecycle days, CORS origins and tags come from it, as in the CDK stacks. Required. */
  readonly config: StowageConfig;
  /** SSE-KMS key id of each data bucket (localKmsKeyIds for local mode's RGW). Required. */
  readonly kmsKeyIds: LocalKmsKeyIds;
  /** Origins allowed to post uploads besides the config's, e.g. the local page's. Default: none. */
  readonly extraCorsOrigins?: readonly string[];
}

/** What ensureLocalBuckets set up. */
export interface LocalBucketSetup {
  /** Bucket name per purpose (localBucketName). */
  readonly names: Readonly<Record<BucketPurpose, string>>;
  /**
   * How each bucket's objects get encrypted: `bucket-default` when the server took the default encryption,
   * `per-request` when it refused it (Ceph RGW), so every writer sends the SSE headers (Stowage's writers do).
   */
  readonly encryption: Readonly<Record<BucketPurpose, BucketEncryptionMode>>;
  /** Settings of the CDK stacks the server refused or local mode does not apply, one line each. */
  readonly notApplied: readonly string[];
}

/**
 * Key ids local mode's RGW serves, one per data bucket like the Keys stack's keys, named after their aliases
 * (`alias/stowage/<env>/<purpose>`).
 */
export function localKmsKeyIds(config: Pick<StowageConfig, 'envName'>): LocalKmsKeyIds {
  return Object.fromEntries(KMS_BUCKETS.map((purpose) => [purpose, keyAliasName(config, purpose)])) as Record<
    BucketKeyPurpose,
    string
  >;
}

/**
 * Creates the env's five buckets on an S3-compatible server as the Storage stack does, from the same config:
 * names `stowage-<env>-<purpose>`, versioning on, the lifecycle rules of lib/buckets/bucket-lifecycle.ts (through
 * the same rule derivation as SecureBucket), the uploads CORS rule (config origins plus `extraCorsOrigins`), tags
 * `stowage:app`, `stowage:env`, `stowage:bucket` and `config.tags`, and default encryption where the server takes
 * it. Idempotent: run at every start, it re-applies every setting to existing buckets (lifecycle rules only when they differ, see ensureLifecycle).
 * Bucket policies, server access logging, Block Public Access and Object Lock are not applied (see `notApplied`).
 */
export async function ensureLocalBuckets(options: LocalBucketsOptions): Promise<LocalBucketSetup> {
  const { s3, config } = options;
  const notApplied: string[] = [
    'bucket policies (TLS-only, encryption guards, read gates by principal tag): local clients use one S3 user',
    'server access logging into access-logs',
    // Measured: with a PublicAccessBlock set, Ceph RGW Pacific answers the bucket owner's own PutObject with 403.
    "Block Public Access (Ceph RGW then refuses the owner's own writes; nothing is public locally anyway)",
  ];
  if (config.lifecycle.backups.objectLockRetentionDays !== undefined) {
    notApplied.push('Object Lock default retention of backups');
  }
  const names = Object.fromEntries(
    BUCKET_PURPOSES.map((purpose) => [purpose, localBucketName(config, purpose)]),
  ) as Record<BucketPurpose, string>;

  const results = await Promise.all(
    BUCKET_PURPOSES.map(async (purpose) => {
      const bucket = names[purpose];
      const refused: string[] = [];
      await createBucket(s3, bucket);
      await s3.send(
        new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Enabled' } }),
      );
      await s3.send(
        new PutBucketTaggingCommand({ Bucket: bucket, Tagging: { TagSet: bucketTags(config, purpose) } }),
      );
      await ensureLifecycle(s3, bucket, localLifecycleRules(config, purpose));
      if (purpose === 'uploads') {
        const rule = uploadsCorsRule(config, options.extraCorsOrigins);
        await s3.send(
          new PutBucketCorsCommand({
            Bucket: bucket,
            CORSConfiguration: {
              CORSRules: [
                {
                  AllowedMethods: [...rule.allowedMethods],
                  AllowedOrigins: [...rule.allowedOrigins],
                  AllowedHeaders: [...rule.allowedHeaders],
                  ExposeHeaders: [...rule.exposedHeaders],
                  MaxAgeSeconds: rule.maxAgeSeconds,
                },
              ],
            },
          }),
        );
      }
      const byDefault: ServerSideEncryptionByDefault =
        purpose === 'access-logs'
          ? { SSEAlgorithm: 'AES256' }
          : { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: options.kmsKeyIds[purpose] };
      const encrypted = await unlessUnsupported(() =>
        s3.send(
          new PutBucketEncryptionCommand({
            Bucket: bucket,
            ServerSideEncryptionConfiguration: {
              Rules: [
                {
                  ApplyServerSideEncryptionByDefault: byDefault,
                  ...(purpose === 'access-logs' ? {} : { BucketKeyEnabled: true }),
                },
              ],
            },
          }),
        ),
      );
      if (!encrypted) refused.push('default encryption (writers send SSE headers per request)');
      return { purpose, mode: encrypted ? 'bucket-default' : 'per-request', refused } as const;
    }),
  );

  const encryption = {} as Record<BucketPurpose, BucketEncryptionMode>;
  const refusedBy = new Map<string, string[]>();
  for (const { purpose, mode, refused } of results) {
    encryption[purpose] = mode;
    for (const setting of refused) refusedBy.set(setting, [...(refusedBy.get(setting) ?? []), purpose]);
  }
  for (const [setting, purposes] of refusedBy) {
    notApplied.push(`${setting}: refused by the server for ${purposes.join(', ')}`);
  }
  return { names, encryption, notApplied };
}

/** The lifecycle rules of one bucket in the S3 API's form, from the same derivation as the CDK's. */
export function localLifecycleRules(config: StowageConfig, purpose: BucketPurpose): LifecycleRule[] {
  const key: LifecycleBucket = purpose === 'access-logs' ? 'accessLogs' : purpose;
  return lifecycleRuleSpecs(bucketLifecycle(config, key)).map(toS3LifecycleRule);
}

function toS3LifecycleRule(spec: LifecycleRuleSpec): LifecycleRule {
  return {
    ID: spec.id,
    Status: 'Enabled',
    Filter: { Prefix: spec.prefix ?? '' },
    ...(spec.abortIncompleteMultipartUploadDays === undefined
      ? {}
      : { AbortIncompleteMultipartUpload: { DaysAfterInitiation: spec.abortIncompleteMultipartUploadDays } }),
    ...(spec.noncurrentVersionExpirationDays === undefined
      ? {}
      : { NoncurrentVersionExpiration: { NoncurrentDays: spec.noncurrentVersionExpirationDays } }),
    ...(spec.transition === undefined
      ? {}
      : { Transitions: [{ Days: spec.transition.days, StorageClass: spec.transition.storageClass }] }),
    ...(spec.expirationDays === undefined ? {} : { Expiration: { Days: spec.expirationDays } }),
  };
}

/**
 * Puts the bucket's lifecycle rules unless it already has exactly these. A put makes Ceph RGW process the bucket's
 * rules again in its lifecycle work window (00:00-06:00 UTC), and a radosgw stopped during that processing can hang
 * in its shutdown (local/servers/rgw-daemons.ts, stopDaemons): re-putting unchanged rules at every start made that likely.
 */
async function ensureLifecycle(s3: S3Client, bucket: string, rules: LifecycleRule[]): Promise<void> {
  const current = await s3
    .send(new GetBucketLifecycleConfigurationCommand({ Bucket: bucket }))
    .then((output) => output.Rules ?? [])
    .catch((error: unknown) => {
      if ((error as { name?: string }).name === 'NoSuchLifecycleConfiguration') return [];
      throw error;
    });
  if (sameLifecycleRules(current, rules)) return;
  await s3.send(
    new PutBucketLifecycleConfigurationCommand({ Bucket: bucket, LifecycleConfiguration: { Rules: rules } }),
  );
}

/** Whether two rule sets say the same, whatever the order of rules and however the server spells a prefix. */
export function sameLifecycleRules(a: readonly LifecycleRule[], b: readonly LifecycleRule[]): boolean {
  const canonical = (rules: readonly LifecycleRule[]): string =>
    JSON.stringify(
      rules
        .map((rule) => ({
          id: rule.ID ?? '',
          status: rule.Status,
          prefix: rule.Filter?.Prefix ?? rule.Prefix ?? '',
          filterTag: rule.Filter?.Tag ?? rule.Filter?.And ?? null,
          abortDays: rule.AbortIncompleteMultipartUpload?.DaysAfterInitiation ?? null,
          noncurrentDays: rule.NoncurrentVersionExpiration?.NoncurrentDays ?? null,
          transitions: (rule.Transitions ?? []).map((t) => [t.Days ?? null, t.Date ?? null, t.StorageClass]),
          expirationDays: rule.Expiration?.Days ?? null,
          expirationDate: rule.Expiration?.Date ?? null,
          expiredDeleteMarker: rule.Expiration?.ExpiredObjectDeleteMarker ?? null,
        }))
        .sort((x, y) => x.id.localeCompare(y.id)),
    );
  return a.length === b.length && canonical(a) === canonical(b);
}

/** `config.tags`, then the tags every Stowage bucket carries (they win over a config tag of the same key). */
export function bucketTags(config: Pick<StowageConfig, 'envName' | 'tags'>, purpose: BucketPurpose): Tag[] {
  const tags: Record<string, string> = {
    ...config.tags,
    [APP_TAG]: 'stowage',
    [ENV_TAG]: config.envName,
    [BUCKET_PURPOSE_TAG]: purpose,
  };
  return Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
}

async function createBucket(s3: S3Client, bucket: string): Promise<void> {
  try {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  } catch (error) {
    if (!(error instanceof BucketAlreadyOwnedByYou)) throw error;
  }
}

/** Runs `put`; false when the server does not support that configuration (anything else is thrown). */
async function unlessUnsupported(put: () => Promise<unknown>): Promise<boolean> {
  try {
    await put();
    return true;
  } catch (error) {
    if (!isUnsupportedConfiguration(error)) throw error;
    return false;
  }
}
