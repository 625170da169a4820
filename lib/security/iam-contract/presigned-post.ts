import type { SdkCall } from './sdk-call';

/**
 * The request S3 authorizes when a browser POSTs a presigned upload: a PutObject by the role that signed the policy,
 * with the form fields as its headers (key, SSE algorithm and key id, content type, metadata).
 */
export function presignedPostCall(bucket: string, fields: Readonly<Record<string, string>>): SdkCall {
  const input: Record<string, unknown> = { Bucket: bucket, Key: fields.key };
  if (fields['x-amz-server-side-encryption'] !== undefined) {
    input.ServerSideEncryption = fields['x-amz-server-side-encryption'];
  }
  if (fields['x-amz-server-side-encryption-aws-kms-key-id'] !== undefined) {
    input.SSEKMSKeyId = fields['x-amz-server-side-encryption-aws-kms-key-id'];
  }
  if (fields.tagging !== undefined) input.Tagging = fields.tagging;
  return { service: 's3', command: 'PutObjectCommand', input };
}
