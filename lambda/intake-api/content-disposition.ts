/**
 * The `Content-Disposition` of a download (RFC 6266 with RFC 8187's `filename*`): `attachment`, an ASCII-only
 * `filename` fallback for old clients, and the exact UTF-8 name percent-encoded in `filename*`. The name is already
 * sanitized (file-name.ts: no controls, no invisible characters, no path); this makes it safe inside a header.
 */

/** Characters RFC 8187's attr-char allows unencoded; everything else is percent-encoded. */
const ATTR_CHAR = /[A-Za-z0-9!#$&+.^_`|~-]/;

/** Printable ASCII except `"` and `\` (quoted-string specials), `%` (some clients decode it) and `;`. */
const QUOTABLE = /^[\x20-\x7E]$/;
const UNSAFE_IN_QUOTES = /^["\\%;]$/;

/** `attachment; filename="ascii"; filename*=UTF-8''pct-encoded` for a sanitized file name. */
export function attachmentDisposition(fileName: string): string {
  return `attachment; filename="${asciiFallback(fileName)}"; filename*=UTF-8''${encodeExtValue(fileName)}`;
}

/** The name with every character outside printable ASCII (and `"`, `\`, `%`, `;`) replaced by `_`. */
export function asciiFallback(fileName: string): string {
  const fallback = Array.from(fileName, (c) =>
    QUOTABLE.test(c) && !UNSAFE_IN_QUOTES.test(c) ? c : '_',
  ).join('');
  return fallback.trim() === '' ? 'download' : fallback;
}

/** RFC 8187 value-chars: UTF-8 bytes, attr-chars as they are, every other byte as `%XX`. */
export function encodeExtValue(fileName: string): string {
  let encoded = '';
  for (const byte of Buffer.from(fileName, 'utf8')) {
    const c = String.fromCharCode(byte);
    encoded += byte < 0x80 && ATTR_CHAR.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return encoded;
}
