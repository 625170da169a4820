import { z } from 'zod';

import { decodeCephNotificationRecord } from './ceph-notification-record';
import { decodeEventBridgeObjectCreated, S3_EVENT_SOURCE } from './eventbridge-object-created';
import {
  decodeGuardDutyScanResult,
  GUARDDUTY_EVENT_SOURCE,
  type GuardDutyScanResult,
} from './guardduty-scan-result';
import { InvalidEventError } from './invalid-event-error';
import type { ObjectRef } from './object-ref';
import { decodeS3NotificationRecord } from './s3-notification-record';

/** One object to scan, with GuardDuty's result when a GuardDuty event triggered it. */
export interface ScanTrigger {
  readonly object: ObjectRef;
  readonly guardDuty?: GuardDutyScanResult;
}

const envelopeSchema = z.union([
  z.object({ source: z.string(), 'detail-type': z.string() }),
  z.object({ Records: z.array(z.object({ eventSource: z.string() }).loose()) }),
  z.object({ Event: z.literal('s3:TestEvent') }),
]);

/**
 * Decodes the body of one intake-queue message into the objects it names. Accepted shapes:
 * an EventBridge event (S3 `Object Created` on AWS, or a GuardDuty scan result), or an S3-style notification
 * `{ Records: [...] }` whose records are `aws:s3` or `ceph:s3` (direct notifications, local mode with Ceph RGW).
 * An S3 `s3:TestEvent` names no object. Anything else is an InvalidEventError.
 */
export function decodeIntakeMessage(body: string): ScanTrigger[] {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (error) {
    if (!(error instanceof SyntaxError)) throw error;
    throw new InvalidEventError('message body is not JSON', { cause: error });
  }
  const envelope = envelopeSchema.safeParse(json);
  if (!envelope.success) {
    throw new InvalidEventError('message body is neither an EventBridge event nor S3 notification records');
  }
  const value = envelope.data;
  if ('Event' in value) return [];
  if ('Records' in value) {
    return value.Records.map((record) => {
      switch (record.eventSource) {
        case 'aws:s3':
          return { object: decodeS3NotificationRecord(record) };
        case 'ceph:s3':
          return { object: decodeCephNotificationRecord(record) };
        default:
          throw new InvalidEventError(`Records[].eventSource: unsupported ${record.eventSource}`);
      }
    });
  }
  switch (value.source) {
    case S3_EVENT_SOURCE:
      return [{ object: decodeEventBridgeObjectCreated(json) }];
    case GUARDDUTY_EVENT_SOURCE: {
      const result = decodeGuardDutyScanResult(json);
      return [{ object: result.object, guardDuty: result }];
    }
    default:
      throw new InvalidEventError(`source: unsupported ${value.source}`);
  }
}
