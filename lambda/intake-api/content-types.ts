/**
 * The key extension of every content type the intake API can accept. The extension of an upload key always
 * comes from here, never from the user's file name, so a key can never end in `.exe` or `.html`. Types without
 * an entry (executables, scripts, HTML) cannot be allowed: the handler refuses to start with one in its allowlist.
 */
const EXTENSIONS: ReadonlyMap<string, string> = new Map([
  ['audio/aac', 'aac'],
  ['audio/flac', 'flac'],
  ['audio/mp4', 'm4a'],
  ['audio/mpeg', 'mp3'],
  ['audio/ogg', 'ogg'],
  ['audio/wav', 'wav'],
  ['audio/webm', 'webm'],
  ['video/mp4', 'mp4'],
  ['video/webm', 'webm'],
  ['video/x-matroska', 'mkv'],
  ['image/gif', 'gif'],
  ['image/jpeg', 'jpg'],
  ['image/png', 'png'],
  ['image/webp', 'webp'],
  ['application/pdf', 'pdf'],
  ['application/gzip', 'gz'],
  ['application/zip', 'zip'],
]);

/** The key extension for an (exact, lower-case) content type, or undefined when it has none. */
export function extensionForContentType(contentType: string): string | undefined {
  return EXTENSIONS.get(contentType);
}

/** `type/subtype` as RFC 9110 tokens (lower case only: the allowlist is compared exactly). */
const ESSENCE = /^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/;
/** One `; name=value` parameter, value a token or a quoted string without controls. */
const PARAMETER = /^[A-Za-z0-9!#$&^_.+-]+=(?:[A-Za-z0-9!#$&^_.+-]+|"[^"\\\p{Cc}]*")$/u;

/** Longest Content-Type accepted, parameters included. */
export const MAX_CONTENT_TYPE_LENGTH = 255;

export type ParsedContentType = { readonly ok: true; readonly essence: string } | { readonly ok: false };

/**
 * Splits a declared Content-Type into its essence. Parameters (`audio/webm;codecs=opus`, what browsers'
 * MediaRecorder reports) are accepted when well-formed and dropped: the object is stored as the bare essence,
 * which is what the allowlist, the presigned policy and the scanner's type check compare.
 */
export function parseContentType(declared: string): ParsedContentType {
  if (declared.length > MAX_CONTENT_TYPE_LENGTH) return { ok: false };
  const [essence = '', ...parameters] = declared.split(';').map((part) => part.trim());
  if (!ESSENCE.test(essence)) return { ok: false };
  if (!parameters.every((parameter) => PARAMETER.test(parameter))) return { ok: false };
  return { ok: true, essence };
}
