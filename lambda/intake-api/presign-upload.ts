import { randomUUID } from 'node:crypto';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import type { StatusRecord } from '../../core/status/upload-status';
import type { ApiRequest, ApiResponse } from './api-types';
import { extensionForContentType } from './content-types';
import { invalidRequest, jsonResponse } from './http-responses';
import type { IntakeDependencies } from './intake-dependencies';
import { uploadKey } from '../../core/contracts/upload-key';
import { createUploadRequestParser } from './upload-request';

/** `201` body of `POST /uploads`. */
export interface PresignedUpload {
  readonly uploadId: string;
  readonly key: string;
  /** Where to POST the multipart form. */
  readonly url: string;
  /** Form fields to send, all before the `file` field (S3 ignores anything after it). */
  readonly fields: Readonly<Record<string, string>>;
  readonly expiresIn: number;
}

/**
 * `POST /uploads`: validates the request, presigns a POST for exactly the declared upload, records it as
 * `pending`, then answers with the form. The record is written before the URL leaves, so every object that can
 * land in the uploads bucket has a status record; if the write fails the caller gets a 500 and no URL.
 *
 * The policy pins everything the pipeline relies on: the key, `Content-Type` (exact), SSE-KMS under the uploads
 * key, the upload id as metadata, and `content-length-range` to the DECLARED size exactly (not 1..max): browsers
 * know a file's size before uploading it, and an exact range makes the recorded size a fact rather than a claim,
 * so a caller cannot presign 1 byte and send the maximum.
 */
export function createPresignUpload(
  deps: IntakeDependencies,
): (request: ApiRequest, subject: string) => Promise<ApiResponse> {
  const { config, s3, statusStore, logger } = deps;
  const now = deps.now ?? (() => new Date());
  const newUploadId = deps.newUploadId ?? randomUUID;
  const parse = createUploadRequestParser(config);

  return async (request, subject) => {
    const parsed = parse(request.body);
    if (!parsed.ok) return invalidRequest(parsed.field, parsed.message);
    const { fileName, contentType, size } = parsed.value;

    const extension = extensionForContentType(contentType);
    // createIntakeApi refuses configs whose allowed types lack an extension; this guards the invariant.
    if (!extension) throw new Error(`no key extension for allowed content type ${contentType}`);
    const createdAt = now();
    const uploadId = newUploadId();
    const key = uploadKey(subject, createdAt, uploadId, extension);

    const { url, fields } = await createPresignedPost(s3, {
      Bucket: config.uploadsBucket,
      Key: key,
      Expires: config.presignExpirySeconds,
      Conditions: [['content-length-range', size, size]],
      // Every field also becomes an exact-match condition of the policy.
      Fields: {
        'Content-Type': contentType,
        'x-amz-server-side-encryption': 'aws:kms',
        'x-amz-server-side-encryption-aws-kms-key-id': config.uploadsKeyId,
        'x-amz-meta-upload-id': uploadId,
      },
    });

    const record: StatusRecord = {
      uploadId,
      owner: subject,
      status: 'pending',
      fileName,
      contentType,
      declaredSize: size,
      uploadKey: key,
      createdAt: createdAt.toISOString(),
      updatedAt: createdAt.toISOString(),
    };
    await statusStore.create(record);
    logger.info('upload presigned', { requestId: request.requestId, uploadId, key, contentType, size });

    const body: PresignedUpload = { uploadId, key, url, fields, expiresIn: config.presignExpirySeconds };
    return jsonResponse(201, body, { location: `/uploads/${uploadId}` });
  };
}
