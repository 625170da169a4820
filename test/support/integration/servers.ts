/**
 * What integration tests need to reach the real servers started by global-setup.ts: endpoints from the
 * environment, an S3 client configured for RGW, unique bucket names and bucket clean-up.
 */
import {
  DeleteBucketCommand,
  DeleteObjectsCommand,
  ListObjectVersionsCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import type { S3ClientConfig } from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { rgwS3ClientConfig } from '../../../local/servers/rgw';

/** Environment variables through which global-setup.ts hands the servers to the test workers. */
export const TEST_SERVER_ENV = {
  dataDir: 'STOWAGE_TEST_SERVERS_DATA_DIR',
  s3Endpoint: 'STOWAGE_TEST_S3_ENDPOINT',
  s3Region: 'STOWAGE_TEST_S3_REGION',
  s3AccessKeyId: 'STOWAGE_TEST_S3_ACCESS_KEY_ID',
  s3SecretAccessKey: 'STOWAGE_TEST_S3_SECRET_ACCESS_KEY',
  kmsKeyId: 'STOWAGE_TEST_KMS_KEY_ID',
  clamdHost: 'STOWAGE_TEST_CLAMD_HOST',
  clamdPort: 'STOWAGE_TEST_CLAMD_PORT',
  postgresHost: 'STOWAGE_TEST_POSTGRES_HOST',
  postgresPort: 'STOWAGE_TEST_POSTGRES_PORT',
  postgresUser: 'STOWAGE_TEST_POSTGRES_USER',
} as const;

export interface TestServers {
  /** Parent data directory: the RGW lives in `<dataDir>/rgw`, clamd in `<dataDir>/clamd`, PostgreSQL in `<dataDir>/postgres`. */
  readonly dataDir: string;
  readonly rgwDataDir: string;
  readonly clamdDataDir: string;
  readonly postgresDataDir: string;
  readonly s3: {
    readonly endpoint: string;
    readonly region: string;
    readonly accessKey: string;
    readonly secretKey: string;
    /** An SSE-KMS key id served by RGW's testing KMS backend. */
    readonly kmsKeyId: string;
  };
  readonly clamd: { readonly host: string; readonly port: number };
  /** A PostgreSQL superuser with trust authentication on 127.0.0.1 (no password). */
  readonly postgres: { readonly host: string; readonly port: number; readonly user: string };
}

/** The servers of this run; throws a clear error when the tests were not started with the integration config. */
export function getTestServers(): TestServers {
  const read = (name: string): string => {
    const value = process.env[name];
    if (!value) {
      throw new Error(
        `${name} is not set: run integration tests with \`npx jest -c jest.integration.config.js\`, ` +
          'whose global setup starts the servers',
      );
    }
    return value;
  };
  const dataDir = read(TEST_SERVER_ENV.dataDir);
  return {
    dataDir,
    rgwDataDir: path.join(dataDir, 'rgw'),
    clamdDataDir: path.join(dataDir, 'clamd'),
    postgresDataDir: path.join(dataDir, 'postgres'),
    s3: {
      endpoint: read(TEST_SERVER_ENV.s3Endpoint),
      region: read(TEST_SERVER_ENV.s3Region),
      accessKey: read(TEST_SERVER_ENV.s3AccessKeyId),
      secretKey: read(TEST_SERVER_ENV.s3SecretAccessKey),
      kmsKeyId: read(TEST_SERVER_ENV.kmsKeyId),
    },
    clamd: { host: read(TEST_SERVER_ENV.clamdHost), port: Number(read(TEST_SERVER_ENV.clamdPort)) },
    postgres: {
      host: read(TEST_SERVER_ENV.postgresHost),
      port: Number(read(TEST_SERVER_ENV.postgresPort)),
      user: read(TEST_SERVER_ENV.postgresUser),
    },
  };
}

/**
 * S3 client settings for the test RGW: `forcePathStyle: true`, and checksums only when required
 * (`requestChecksumCalculation` / `responseChecksumValidation: 'WHEN_REQUIRED'`).
 */
export function testS3ClientConfig(): S3ClientConfig {
  return rgwS3ClientConfig(getTestServers().s3);
}

export function createTestS3Client(): S3Client {
  return new S3Client(testS3ClientConfig());
}

/** A fresh, valid bucket name, so tests never share state through buckets. */
export function uniqueBucketName(prefix = 'it'): string {
  const safe = prefix.toLowerCase().replace(/[^a-z0-9-]/g, '-');
  return `${safe}-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`.slice(0, 63);
}

/** Deletes every object version and delete marker in the bucket, then the bucket itself. */
export async function deleteBucketWithContents(s3: S3Client, bucket: string): Promise<void> {
  let KeyMarker: string | undefined;
  let VersionIdMarker: string | undefined;
  for (;;) {
    const page = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket, KeyMarker, VersionIdMarker }));
    const objects = [...(page.Versions ?? []), ...(page.DeleteMarkers ?? [])].map((v) => ({
      Key: v.Key ?? '',
      VersionId: v.VersionId,
    }));
    if (objects.length > 0) {
      await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: objects, Quiet: true } }));
    }
    if (!page.IsTruncated) break;
    KeyMarker = page.NextKeyMarker;
    VersionIdMarker = page.NextVersionIdMarker;
  }
  await s3.send(new DeleteBucketCommand({ Bucket: bucket }));
}
