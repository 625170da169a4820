import { userKeySegment } from './user-key-segment';

/**
 * The uploads-bucket key of a new upload (docs/architecture.md): `uploads/<userId>/<yyyy>/<mm>/<dd>/<uploadId>.<ext>`,
 * dated in UTC. `userId` is the key-safe form of the JWT subject; `extension` comes from the content type.
 */
export function uploadKey(subject: string, date: Date, uploadId: string, extension: string): string {
  const yyyy = String(date.getUTCFullYear()).padStart(4, '0');
  const mm = String(date.getUTCMonth() + 1).padStart(2, '0');
  const dd = String(date.getUTCDate()).padStart(2, '0');
  return `uploads/${userKeySegment(subject)}/${yyyy}/${mm}/${dd}/${uploadId}.${extension}`;
}
