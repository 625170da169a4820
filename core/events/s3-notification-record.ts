import { z } from 'zod';

import { describeIssues, InvalidEventError } from './invalid-event-error';
import { decodeFormEncodedKey } from './object-key-encoding';
import type { ObjectRef } from './object-ref';

/** The part of an S3-style notification record (`aws:s3` and `ceph:s3`, eventVersion 2.x) that Stowage reads. */
export const s3StyleRecordSchema = z.object({
  eventSource: z.string(),
  eventName: z.string(),
  s3: z.object({
    bucket: z.object({ name: z.string().min(1) }),
    object: z.object({
      key: z.string().min(1),
      size: z.number().int().nonnegative().optional(),
      eTag: z.string().optional(),
      versionId: z.string().optional(),
    }),
  }),
});

export type S3StyleRecord = z.infer<typeof s3StyleRecordSchema>;

/** Validates one S3-style record, naming the field at fault. */
export function parseS3StyleRecord(record: unknown): S3StyleRecord {
  const parsed = s3StyleRecordSchema.safeParse(record);
  if (!parsed.success) {
    throw new InvalidEventError(`invalid S3 notification record: ${describeIssues(parsed.error.issues)}`);
  }
  return parsed.data;
}

/** An AWS S3 notification record (`eventSource: 'aws:s3'`): the key is form-encoded and decoded here, once. */
export function decodeS3NotificationRecord(record: unknown): ObjectRef {
  const parsed = parseS3StyleRecord(record);
  if (parsed.eventSource !== 'aws:s3') {
    throw new InvalidEventError(`eventSource: expected aws:s3, got ${parsed.eventSource}`);
  }
  let key: string;
  try {
    key = decodeFormEncodedKey(parsed.s3.object.key);
  } catch (error) {
    if (!(error instanceof URIError)) throw error;
    throw new InvalidEventError(`s3.object.key: not form-encoded (${parsed.s3.object.key})`, {
      cause: error,
    });
  }
  const { object } = parsed.s3;
  return {
    bucket: parsed.s3.bucket.name,
    key,
    ...(object.versionId ? { versionId: object.versionId } : {}),
    ...(object.size !== undefined ? { size: object.size } : {}),
    ...(object.eTag ? { eTag: object.eTag } : {}),
    source: 'aws:s3',
  };
}
