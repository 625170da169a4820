import type { ApiResponse } from './api-types';
import { attachmentDisposition } from './content-disposition';
import { UPLOAD_ID } from './get-upload-status';
import { jsonResponse, notFound } from './http-responses';
import type { IntakeDependencies } from './intake-dependencies';
import { presignGetObjectUrl } from './presign-get-url';

/** `200` body of `GET /uploads/{uploadId}/download`. */
export interface UploadDownload {
  readonly uploadId: string;
  /** Presigned GET of the processed object; it answers with `Content-Disposition: attachment` and the type. */
  readonly url: string;
  /** Seconds the URL is valid from `now`. */
  readonly expiresIn: number;
  /** ISO 8601: when the URL stops working. */
  readonly expiresAt: string;
  readonly fileName: string;
  /** The detected type the download is served with. */
  readonly contentType: string;
  /** Size in bytes of the processed object, when its manifest is recorded. */
  readonly size?: number;
  /** Lower-case hex SHA-256 of the processed bytes, to check the download against. */
  readonly sha256?: string;
}

/**
 * `GET /uploads/{uploadId}/download`: a short-lived presigned GET of the owner's processed file, served as an
 * attachment under its sanitized original name with the detected content type. 404 as for the status route (no
 * enumeration); 409 with the current status while the upload is anything but processed. The URL is signed with the
 * API role's credentials: it can read `processed/` only, and only for `downloadExpirySeconds`.
 */
export function createDownloadUpload(
  deps: IntakeDependencies,
): (uploadId: string, subject: string) => Promise<ApiResponse> {
  const now = deps.now ?? (() => new Date());
  const { processedBucket, downloadExpirySeconds } = deps.config;
  return async (uploadId, subject) => {
    if (!UPLOAD_ID.test(uploadId)) return notFound();
    const record = await deps.statusStore.get(uploadId);
    if (!record || record.owner !== subject) return notFound();
    if (record.status !== 'processed' || !record.processedKey) {
      return jsonResponse(409, {
        error: 'not_processed',
        status: record.status,
        message: `upload is ${record.status}; only processed uploads can be downloaded`,
      });
    }
    const contentType = record.manifest?.detectedType ?? record.verdict?.detectedType ?? record.contentType;
    const issuedAt = now();
    const url = await presignGetObjectUrl(
      deps.s3,
      {
        Bucket: processedBucket,
        Key: record.processedKey,
        ResponseContentDisposition: attachmentDisposition(record.fileName),
        ResponseContentType: contentType,
      },
      downloadExpirySeconds,
    );
    const body: UploadDownload = {
      uploadId,
      url,
      expiresIn: downloadExpirySeconds,
      expiresAt: new Date(issuedAt.getTime() + downloadExpirySeconds * 1000).toISOString(),
      fileName: record.fileName,
      contentType,
      ...(record.manifest ? { size: record.manifest.size, sha256: record.manifest.sha256 } : {}),
    };
    return jsonResponse(200, body);
  };
}
