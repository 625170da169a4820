/**
 * The key layout of the intake buckets (docs/architecture.md, buckets): the prefixes, how each key is built and how an
 * uploads key is parsed. The one definition the stacks (IAM scopes, event rules, GuardDuty), the handlers, the CLI and
 * local mode use.
 */
import { userKeySegment } from './user-key-segment';

/** Prefix of every upload in the uploads bucket. */
export const UPLOADS_PREFIX = 'uploads/';
/** Prefix of every processed object (and its manifest) in the processed bucket. */
export const PROCESSED_PREFIX = 'processed/';
/** Prefix of every quarantined object in the quarantine bucket. */
export const QUARANTINE_PREFIX = 'quarantine/';

/** The parts of an uploads key: `uploads/<userId>/<yyyy>/<mm>/<dd>/<uploadId>.<ext>`. */
export interface UploadKey {
  readonly userId: string;
  readonly year: string;
  readonly month: string;
  readonly day: string;
  readonly uploadId: string;
  readonly extension: string;
}

const UPLOAD_KEY = new RegExp(
  `^${UPLOADS_PREFIX}([^/]+)/(\\d{4})/(0[1-9]|1[0-2])/(0[1-9]|[12]\\d|3[01])/([A-Za-z0-9_-]{1,128})\\.([A-Za-z0-9]{1,16})$`,
);

/**
 * The uploads-bucket key of a new upload: `uploads/<userId>/<yyyy>/<mm>/<dd>/<uploadId>.<ext>`, dated in UTC.
 * `userId` is the key-safe form of the JWT subject (user-key-segment.ts); `extension` comes from the content type.
 */
export function uploadKey(subject: string, date: Date, uploadId: string, extension: string): string {
  const yyyy = String(date.getUTCFullYear()).padStart(4, '0');
  const mm = String(date.getUTCMonth() + 1).padStart(2, '0');
  const dd = String(date.getUTCDate()).padStart(2, '0');
  return `${UPLOADS_PREFIX}${userKeySegment(subject)}/${yyyy}/${mm}/${dd}/${uploadId}.${extension}`;
}

/** Parses an uploads key; undefined when the key is outside the layout. */
export function parseUploadKey(key: string): UploadKey | undefined {
  const match = UPLOAD_KEY.exec(key);
  if (!match) return undefined;
  const [, userId = '', year = '', month = '', day = '', uploadId = '', extension = ''] = match;
  return { userId, year, month, day, uploadId, extension };
}

/** `processed/<userId>/<yyyy>/<mm>/<dd>/<uploadId>.<ext>` for an upload. */
export function processedKeyFor(upload: UploadKey): string {
  return `${PROCESSED_PREFIX}${upload.userId}/${upload.year}/${upload.month}/${upload.day}/${upload.uploadId}.${upload.extension}`;
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
  return `${QUARANTINE_PREFIX}${uploadId}/${safeName(originalName, fallback)}`;
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
  return `${QUARANTINE_PREFIX}${uploadId}/form-reused/${version}/${safeName(originalName, fallback)}`;
}

/** The upload id of a quarantine key, `quarantine/<uploadId>/…`; undefined outside the layout. */
export function uploadIdOfQuarantineKey(key: string): string | undefined {
  if (!key.startsWith(QUARANTINE_PREFIX)) return undefined;
  const match = /^([^/]+)\/.+$/.exec(key.slice(QUARANTINE_PREFIX.length));
  return match?.[1];
}

function safeName(originalName: string | undefined, fallback: string): string {
  const safe = (originalName ?? '')
    .split(/[/\\]/)
    .pop()!
    .replace(/\p{Cc}/gu, '')
    .trim();
  return safe === '' || safe === '.' || safe === '..' ? fallback : safe;
}
