import {
  BucketAlreadyOwnedByYou,
  CreateBucketCommand,
  PutBucketEncryptionCommand,
  PutBucketVersioningCommand,
  type S3Client,
} from '@aws-sdk/client-s3';

/** The three buckets of the intake flow (docs/architecture.md "Buckets"). */
export interface IntakeBucketNames {
  readonly uploads: string;
  readonly processed: string;
  readonly quarantine: string;
}

/** SSE-KMS key id per intake bucket (locally: key ids served by RGW's testing KMS backend; may all be one). */
export type IntakeKmsKeyIds = Readonly<Record<keyof IntakeBucketNames, string>>;

/**
 * How objects of a bucket get encrypted: `bucket-default` when the server took the SSE-KMS default encryption
 * configuration; `per-request` when it refused it, so every writer must send the SSE-KMS headers itself (the
 * pipeline and presigned POSTs always do). Ceph RGW Pacific refuses `aws:kms` defaults with 400 InvalidArgument.
 */
export type BucketEncryptionMode = 'bucket-default' | 'per-request';

export type IntakeBucketSetup = Readonly<Record<keyof IntakeBucketNames, BucketEncryptionMode>>;

/**
 * Creates the intake buckets (an existing bucket of ours is kept), turns versioning on (the pipeline is idempotent
 * on versions and refuses unversioned buckets), and asks for SSE-KMS default encryption with a bucket key under
 * each bucket's key. Servers that refuse the default (Ceph RGW) are reported as `per-request`.
 */
export async function ensureIntakeBuckets(
  s3: S3Client,
  buckets: IntakeBucketNames,
  kmsKeyIds: IntakeKmsKeyIds,
): Promise<IntakeBucketSetup> {
  const purposes = Object.keys(buckets) as (keyof IntakeBucketNames)[];
  const modes = await Promise.all(
    purposes.map(async (purpose) => {
      const bucket = buckets[purpose];
      await createBucket(s3, bucket);
      await s3.send(
        new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Enabled' } }),
      );
      return [purpose, await defaultEncryption(s3, bucket, kmsKeyIds[purpose])] as const;
    }),
  );
  return Object.fromEntries(modes) as IntakeBucketSetup;
}

async function createBucket(s3: S3Client, bucket: string): Promise<void> {
  try {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  } catch (error) {
    if (!(error instanceof BucketAlreadyOwnedByYou)) throw error;
  }
}

async function defaultEncryption(
  s3: S3Client,
  bucket: string,
  kmsKeyId: string,
): Promise<BucketEncryptionMode> {
  try {
    await s3.send(
      new PutBucketEncryptionCommand({
        Bucket: bucket,
        ServerSideEncryptionConfiguration: {
          Rules: [
            {
              ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: kmsKeyId },
              BucketKeyEnabled: true,
            },
          ],
        },
      }),
    );
    return 'bucket-default';
  } catch (error) {
    if (!isUnsupportedConfiguration(error)) throw error;
    return 'per-request';
  }
}

/** 400 InvalidArgument (RGW Pacific and `aws:kms`) or 501 NotImplemented: the server has no such default. */
export function isUnsupportedConfiguration(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { name, $metadata } = error as { name?: unknown; $metadata?: { httpStatusCode?: number } };
  return name === 'InvalidArgument' || name === 'NotImplemented' || $metadata?.httpStatusCode === 501;
}
