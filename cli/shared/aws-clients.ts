import { KMSClient } from '@aws-sdk/client-kms';
import type { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { STSClient } from '@aws-sdk/client-sts';
import { createS3Client } from '../../core/aws/s3-client';
import type { Connection } from './connection';

/** The AWS clients of one `report`, `cleanup` or `doctor` run; the non-S3 ones are created on first use. */
export interface OpsClients {
  readonly s3: S3Client;
  sts(): STSClient;
  kms(): KMSClient;
  sqs(): SQSClient;
  destroy(): void;
}

/**
 * S3 through the one client factory (path style and checksums only when required with an endpoint override);
 * credentials from the default chain (AWS_PROFILE, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, SSO, …). STS, KMS and
 * SQS always talk to AWS: an S3-compatible server has none of them, and the commands skip them there.
 */
export function createOpsClients(connection: Connection): OpsClients {
  const { region, profile } = connection;
  const s3 = createS3Client({ endpoint: connection.endpoint, region, profile });
  let sts: STSClient | undefined;
  let kms: KMSClient | undefined;
  let sqs: SQSClient | undefined;
  return {
    s3,
    sts: () => (sts ??= new STSClient({ region, profile })),
    kms: () => (kms ??= new KMSClient({ region, profile })),
    sqs: () => (sqs ??= new SQSClient({ region, profile })),
    destroy() {
      s3.destroy();
      sts?.destroy();
      kms?.destroy();
      sqs?.destroy();
    },
  };
}
