/** The parts of an uploads key: `uploads/<userId>/<yyyy>/<mm>/<dd>/<uploadId>.<ext>` (docs/architecture.md). */
export interface UploadKey {
  readonly userId: string;
  readonly year: string;
  readonly month: string;
  readonly day: string;
  readonly uploadId: string;
  readonly extension: string;
}

const UPLOAD_KEY =
  /^uploads\/([^/]+)\/(\d{4})\/(0[1-9]|1[0-2])\/(0[1-9]|[12]\d|3[01])\/([A-Za-z0-9_-]{1,128})\.([A-Za-z0-9]{1,16})$/;

/** Parses an uploads key; undefined when the key is outside the layout. */
export function parseUploadKey(key: string): UploadKey | undefined {
  const match = UPLOAD_KEY.exec(key);
  if (!match) return undefined;
  const [, userId = '', year = '', month = '', day = '', uploadId = '', extension = ''] = match;
  return { userId, year, month, day, uploadId, extension };
}

/** `processed/<userId>/<yyyy>/<mm>/<dd>/<uploadId>.<ext>` for an upload. */
export function processedKeyFor(upload: UploadKey): string {
  return `processed/${upload.userId}/${upload.year}/${upload.month}/${upload.day}/${upload.uploadId}.${upload.extension}`;
}

/** `<processed key>.manifest.json`. */
export function manifestKeyFor(processedKey: string): string {
  return `${processedKey}.manifest.json`;
}

/**
 * `quarantine/<uploadId>/<original name>`. The name is already sanitized by the intake API; it is reduced to its
 * last path segment without control characters all the same, and falls back to `<uploadId>.<ext>`.
 */
export function quarantineKeyFor(
  uploadId: string,
  originalName: string | undefined,
  fallback: string,
): string {
  return `quarantine/${uploadId}/${safeName(originalName, fallback)}`;
}

/**
 * `quarantine/<uploadId>/form-reused/<versionId>/<original name>`: where a later version under an upload's key (its
 * form used again) is quarantined, one key per version, so it never lands on the upload's own quarantine key.
 * Version ids are URL-safe on S3 and RGW; anything else is replaced with `_` all the same.
 */
export function formReusedQuarantineKeyFor(
  uploadId: string,
  versionId: string,
  originalName: string | undefined,
  fallback: string,
): string {
  const version = versionId.replace(/[^A-Za-z0-9._-]/g, '_');
  return `quarantine/${uploadId}/form-reused/${version}/${safeName(originalName, fallback)}`;
}

function safeName(originalName: string | undefined, fallback: string): string {
  const safe = (originalName ?? '')
    .split(/[/\\]/)
    .pop()!
    .replace(/\p{Cc}/gu, '')
    .trim();
  return safe === '' || safe === '.' || safe === '..' ? fallback : safe;
}
