import { z } from 'zod';

import { describeIssues, InvalidEventError } from './invalid-event-error';
import { decodePercentEncodedKey } from './object-key-encoding';
import type { ObjectRef } from './object-ref';

export const S3_EVENT_SOURCE = 'aws.s3';
export const OBJECT_CREATED_DETAIL_TYPE = 'Object Created';

const objectCreatedSchema = z.object({
  source: z.literal(S3_EVENT_SOURCE),
  'detail-type': z.literal(OBJECT_CREATED_DETAIL_TYPE),
  detail: z.object({
    bucket: z.object({ name: z.string().min(1) }),
    object: z.object({
      key: z.string().min(1),
      size: z.number().int().nonnegative().optional(),
      etag: z.string().optional(),
      'version-id': z.string().optional(),
    }),
  }),
});

/**
 * An EventBridge `Object Created` event from S3. The key is decoded with `decodePercentEncodedKey`: `%XX` only,
 * `+` stays literal, so both the percent-encoded form AWS sends and a raw key round-trip (see object-key-encoding.ts).
 */
export function decodeEventBridgeObjectCreated(event: unknown): ObjectRef {
  const parsed = objectCreatedSchema.safeParse(event);
  if (!parsed.success) {
    throw new InvalidEventError(`invalid S3 Object Created event: ${describeIssues(parsed.error.issues)}`);
  }
  const { bucket, object } = parsed.data.detail;
  return {
    bucket: bucket.name,
    key: decodePercentEncodedKey(object.key),
    ...(object['version-id'] ? { versionId: object['version-id'] } : {}),
    ...(object.size !== undefined ? { size: object.size } : {}),
    ...(object.etag ? { eTag: object.etag } : {}),
    source: S3_EVENT_SOURCE,
  };
}
