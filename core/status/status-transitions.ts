import type { UploadStatus } from './upload-status';

/**
 * Statuses a pipeline step may move an upload out of. `processed` and `quarantined` are final: a stale or
 * duplicate step passes this list as `expectedStatus` and then leaves a final record unchanged.
 */
export const NON_FINAL_STATUSES: readonly UploadStatus[] = ['pending', 'scanning', 'error'];

/** Reasons shown to the owner (never internal messages). */
export const OWNER_REASONS = {
  objectGone: 'the uploaded file is no longer available',
  scanIncomplete: 'scan could not complete, retrying',
  rejected: 'the upload does not match its upload request',
} as const;
