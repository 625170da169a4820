import { createHmac } from 'node:crypto';
import { S3Client } from '@aws-sdk/client-s3';
import type { ApiLogger, ApiRequest, ApiResponse } from '../../../lambda/intake-api/api-types';
import type { IntakeConfig } from '../../../lambda/intake-api/intake-config';
import type { IntakeDependencies } from '../../../lambda/intake-api/intake-dependencies';
import { MemoryStatusStore } from '../../../core/status/memory-status-store';

export const BUCKET = 'stowage-dev-uploads-123456789012';
export const PROCESSED_BUCKET = 'stowage-dev-processed-123456789012';
export const KEY_ARN = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
export const REGION = 'eu-west-1';
export const ACCESS_KEY_ID = 'AKIAIOSFODNN7EXAMPLE';
export const SECRET_ACCESS_KEY = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
export const NOW = new Date('2026-03-04T05:06:07.000Z');
export const UPLOAD_ID = '0b8e4c5e-2a61-4f3b-9d7e-1c2b3a4d5e6f';
export const OWNER = '4f1d6c1e-91b2-4b5e-8d0b-0f6a7e2c9a11';
export const MAX_BYTES = 100 * 1024 * 1024;

export const CONFIG: IntakeConfig = {
  uploadsBucket: BUCKET,
  uploadsKeyId: KEY_ARN,
  maxUploadBytes: MAX_BYTES,
  allowedContentTypes: ['audio/webm', 'audio/mpeg', 'application/pdf'],
  presignExpirySeconds: 900,
  processedBucket: PROCESSED_BUCKET,
  downloadExpirySeconds: 300,
};

export interface TestDependencies extends IntakeDependencies {
  readonly statusStore: MemoryStatusStore;
  readonly logger: jest.Mocked<ApiLogger>;
}

export function silentLogger(): jest.Mocked<ApiLogger> {
  return { info: jest.fn(), warn: jest.fn(), error: jest.fn() } as unknown as jest.Mocked<ApiLogger>;
}

export function testDependencies(overrides: Partial<IntakeDependencies> = {}): TestDependencies {
  return {
    config: CONFIG,
    s3: new S3Client({
      region: REGION,
      credentials: { accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET_ACCESS_KEY },
    }),
    statusStore: new MemoryStatusStore({ now: () => NOW }),
    logger: silentLogger(),
    now: () => NOW,
    newUploadId: () => UPLOAD_ID,
    ...overrides,
  } as TestDependencies;
}

export function postUploads(body: unknown, overrides: Partial<ApiRequest> = {}): ApiRequest {
  return {
    method: 'POST',
    path: '/uploads',
    body: typeof body === 'string' ? body : JSON.stringify(body),
    subject: OWNER,
    requestId: 'req-1',
    ...overrides,
  };
}

export function getUpload(uploadId: string, subject: string = OWNER): ApiRequest {
  return { method: 'GET', path: `/uploads/${uploadId}`, subject, requestId: 'req-2' };
}

export function bodyOf(response: ApiResponse): Record<string, unknown> {
  return JSON.parse(response.body) as Record<string, unknown>;
}

export interface DecodedPolicy {
  readonly expiration: string;
  readonly conditions: readonly unknown[];
}

export function decodePolicy(policy: string): DecodedPolicy {
  return JSON.parse(Buffer.from(policy, 'base64').toString('utf8')) as DecodedPolicy;
}

/** The SigV4 signature of a POST policy, computed independently of the SDK. */
export function expectedPolicySignature(policy: string, amzDate: string): string {
  const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data).digest();
  const dateKey = hmac(`AWS4${SECRET_ACCESS_KEY}`, amzDate.slice(0, 8));
  const signingKey = hmac(hmac(hmac(dateKey, REGION), 's3'), 'aws4_request');
  return createHmac('sha256', signingKey).update(policy).digest('hex');
}
