import { KMSClient } from '@aws-sdk/client-kms';
import type { S3Client } from '@aws-sdk/client-s3';
import { createS3Client } from '../../../lambda/shared/aws/s3-client';
import type { BackupConfig } from './backup-config';

/** The AWS clients of one backup command. */
export interface BackupClients {
  readonly s3: S3Client;
  /** Created on first use: only encrypted pushes and pulls need KMS. */
  kms(): KMSClient;
  destroy(): void;
}

/**
 * S3 through the one client factory (path style and checksums only when required with an endpoint override);
 * credentials from the default chain, which honours AWS_PROFILE, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, SSO, ….
 * KMS always talks to AWS: S3-compatible servers have no KMS API (use a passphrase there).
 */
export function createBackupClients(config: BackupConfig): BackupClients {
  const s3 = createS3Client({ endpoint: config.endpoint, region: config.region, profile: config.profile });
  let kms: KMSClient | undefined;
  return {
    s3,
    kms() {
      kms ??= new KMSClient({ region: config.region, profile: config.profile });
      return kms;
    },
    destroy() {
      s3.destroy();
      kms?.destroy();
    },
  };
}
