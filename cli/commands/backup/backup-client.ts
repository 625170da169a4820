import { KMSClient } from '@aws-sdk/client-kms';
import { S3Client } from '@aws-sdk/client-s3';
import { s3ClientConfig, type S3Endpoint } from '../../../core/aws/s3-client';
import type { CommandIo } from '../../shared/command-io';
import type { BackupConfig } from './backup-config';

/** The AWS clients of one backup command. */
export interface BackupClients {
  readonly s3: S3Client;
  /** Created on first use: only encrypted pushes and pulls need KMS. */
  kms(): KMSClient;
  destroy(): void;
}

/** The I/O of a backup command: the CLI's one CommandIo, whose createClients makes BackupClients. */
export type BackupCommandIo = CommandIo<BackupClients, BackupConfig>;

/**
 * S3 through the one client factory (path style and checksums only when required with an endpoint override);
 * credentials from the default chain, which honours AWS_PROFILE, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, SSO, ….
 * KMS always talks to AWS: S3-compatible servers have no KMS API (use a passphrase there).
 */
export function createBackupClients(config: BackupConfig): BackupClients {
  const s3 = createBackupS3Client(config, {
    endpoint: config.endpoint,
    region: config.region,
    profile: config.profile,
  });
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

/**
 * An S3 client (s3ClientConfig's settings) whose every request has a connect timeout and an idle timeout: a
 * server that stops answering (not refusing, just silent) turns into a TimeoutError, which the SDK and the command
 * retry, instead of a command that waits forever.
 */
export function createBackupS3Client(
  timeouts: Pick<BackupConfig, 'idleTimeoutMs' | 'connectTimeoutMs'>,
  endpoint: S3Endpoint,
): S3Client {
  return new S3Client({
    ...s3ClientConfig(endpoint),
    // The SDK builds its NodeHttpHandler from these options. socketTimeout is the idle timeout (no byte either
    // way for that long: TimeoutError, which the SDK retries); requestTimeout would bound a whole request (and,
    // in @smithy/node-http-handler 4, only warn), which a large part on a slow link must not hit.
    requestHandler: {
      connectionTimeout: timeouts.connectTimeoutMs,
      socketTimeout: timeouts.idleTimeoutMs,
    },
  });
}
