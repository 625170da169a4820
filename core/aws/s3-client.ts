import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';

/** Where S3 is: AWS itself, or an S3-compatible server (Ceph RGW in tests and local mode). */
export interface S3Endpoint {
  /** Endpoint override, e.g. `http://127.0.0.1:7480`. Unset on AWS. */
  readonly endpoint?: string;
  readonly region?: string;
  /** Explicit credentials (local servers); unset on AWS, where the Lambda role's are used. */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /** Named profile of the shared AWS config files (CLIs); unset: the default credential chain (AWS_PROFILE). */
  readonly profile?: string;
}

/**
 * The S3 client settings for `endpoint`. With an endpoint override they use path-style addressing and send
 * checksums only when an operation requires them: Ceph RGW (Pacific) answers the SDK's default aws-chunked CRC32
 * trailers on streamed bodies with 411 MissingContentLength.
 */
export function s3ClientConfig(endpoint: S3Endpoint = {}): S3ClientConfig {
  if (!endpoint.endpoint) return { region: endpoint.region, profile: endpoint.profile };
  return {
    endpoint: endpoint.endpoint,
    region: endpoint.region ?? 'us-east-1',
    credentials: endpoint.credentials,
    profile: endpoint.profile,
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  };
}

/** The one way handlers, CLIs and tests create an S3 client (settings from s3ClientConfig). */
export function createS3Client(endpoint: S3Endpoint = {}): S3Client {
  return new S3Client(s3ClientConfig(endpoint));
}
