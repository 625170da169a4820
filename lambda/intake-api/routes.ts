import type { ApiRequest, ApiResponse } from './api-types';
import { extensionForContentType } from './content-types';
import { createDownloadUpload } from './download-upload';
import { createGetUploadStatus } from './get-upload-status';
import { internalError, methodNotAllowed, notFound, unauthorized } from './http-responses';
import type { IntakeDependencies } from './intake-dependencies';
import { createListUploads } from './list-uploads';
import { createPresignUpload } from './presign-upload';

/** Longest JWT subject accepted; a longer one is not a subject any identity provider issues. */
export const MAX_SUBJECT_LENGTH = 255;

const UPLOADS_PATH = /^\/uploads$/;
const UPLOAD_PATH = /^\/uploads\/([^/]+)$/;
const DOWNLOAD_PATH = /^\/uploads\/([^/]+)\/download$/;

/**
 * The intake HTTP API, independent of API Gateway: `POST /uploads`, `GET /uploads`, `GET /uploads/{uploadId}` and
 * `GET /uploads/{uploadId}/download`. Built once per
 * process (it validates the config and prepares its parsers), then called per request. Never throws: anything
 * unexpected is logged and answered with a 500 that carries only the request id.
 */
export function createIntakeApi(deps: IntakeDependencies): (request: ApiRequest) => Promise<ApiResponse> {
  const missing = deps.config.allowedContentTypes.filter((type) => !extensionForContentType(type));
  if (missing.length > 0)
    throw new Error(`allowed content types without a key extension: ${missing.join(', ')}`);
  const presignUpload = createPresignUpload(deps);
  const getUploadStatus = createGetUploadStatus(deps);
  const downloadUpload = createDownloadUpload(deps);
  const listUploads = createListUploads(deps);

  return async (request) => {
    const { subject } = request;
    if (!subject || subject.length > MAX_SUBJECT_LENGTH) return unauthorized();
    try {
      if (UPLOADS_PATH.test(request.path)) {
        if (request.method === 'GET') return await listUploads(request, subject);
        if (request.method !== 'POST') return methodNotAllowed(['GET', 'POST']);
        return await presignUpload(request, subject);
      }
      const uploadPath = UPLOAD_PATH.exec(request.path);
      if (uploadPath?.[1] !== undefined) {
        if (request.method !== 'GET') return methodNotAllowed(['GET']);
        return await getUploadStatus(uploadPath[1], subject);
      }
      const downloadPath = DOWNLOAD_PATH.exec(request.path);
      if (downloadPath?.[1] !== undefined) {
        if (request.method !== 'GET') return methodNotAllowed(['GET']);
        return await downloadUpload(downloadPath[1], subject);
      }
      return notFound();
    } catch (error) {
      deps.logger.error('request failed', { requestId: request.requestId, error: error as Error });
      return internalError(request.requestId);
    }
  };
}
