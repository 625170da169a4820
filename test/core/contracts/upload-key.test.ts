import {
  formReusedQuarantineKeyFor,
  parseUploadKey,
  PROCESSED_PREFIX,
  processedKeyFor,
  QUARANTINE_PREFIX,
  quarantineKeyFor,
  uploadIdOfQuarantineKey,
  uploadKey,
  UPLOADS_PREFIX,
} from '../../../core/contracts/upload-key';
import { userKeySegment } from '../../../core/contracts/user-key-segment';

const UPLOAD_ID = '0b8e4c5e-2a61-4f3b-9d7e-1c2b3a4d5e6f';

describe('userKeySegment', () => {
  it.each([
    ['a Cognito UUID', '4f1d6c1e-91b2-4b5e-8d0b-0f6a7e2c9a11'],
    ['letters, digits, - and _', 'User_42-x'],
  ])('uses %s as it is', (_case, subject) => {
    // Act / Assert
    expect(userKeySegment(subject)).toBe(subject);
  });

  it.each([
    ['a pipe (Auth0)', 'auth0|5f7c8ec7c33c6c004bbafe82', 'u.YXV0aDB8NWY3YzhlYzdjMzNjNmMwMDRiYmFmZTgy'],
    ['an e-mail address', 'user@example.com', 'u.dXNlckBleGFtcGxlLmNvbQ'],
    ['a slash', 'a/b', 'u.YS9i'],
    ['dots', '..', 'u.Li4'],
    ['non-ASCII', 'jürgen', 'u.asO8cmdlbg'],
    ['a space', 'a b', 'u.YSBi'],
  ])('encodes a subject with %s as base64url', (_case, subject, expected) => {
    // Act / Assert
    expect(userKeySegment(subject)).toBe(expected);
  });

  it('encodes subjects over 128 characters', () => {
    // Act / Assert
    expect(userKeySegment('a'.repeat(129))).toMatch(/^u\.[A-Za-z0-9_-]+$/);
  });

  it('is deterministic, key-safe and injective', () => {
    // Arrange
    const subjects = [
      'a',
      'A',
      'a|b',
      'a@b',
      'u.YQ',
      'YQ',
      'a/b',
      'a\\b',
      '..',
      'ä',
      'a'.repeat(128),
      'a'.repeat(129),
    ];

    // Act
    const segments = subjects.map((subject) => userKeySegment(subject));

    // Assert
    expect(subjects.map((subject) => userKeySegment(subject))).toEqual(segments);
    expect(new Set(segments).size).toBe(subjects.length);
    for (const segment of segments) expect(segment).toMatch(/^[A-Za-z0-9_.-]+$/);
    for (const segment of segments) expect(segment).not.toMatch(/^\.+$/);
  });
});

describe('uploadKey', () => {
  it('lays the key out as uploads/<userId>/<yyyy>/<mm>/<dd>/<uploadId>.<ext>', () => {
    // Act
    const key = uploadKey('user-1', new Date('2026-03-04T05:06:07Z'), UPLOAD_ID, 'webm');

    // Assert
    expect(key).toBe(`uploads/user-1/2026/03/04/${UPLOAD_ID}.webm`);
  });

  it('dates the key in UTC, not local time', () => {
    // Act: one millisecond before midnight UTC on New Year's Eve
    const key = uploadKey('user-1', new Date('2025-12-31T23:59:59.999Z'), UPLOAD_ID, 'pdf');

    // Assert
    expect(key).toBe(`uploads/user-1/2025/12/31/${UPLOAD_ID}.pdf`);
  });

  it('uses the key-safe user segment', () => {
    // Act
    const key = uploadKey('auth0|abc', new Date('2026-01-02T00:00:00Z'), UPLOAD_ID, 'mp3');

    // Assert
    expect(key).toBe(`uploads/u.YXV0aDB8YWJj/2026/01/02/${UPLOAD_ID}.mp3`);
  });
});

describe('the key layout', () => {
  it('parses the keys it builds, under the uploads prefix', () => {
    // Act
    const key = uploadKey('auth0|abc', new Date('2026-03-04T05:06:07Z'), 'u-1', 'pdf');

    // Assert
    expect(key.startsWith(UPLOADS_PREFIX)).toBe(true);
    expect(parseUploadKey(key)).toEqual({
      userId: userKeySegment('auth0|abc'),
      year: '2026',
      month: '03',
      day: '04',
      uploadId: 'u-1',
      extension: 'pdf',
    });
    expect(parseUploadKey(`x${key}`)).toBeUndefined();
    expect(parseUploadKey(key.replace(UPLOADS_PREFIX, PROCESSED_PREFIX))).toBeUndefined();
  });

  it('puts processed and quarantined copies under their prefixes', () => {
    // Arrange
    const upload = parseUploadKey('uploads/alice/2026/03/04/u-1.pdf')!;

    // Act
    const processed = processedKeyFor(upload);
    const quarantined = quarantineKeyFor('u-1', 'a.pdf', 'u-1.pdf');
    const reused = formReusedQuarantineKeyFor('u-1', 'v1', 'a.pdf', 'u-1.pdf');

    // Assert
    expect(processed).toBe(`${PROCESSED_PREFIX}alice/2026/03/04/u-1.pdf`);
    expect(quarantined).toBe(`${QUARANTINE_PREFIX}u-1/a.pdf`);
    expect(reused).toBe(`${QUARANTINE_PREFIX}u-1/form-reused/v1/a.pdf`);
    expect([quarantined, reused].map(uploadIdOfQuarantineKey)).toEqual(['u-1', 'u-1']);
    expect(uploadIdOfQuarantineKey('quarantine/u-1')).toBeUndefined();
    expect(uploadIdOfQuarantineKey('processed/u-1/a.pdf')).toBeUndefined();
  });
});
