/**
 * Local mode's buckets on its S3 server, set up from the same config as the CDK stacks, and the S3 client the
 * pipeline's set-up, the verifier and the start's requeue share. Registers the client under the `clients` step.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { S3Client } from '@aws-sdk/client-s3';

import { createS3Client } from '../../../core/aws/s3-client';
import type { StowageConfig } from '../../../lib/config';
import { ensureLocalBuckets, type LocalBucketSetup, type LocalKmsKeyIds } from '../local-buckets';
import type { ShutdownPlan } from '../shutdown-order';
import { messageOf } from './message-of';
import type { LocalServers } from './servers';

export interface LocalBucketsInput {
  /** The S3 server. */
  readonly s3: LocalServers['s3'];
  /** The env's config: bucket names and settings. */
  readonly config: StowageConfig;
  /** SSE-KMS key id of each data bucket. */
  readonly kmsKeyIds: LocalKmsKeyIds;
  /** Origins besides the config's that the upload page is served from (CORS). */
  readonly pageOrigins: readonly string[];
  readonly logger: Logger;
}

export interface LocalStorage {
  /** The shared S3 client. */
  readonly s3: S3Client;
  /** The buckets, as set up. */
  readonly buckets: LocalBucketSetup;
}

/** Creates the shared S3 client (registered under `clients`) and the env's buckets. */
export async function openLocalBuckets(
  input: LocalBucketsInput,
  shutdown: ShutdownPlan,
): Promise<LocalStorage> {
  const { config } = input;
  const s3 = createS3Client(input.s3);
  shutdown.add('clients', () => s3.destroy());
  const buckets = await ensureLocalBuckets({
    s3,
    config,
    kmsKeyIds: input.kmsKeyIds,
    extraCorsOrigins: input.pageOrigins,
  }).catch((error: unknown) => {
    throw new Error(
      `could not set up the ${config.envName} buckets on ${input.s3.endpoint}: ${messageOf(error)}`,
      { cause: error },
    );
  });
  for (const note of buckets.notApplied) input.logger.info('bucket setting not applied locally', { note });
  return { s3, buckets };
}
