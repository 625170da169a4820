/** Longest sanitized file name, in UTF-8 bytes (S3 keys allow 1,024; the quarantine key embeds the name). */
export const MAX_FILE_NAME_BYTES = 200;

/** Longest extension (without the dot, in UTF-8 bytes) kept intact when a name is shortened. */
const MAX_KEPT_EXTENSION_BYTES = 16;

/** Unpaired UTF-16 surrogates: not encodable as UTF-8 (they would become U+FFFD in a key). */
const LONE_SURROGATES = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** C0 and C1 controls and DEL. */
const CONTROL_CHARACTERS = /\p{Cc}/gu;

/**
 * Invisible format characters that can disguise a name (`invoice\u202Efdp.exe` shows as `invoiceexe.pdf`): bidi
 * marks, embeddings, overrides and isolates, zero-width space, word joiner and BOM. Zero-width (non-)joiners stay:
 * emoji sequences and several scripts need them.
 */
const DISGUISING_FORMAT_CHARACTERS =
  /[\u061C\u200B\u200E\u200F\u202A-\u202E\u2060-\u2064\u2066-\u2069\uFEFF]/g;

/** Characters Windows forbids in names and that break quoting in headers (`Content-Disposition`). */
const RESERVED_CHARACTERS = /[<>:"|?*]/g;

const graphemes = new Intl.Segmenter('en', { granularity: 'grapheme' });

function utf8Length(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/** Keeps whole grapheme clusters (an emoji with modifiers is never cut in half) while within `maxBytes`. */
function truncateUtf8(text: string, maxBytes: number): string {
  let result = '';
  let bytes = 0;
  for (const { segment } of graphemes.segment(text)) {
    const length = utf8Length(segment);
    if (bytes + length > maxBytes) break;
    result += segment;
    bytes += length;
  }
  return result;
}

/** Drops leading dots and whitespace (hidden files, `..`) and trailing dots and whitespace (Windows drops them). */
function trimDotsAndSpaces(text: string): string {
  return text.replace(/^[.\s]+/u, '').replace(/[.\s]+$/u, '');
}

/** Caps the name at `maxBytes`, shortening the base name and keeping a short extension intact. */
function capLength(name: string, maxBytes: number): string {
  if (utf8Length(name) <= maxBytes) return name;
  const dot = name.lastIndexOf('.');
  const extension = dot > 0 ? name.slice(dot) : '';
  if (extension.length > 1 && utf8Length(extension) - 1 <= MAX_KEPT_EXTENSION_BYTES) {
    const base = trimDotsAndSpaces(truncateUtf8(name.slice(0, dot), maxBytes - utf8Length(extension)));
    if (base) return `${base}${extension}`;
  }
  return trimDotsAndSpaces(truncateUtf8(name, maxBytes));
}

/**
 * A file name fit to store and show: the last path segment only (`/` and `\` both separate), no control or
 * disguising format characters, no Windows-reserved characters, Unicode NFC, whitespace runs collapsed, no leading
 * or trailing dots, at most MAX_FILE_NAME_BYTES of UTF-8 with the extension kept. Returns '' when nothing is left,
 * which callers must reject.
 *
 * The name is only shown to the owner and used for the quarantine copy: the key of the upload never contains it.
 */
export function sanitizeFileName(raw: string, maxBytes: number = MAX_FILE_NAME_BYTES): string {
  const visible = raw
    .replace(LONE_SURROGATES, '')
    .replace(CONTROL_CHARACTERS, '')
    .replace(DISGUISING_FORMAT_CHARACTERS, '')
    .normalize('NFC');
  const lastSegment = visible.slice(Math.max(visible.lastIndexOf('/'), visible.lastIndexOf('\\')) + 1);
  const cleaned = trimDotsAndSpaces(lastSegment.replace(RESERVED_CHARACTERS, '_').replace(/\s+/gu, ' '));
  return capLength(cleaned, maxBytes);
}
