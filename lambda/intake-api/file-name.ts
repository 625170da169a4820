/** Longest sanitized file name, in UTF-8 bytes (S3 keys allow 1,024; the quarantine key embeds the name). */
export const MAX_FILE_NAME_BYTES = 200;

/** Longest extension (without the dot, in UTF-8 bytes) kept intact when a name is shortened. */
const MAX_KEPT_EXTENSION_BYTES = 16;

/** Unpaired UTF-16 surrogates: not encodable as UTF-8 (they would become U+FFFD in a key). */
const LONE_SURROGATES = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** C0 and C1 controls and DEL. */
const CONTROL_CHARACTERS = /\p{Cc}/gu;

/**
 * Invisible characters that can disguise or hide part of a name (`invoice\u202Efdp.exe` shows as `invoiceexe.pdf`;
 * `inv\u00ADoice` shows as `invoice`): every format character (Unicode Cf: bidi marks, embeddings, overrides and
 * isolates, soft hyphen, zero-width space, word joiner, invisible operators, Mongolian vowel separator, BOM,
 * interlinear annotations, tag characters) and every default-ignorable code point (combining grapheme joiner,
 * Hangul fillers, variation selectors, ...). Three of them carry meaning inside visible text and are kept only there
 * (keptInvisible): zero-width (non-)joiners between two visible characters (emoji sequences, Indic and Arabic
 * scripts), a variation selector right after the character it selects (emoji presentation, ideographic variants),
 * and tag characters inside a complete emoji tag sequence (subdivision flags such as Scotland's).
 */
const INVISIBLE_CHARACTER = /^[\p{Cf}\p{Default_Ignorable_Code_Point}]$/u;

/** A flag emoji tag sequence: WAVING BLACK FLAG, tag characters, CANCEL TAG. */
const EMOJI_TAG_SEQUENCE = /(\u{1F3F4}[\u{E0020}-\u{E007E}]+\u{E007F})/u;

const JOINERS = /^[\u200C\u200D]$/u;
const VARIATION_SELECTORS = /^[\uFE00-\uFE0F\u{E0100}-\u{E01EF}]$/u;
/** Characters a variation selector may follow; a joiner stands only between letters, marks, numbers and symbols. */
const VISIBLE = /^[\p{L}\p{N}\p{S}\p{P}\p{Mc}\p{Me}]$/u;
const VISIBLE_OR_MARK = /^[\p{L}\p{M}\p{N}\p{S}]$/u;

function keptInvisible(character: string, before: string | undefined, after: string | undefined): boolean {
  if (JOINERS.test(character)) {
    return (
      before !== undefined &&
      after !== undefined &&
      VISIBLE_OR_MARK.test(before) &&
      VISIBLE_OR_MARK.test(after)
    );
  }
  if (VARIATION_SELECTORS.test(character)) return before !== undefined && VISIBLE.test(before);
  return false;
}

/** The text without invisible characters, except those keptInvisible allows. */
function withoutInvisible(text: string): string {
  return text
    .split(EMOJI_TAG_SEQUENCE)
    .map((part, index) => {
      if (index % 2 === 1) return part; // a complete emoji tag sequence
      const characters = [...part];
      return characters
        .filter((character, at) => {
          if (!INVISIBLE_CHARACTER.test(character)) return true;
          return keptInvisible(character, characters[at - 1], characters[at + 1]);
        })
        .join('');
    })
    .join('');
}

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
 * invisible characters (Unicode Cf and default-ignorables, see INVISIBLE_CHARACTER), no Windows-reserved
 * characters, Unicode NFC, whitespace runs collapsed, no leading or trailing dots, at most MAX_FILE_NAME_BYTES of
 * UTF-8 with the extension kept. Returns '' when nothing is left, which callers must reject.
 *
 * The name is only shown to the owner and used for the quarantine copy: the key of the upload never contains it.
 */
export function sanitizeFileName(raw: string, maxBytes: number = MAX_FILE_NAME_BYTES): string {
  const visible = withoutInvisible(
    raw.replace(LONE_SURROGATES, '').replace(CONTROL_CHARACTERS, ''),
  ).normalize('NFC');
  const lastSegment = visible.slice(Math.max(visible.lastIndexOf('/'), visible.lastIndexOf('\\')) + 1);
  const cleaned = trimDotsAndSpaces(lastSegment.replace(RESERVED_CHARACTERS, '_').replace(/\s+/gu, ' '));
  return capLength(cleaned, maxBytes);
}
