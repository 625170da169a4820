/** Five fresh versioned buckets on the test run's Ceph RGW, one per purpose, and a CommandIo pointed at them. */
import {
  CreateBucketCommand,
  ListObjectVersionsCommand,
  PutBucketLifecycleConfigurationCommand,
  PutBucketTaggingCommand,
  PutBucketVersioningCommand,
  type LifecycleRule,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { OpsClients } from '../../../cli/shared/aws-clients';
import type { CommandIo } from '../../../cli/shared/command-io';
import { bucketEnvVar } from '../../../cli/shared/connection';
import { createS3Client } from '../../../core/aws/s3-client';
import type { StowageConfig } from '../../../lib/config';
import { BUCKET_PURPOSE_TAG, BUCKET_PURPOSES, ENV_TAG, type BucketPurpose } from '../../../lib/config/naming';
import { bucketLifecycle } from '../../../lib/buckets/bucket-lifecycle';
import {
  createTestS3Client,
  deleteBucketWithContents,
  getTestServers,
  uniqueBucketName,
} from '../../support/integration/servers';

export interface RgwEnvBuckets {
  readonly buckets: Readonly<Record<BucketPurpose, string>>;
  readonly s3: S3Client;
  /** The environment a user would set: endpoint, credentials and every bucket by name. */
  readonly env: Readonly<Record<string, string>>;
  /** The same without the bucket names (buckets found by their tags). */
  readonly connectionEnv: Readonly<Record<string, string>>;
  io(overrides?: Partial<CommandIo>): CommandIo & { stdout: string[]; stderr: string[] };
}

/**
 * Creates the buckets in beforeAll (versioned; tagged `stowage:env=<tagEnv>` and `stowage:bucket=<purpose>` when
 * `tagEnv` is given) and deletes them with every version in afterAll.
 */
export function useRgwEnvBuckets(prefix: string, options: { tagEnv?: string } = {}): RgwEnvBuckets {
  const servers = getTestServers();
  const s3 = createTestS3Client();
  const buckets = Object.fromEntries(
    BUCKET_PURPOSES.map((purpose) => [purpose, uniqueBucketName(`${prefix}-${purpose}`)]),
  ) as Record<BucketPurpose, string>;
  const connectionEnv = {
    STOWAGE_S3_ENDPOINT: servers.s3.endpoint,
    AWS_REGION: servers.s3.region,
    AWS_ACCESS_KEY_ID: servers.s3.accessKey,
    AWS_SECRET_ACCESS_KEY: servers.s3.secretKey,
  };
  const env = {
    ...connectionEnv,
    ...Object.fromEntries(BUCKET_PURPOSES.map((p) => [bucketEnvVar(p), buckets[p]])),
  };

  beforeAll(async () => {
    for (const purpose of BUCKET_PURPOSES) {
      const Bucket = buckets[purpose];
      await s3.send(new CreateBucketCommand({ Bucket }));
      await s3.send(
        new PutBucketVersioningCommand({ Bucket, VersioningConfiguration: { Status: 'Enabled' } }),
      );
      if (options.tagEnv !== undefined) await tagBucket(s3, Bucket, options.tagEnv, purpose);
    }
  });
  afterAll(async () => {
    for (const bucket of Object.values(buckets)) await deleteBucketWithContents(s3, bucket);
    s3.destroy();
  });

  return {
    buckets,
    s3,
    env,
    connectionEnv,
    io(overrides = {}) {
      const stdout: string[] = [];
      const stderr: string[] = [];
      return {
        stdout,
        stderr,
        out: (line) => stdout.push(line),
        err: (line) => stderr.push(line),
        env,
        // The CLI reads credentials from process.env; in-process tests hand them over explicitly. STS, KMS and SQS
        // must never be asked against an S3-compatible endpoint: using one fails the test.
        createClients: (connection): OpsClients => {
          const client = createS3Client({
            endpoint: connection.endpoint,
            region: connection.region,
            credentials: { accessKeyId: servers.s3.accessKey, secretAccessKey: servers.s3.secretKey },
          });
          const forbidden = (service: string) => (): never => {
            throw new Error(`${service} must not be called against an S3-compatible endpoint`);
          };
          return {
            s3: client,
            sts: forbidden('STS'),
            kms: forbidden('KMS'),
            sqs: forbidden('SQS'),
            destroy: () => client.destroy(),
          };
        },
        ...overrides,
      };
    },
  };
}

export async function tagBucket(
  s3: S3Client,
  bucket: string,
  envName: string,
  purpose: string,
): Promise<void> {
  await s3.send(
    new PutBucketTaggingCommand({
      Bucket: bucket,
      Tagging: {
        TagSet: [
          { Key: ENV_TAG, Value: envName },
          { Key: BUCKET_PURPOSE_TAG, Value: purpose },
        ],
      },
    }),
  );
}

/** Puts the lifecycle the Storage stack gives `purpose` in `config`, written the way SecureBucket writes it. */
export async function applyConfigLifecycle(
  s3: S3Client,
  bucket: string,
  config: StowageConfig,
  purpose: BucketPurpose,
): Promise<void> {
  const lc = bucketLifecycle(config, purpose === 'access-logs' ? 'accessLogs' : purpose);
  const rules: LifecycleRule[] = [
    {
      ID: 'abort-incomplete-multipart-uploads',
      Status: 'Enabled',
      Filter: { Prefix: '' },
      AbortIncompleteMultipartUpload: { DaysAfterInitiation: lc.abortIncompleteMultipartUploadDays },
    },
    {
      ID: 'expire-noncurrent-versions',
      Status: 'Enabled',
      Filter: { Prefix: '' },
      NoncurrentVersionExpiration: { NoncurrentDays: lc.noncurrentVersionExpirationDays },
    },
    {
      ID: 'current-versions',
      Status: 'Enabled',
      Filter: { Prefix: '' },
      ...(lc.archiveAfterDays !== undefined
        ? { Transitions: [{ Days: lc.archiveAfterDays, StorageClass: lc.archiveStorageClass }] }
        : {}),
      ...(lc.expirationDays !== undefined ? { Expiration: { Days: lc.expirationDays } } : {}),
    },
    ...Object.entries(lc.prefixExpirationDays ?? {}).map(([prefix, days]): LifecycleRule => ({
      ID: `expire-${prefix.replace(/\W+/g, '')}`,
      Status: 'Enabled',
      Filter: { Prefix: prefix },
      Expiration: { Days: days },
    })),
  ];
  await s3.send(
    new PutBucketLifecycleConfigurationCommand({ Bucket: bucket, LifecycleConfiguration: { Rules: rules } }),
  );
}

/** Every version and delete marker of a bucket as `key@versionId` (or `key@marker:id`), sorted. */
export async function allVersions(s3: S3Client, bucket: string, prefix?: string): Promise<string[]> {
  const out: string[] = [];
  let KeyMarker: string | undefined;
  let VersionIdMarker: string | undefined;
  for (;;) {
    const page = await s3.send(
      new ListObjectVersionsCommand({ Bucket: bucket, Prefix: prefix, KeyMarker, VersionIdMarker }),
    );
    out.push(...(page.Versions ?? []).map((v) => `${v.Key}@${v.VersionId}`));
    out.push(...(page.DeleteMarkers ?? []).map((m) => `${m.Key}@marker:${m.VersionId}`));
    if (!page.IsTruncated) break;
    KeyMarker = page.NextKeyMarker;
    VersionIdMarker = page.NextVersionIdMarker;
  }
  return out.sort();
}
