/** JWT subjects used as they are in keys: letters, digits, `-` and `_` (Cognito subs are UUIDs). */
const PLAIN_SUBJECT = /^[A-Za-z0-9_-]{1,128}$/;

/** Prefix of an encoded subject. A plain subject never contains `.`, so the two forms can never collide. */
export const ENCODED_SUBJECT_PREFIX = 'u.';

/**
 * The `<userId>` segment of upload keys for a JWT `sub`: deterministic and injective. Subjects that are already
 * key-safe are used as they are, so operators can read them; any other subject (`auth0|abc`, `user@example.com`,
 * non-ASCII, over 128 characters) becomes `u.` + base64url of its UTF-8 bytes. The result only ever contains
 * `[A-Za-z0-9_.-]`, so it can neither add a path level nor need URL encoding.
 */
export function userKeySegment(subject: string): string {
  if (PLAIN_SUBJECT.test(subject)) return subject;
  return `${ENCODED_SUBJECT_PREFIX}${Buffer.from(subject, 'utf8').toString('base64url')}`;
}
