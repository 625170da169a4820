import type { RecordedManifest } from '../../core/status/recorded-manifest';
import type { RecordedVerdict, StatusRecord, UploadStatus } from '../../core/status/upload-status';
import type { ApiResponse } from './api-types';
import { jsonResponse, notFound } from './http-responses';
import type { IntakeDependencies } from './intake-dependencies';

/** Upload ids are issued by crypto.randomUUID: lower-case UUIDs. Anything else cannot exist. */
export const UPLOAD_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * `200` body of `GET /uploads/{uploadId}`: what the owner may see. No owner, uploads or quarantine keys, version ids
 * or engine internals; a processed upload also shows its manifest (the SHA-256 and size of the owner's own bytes).
 */
export interface UploadStatusView {
  readonly uploadId: string;
  readonly status: UploadStatus;
  readonly reason?: string;
  readonly fileName: string;
  readonly contentType: string;
  readonly size: number;
  readonly verdict?: Pick<RecordedVerdict, 'status' | 'engine' | 'signature' | 'scannedAt'>;
  readonly processedKey?: string;
  /** The processed object's manifest, once processed. */
  readonly manifest?: RecordedManifest;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export function toUploadStatusView(record: StatusRecord): UploadStatusView {
  const { verdict } = record;
  return {
    uploadId: record.uploadId,
    status: record.status,
    reason: record.reason,
    fileName: record.fileName,
    contentType: record.contentType,
    size: record.declaredSize,
    verdict: verdict && {
      status: verdict.status,
      engine: verdict.engine,
      signature: verdict.signature,
      scannedAt: verdict.scannedAt,
    },
    processedKey: record.processedKey,
    manifest: record.manifest,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
  };
}

/**
 * `GET /uploads/{uploadId}`: the owner's view of one upload. A malformed id, an unknown id and another user's
 * upload all get the same 404, so nobody can learn which ids exist.
 */
export function createGetUploadStatus(
  deps: IntakeDependencies,
): (uploadId: string, subject: string) => Promise<ApiResponse> {
  return async (uploadId, subject) => {
    if (!UPLOAD_ID.test(uploadId)) return notFound();
    const record = await deps.statusStore.get(uploadId);
    if (!record || record.owner !== subject) return notFound();
    return jsonResponse(200, toUploadStatusView(record));
  };
}
