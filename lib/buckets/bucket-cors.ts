import type { StowageConfig } from '../config';

/** HTTP methods a CORS rule may allow (the values of CDK's s3.HttpMethods and of S3's API). */
export type CorsMethod = 'GET' | 'PUT' | 'HEAD' | 'POST' | 'DELETE';

/** A bucket CORS rule as plain data: what the Storage stack renders and local mode sends to its S3 server. */
export interface CorsRuleSpec {
  /** Methods browsers may use. */
  readonly allowedMethods: readonly CorsMethod[];
  /** Origins (scheme, host, port) allowed. */
  readonly allowedOrigins: readonly string[];
  /** Request headers allowed (wildcards as S3 takes them). */
  readonly allowedHeaders: readonly string[];
  /** Response headers the browser may read. */
  readonly exposedHeaders: readonly string[];
  /** Seconds a browser may cache the preflight answer. */
  readonly maxAgeSeconds: number;
}

/**
 * The uploads bucket's CORS rule: browsers on the env's origins (plus `extraOrigins`, e.g. local mode's page) post
 * presigned forms straight to the bucket and may read the ETag back.
 */
export function uploadsCorsRule(
  config: Pick<StowageConfig, 'cors'>,
  extraOrigins: readonly string[] = [],
): CorsRuleSpec {
  const origins = [...config.cors.allowedOrigins];
  for (const origin of extraOrigins) if (!origins.includes(origin)) origins.push(origin);
  return {
    allowedMethods: ['POST', 'PUT', 'GET', 'HEAD'],
    allowedOrigins: origins,
    allowedHeaders: ['Content-Type', 'Authorization', 'x-amz-*'],
    exposedHeaders: ['ETag'],
    maxAgeSeconds: 3600,
  };
}
