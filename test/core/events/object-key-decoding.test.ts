import { decodeCephNotificationRecord } from '../../../core/events/ceph-notification-record';
import { decodeEventBridgeObjectCreated } from '../../../core/events/eventbridge-object-created';
import { InvalidEventError } from '../../../core/events/invalid-event-error';
import { decodePercentEncodedKey } from '../../../core/events/object-key-encoding';
import { decodeS3NotificationRecord } from '../../../core/events/s3-notification-record';

/** Keys with every character class that encodings disagree on. */
const KEYS = [
  'uploads/my dir/file name.txt',
  'uploads/a+b=c.txt',
  'uploads/100% sure.txt',
  'uploads/literal%2B.txt',
  'uploads/report (final) (2).pdf',
  'uploads/Grüße ä.wav',
  'uploads/🎵 song 😀.mp3',
  'uploads/my dir/ä file+1%(x).txt',
];

/** S3 notification form encoding: URL-encoding with spaces as `+`. */
function formEncode(key: string): string {
  return encodeURIComponent(key).replace(/%20/g, '+').replace(/%2F/g, '/');
}

/** Encoding observed on EventBridge Object Created: percent-encoding, `+` and parentheses literal. */
function eventBridgeEncode(key: string): string {
  return encodeURIComponent(key)
    .replace(/%2F/g, '/')
    .replace(/%2B/g, '+')
    .replace(/%28/g, '(')
    .replace(/%29/g, ')');
}

function s3Record(eventSource: string, key: string, versionId?: string) {
  return {
    eventVersion: '2.1',
    eventSource,
    eventName: 'ObjectCreated:Post',
    s3: {
      bucket: { name: 'stowage-dev-uploads' },
      object: { key, size: 42, eTag: 'abc', ...(versionId !== undefined ? { versionId } : {}) },
    },
  };
}

function objectCreated(key: string, versionId?: string) {
  return {
    version: '0',
    source: 'aws.s3',
    'detail-type': 'Object Created',
    detail: {
      bucket: { name: 'stowage-dev-uploads' },
      object: { key, size: 42, etag: 'abc', ...(versionId ? { 'version-id': versionId } : {}) },
    },
  };
}

describe('S3 notification records (aws:s3): form-encoded keys', () => {
  it.each(KEYS)('decodes %s exactly once', (key) => {
    // Arrange
    const record = s3Record('aws:s3', formEncode(key), 'v1');
    // Act
    const ref = decodeS3NotificationRecord(record);
    // Assert
    expect(ref).toEqual({
      bucket: 'stowage-dev-uploads',
      key,
      versionId: 'v1',
      size: 42,
      eTag: 'abc',
      source: 'aws:s3',
    });
  });

  it('turns + into a space and %2B into +', () => {
    // Arrange / Act
    const ref = decodeS3NotificationRecord(s3Record('aws:s3', 'uploads/a+b%2Bc'));
    // Assert
    expect(ref.key).toBe('uploads/a b+c');
  });

  it('rejects a malformed encoding and a foreign event source', () => {
    // Arrange / Act / Assert
    expect(() => decodeS3NotificationRecord(s3Record('aws:s3', 'uploads/%E2%82'))).toThrow(InvalidEventError);
    expect(() => decodeS3NotificationRecord(s3Record('ceph:s3', 'k'))).toThrow(/expected aws:s3/);
  });

  it('names the missing field', () => {
    // Arrange
    const record = { eventSource: 'aws:s3', eventName: 'x', s3: { bucket: { name: 'b' }, object: {} } };
    // Act / Assert
    expect(() => decodeS3NotificationRecord(record)).toThrow(/s3\.object\.key/);
  });
});

describe('EventBridge Object Created (aws.s3): %XX only, + literal', () => {
  it.each(KEYS)('decodes the percent-encoded form of %s', (key) => {
    // Arrange
    const event = objectCreated(eventBridgeEncode(key), 'v2');
    // Act
    const ref = decodeEventBridgeObjectCreated(event);
    // Assert
    expect(ref).toEqual({
      bucket: 'stowage-dev-uploads',
      key,
      versionId: 'v2',
      size: 42,
      eTag: 'abc',
      source: 'aws.s3',
    });
  });

  it.each(KEYS.filter((key) => !/%[0-9A-Fa-f]{2}/.test(key)))('keeps the raw form of %s unchanged', (key) => {
    // Arrange / Act
    const ref = decodeEventBridgeObjectCreated(objectCreated(key));
    // Assert
    expect(ref.key).toBe(key);
    expect(ref.versionId).toBeUndefined();
  });

  it('never turns + into a space, and decodes %20 and %2B', () => {
    // Arrange / Act / Assert
    expect(decodePercentEncodedKey('a+b%20c%2Bd')).toBe('a+b c+d');
  });

  it('leaves a stray % and invalid UTF-8 escapes as they are', () => {
    // Arrange / Act / Assert
    expect(decodePercentEncodedKey('100%(x)%zz')).toBe('100%(x)%zz');
    expect(decodePercentEncodedKey('bad%E2%82end%C3%A4')).toBe('bad%E2%82endä');
  });

  it('rejects an event that is not Object Created, naming the field', () => {
    // Arrange
    const event = { ...objectCreated('k'), 'detail-type': 'Object Deleted' };
    // Act / Assert
    expect(() => decodeEventBridgeObjectCreated(event)).toThrow(/detail-type/);
  });
});

describe('Ceph RGW notification records (ceph:s3): raw keys', () => {
  it.each(KEYS)('keeps %s exactly as sent', (key) => {
    // Arrange
    const record = s3Record('ceph:s3', key, '');
    // Act
    const ref = decodeCephNotificationRecord(record);
    // Assert
    expect(ref).toEqual({ bucket: 'stowage-dev-uploads', key, size: 42, eTag: 'abc', source: 'ceph:s3' });
  });

  it('turns the empty versionId into undefined so the version is looked up', () => {
    // Arrange / Act
    const ref = decodeCephNotificationRecord(s3Record('ceph:s3', 'k', ''));
    // Assert
    expect(ref.versionId).toBeUndefined();
  });
});
