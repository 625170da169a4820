/** A fresh versioned bucket on the test run's Ceph RGW and a backup command's CommandIo pointed at it. */
import { CreateBucketCommand, PutBucketVersioningCommand, type S3Client } from '@aws-sdk/client-s3';
import { KMSClient } from '@aws-sdk/client-kms';
import type { BackupCommandIo } from '../../../../cli/commands/backup/backup-client';
import { createS3Client } from '../../../../core/aws/s3-client';
import {
  createTestS3Client,
  deleteBucketWithContents,
  getTestServers,
  uniqueBucketName,
} from '../../../support/integration/servers';

export interface RgwBackupFixture {
  readonly bucket: string;
  readonly s3: S3Client;
  /** Environment for the CLI: bucket, endpoint and credentials as a user would set them. */
  readonly env: Record<string, string>;
  io(overrides?: Partial<BackupCommandIo>): BackupCommandIo & { stdout: string[]; stderr: string[] };
}

export function useRgwBackupBucket(prefix: string): RgwBackupFixture {
  const servers = getTestServers();
  const s3 = createTestS3Client();
  const bucket = uniqueBucketName(prefix);
  const env = {
    STOWAGE_BACKUPS_BUCKET: bucket,
    STOWAGE_S3_ENDPOINT: servers.s3.endpoint,
    AWS_REGION: servers.s3.region,
    AWS_ACCESS_KEY_ID: servers.s3.accessKey,
    AWS_SECRET_ACCESS_KEY: servers.s3.secretKey,
  };

  beforeAll(async () => {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await s3.send(
      new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Enabled' } }),
    );
  });
  afterAll(async () => {
    await deleteBucketWithContents(s3, bucket);
    s3.destroy();
  });

  return {
    bucket,
    s3,
    env,
    io(overrides = {}) {
      const stdout: string[] = [];
      const stderr: string[] = [];
      return {
        stdout,
        stderr,
        out: (line) => stdout.push(line),
        err: (line) => stderr.push(line),
        progress: () => undefined,
        isTty: false,
        env,
        // The CLI's own client factory, with the endpoint the command resolved (--endpoint-url, else the env's);
        // the CLI reads credentials from process.env, in-process tests hand them over explicitly.
        createClients: (config) => {
          const client = createS3Client({
            endpoint: config.endpoint ?? servers.s3.endpoint,
            region: config.region ?? servers.s3.region,
            credentials: { accessKeyId: servers.s3.accessKey, secretAccessKey: servers.s3.secretKey },
          });
          return {
            s3: client,
            kms: () => new KMSClient({ region: 'us-east-1' }),
            destroy: () => client.destroy(),
          };
        },
        ...overrides,
      };
    },
  };
}
