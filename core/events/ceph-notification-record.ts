import { InvalidEventError } from './invalid-event-error';
import type { ObjectRef } from './object-ref';
import { parseS3StyleRecord } from './s3-notification-record';

/**
 * A Ceph RGW notification record (`eventSource: 'ceph:s3'`, S3-like shape). RGW sends the RAW key (no decoding
 * at all: decoding it would corrupt names containing `+` or `%`) and an empty `versionId` even on versioned
 * buckets, which becomes undefined so the caller looks the version up with HeadObject.
 */
export function decodeCephNotificationRecord(record: unknown): ObjectRef {
  const parsed = parseS3StyleRecord(record);
  if (parsed.eventSource !== 'ceph:s3') {
    throw new InvalidEventError(`eventSource: expected ceph:s3, got ${parsed.eventSource}`);
  }
  const { object } = parsed.s3;
  return {
    bucket: parsed.s3.bucket.name,
    key: object.key,
    ...(object.versionId ? { versionId: object.versionId } : {}),
    ...(object.size !== undefined ? { size: object.size } : {}),
    ...(object.eTag ? { eTag: object.eTag } : {}),
    source: 'ceph:s3',
  };
}
