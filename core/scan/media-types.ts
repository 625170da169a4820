/**
 * Media types the scanner knows: canonical names, aliases, container families and file extensions.
 *
 * A "family" names a container format as seen in the bytes. Several MIME types can share one family (`audio/mp4`
 * and `video/mp4` are both ISO-BMFF; `audio/webm` and `video/webm` are both WebM), because magic bytes cannot tell
 * them apart. Declared and detected types are compared by family.
 */

/** Broad kind of content, used to decide what counts as "disguised". */
export type ContentCategory = 'audio' | 'video' | 'image' | 'document' | 'archive' | 'executable' | 'script';

export interface MediaTypeInfo {
  /** Canonical MIME type. */
  readonly mime: string;
  readonly family: string;
  readonly category: ContentCategory;
  /** Lower-case extensions, without the dot, that belong to this type. */
  readonly extensions: readonly string[];
  /** Other MIME spellings that mean the same type. */
  readonly aliases?: readonly string[];
}

/** Allowed upload types when the environment config does not say otherwise. */
export const DEFAULT_ALLOWED_TYPES: readonly string[] = [
  'audio/webm',
  'audio/wav',
  'audio/mpeg',
  'audio/mp4',
  'audio/ogg',
  'audio/flac',
  'audio/aac',
  'application/pdf',
  'image/png',
  'image/jpeg',
  'application/zip',
  'application/gzip',
];

export const MEDIA_TYPES: readonly MediaTypeInfo[] = [
  { mime: 'audio/webm', family: 'webm', category: 'audio', extensions: ['webm', 'weba'] },
  { mime: 'video/webm', family: 'webm', category: 'video', extensions: [] },
  { mime: 'video/x-matroska', family: 'matroska', category: 'video', extensions: ['mkv', 'mka'] },
  {
    mime: 'audio/wav',
    family: 'wav',
    category: 'audio',
    extensions: ['wav', 'wave'],
    aliases: ['audio/wave', 'audio/x-wav', 'audio/vnd.wave', 'audio/x-pn-wav'],
  },
  {
    mime: 'audio/mpeg',
    family: 'mpeg-audio',
    category: 'audio',
    extensions: ['mp3', 'mpga', 'mp2'],
    aliases: ['audio/mp3', 'audio/mpeg3', 'audio/x-mpeg', 'audio/x-mp3'],
  },
  {
    mime: 'audio/mp4',
    family: 'mp4',
    category: 'audio',
    extensions: ['m4a', 'm4b', 'mp4'],
    aliases: ['audio/x-m4a', 'audio/m4a', 'audio/aacp'],
  },
  { mime: 'video/mp4', family: 'mp4', category: 'video', extensions: [] },
  {
    mime: 'audio/ogg',
    family: 'ogg',
    category: 'audio',
    extensions: ['ogg', 'oga', 'opus'],
    aliases: ['application/ogg', 'audio/opus', 'video/ogg'],
  },
  { mime: 'audio/flac', family: 'flac', category: 'audio', extensions: ['flac'], aliases: ['audio/x-flac'] },
  { mime: 'audio/aac', family: 'adts', category: 'audio', extensions: ['aac'], aliases: ['audio/x-aac'] },
  {
    mime: 'application/pdf',
    family: 'pdf',
    category: 'document',
    extensions: ['pdf'],
    aliases: ['application/x-pdf'],
  },
  { mime: 'image/png', family: 'png', category: 'image', extensions: ['png'] },
  {
    mime: 'image/jpeg',
    family: 'jpeg',
    category: 'image',
    extensions: ['jpg', 'jpeg', 'jpe', 'jfif'],
    aliases: ['image/jpg', 'image/pjpeg'],
  },
  { mime: 'image/gif', family: 'gif', category: 'image', extensions: ['gif'] },
  { mime: 'image/webp', family: 'webp', category: 'image', extensions: ['webp'] },
  {
    mime: 'application/zip',
    family: 'zip',
    category: 'archive',
    extensions: ['zip'],
    aliases: ['application/x-zip-compressed', 'application/x-zip'],
  },
  {
    mime: 'application/gzip',
    family: 'gzip',
    category: 'archive',
    extensions: ['gz', 'gzip', 'tgz'],
    aliases: ['application/x-gzip'],
  },
  { mime: 'application/x-bzip2', family: 'bzip2', category: 'archive', extensions: ['bz2'] },
  { mime: 'application/x-xz', family: 'xz', category: 'archive', extensions: ['xz'] },
  { mime: 'application/x-7z-compressed', family: '7z', category: 'archive', extensions: ['7z'] },
  {
    mime: 'application/vnd.rar',
    family: 'rar',
    category: 'archive',
    extensions: ['rar'],
    aliases: ['application/x-rar-compressed'],
  },
  { mime: 'application/vnd.ms-cab-compressed', family: 'cab', category: 'archive', extensions: ['cab'] },
  {
    mime: 'application/x-ole-storage',
    family: 'ole2',
    category: 'document',
    extensions: ['doc', 'xls', 'ppt', 'msg'],
    aliases: ['application/msword', 'application/vnd.ms-excel', 'application/vnd.ms-powerpoint'],
  },
  {
    mime: 'application/x-msdownload',
    family: 'pe',
    category: 'executable',
    extensions: ['exe', 'dll', 'com', 'scr', 'sys', 'cpl', 'ocx', 'efi'],
    aliases: [
      'application/x-dosexec',
      'application/vnd.microsoft.portable-executable',
      'application/x-msdos-program',
    ],
  },
  {
    mime: 'application/x-elf',
    family: 'elf',
    category: 'executable',
    extensions: ['elf', 'so'],
    aliases: ['application/x-executable', 'application/x-sharedlib'],
  },
  {
    mime: 'application/x-mach-binary',
    family: 'mach-o',
    category: 'executable',
    extensions: ['dylib', 'macho'],
  },
  { mime: 'application/java-vm', family: 'java-class', category: 'executable', extensions: ['class'] },
  { mime: 'application/wasm', family: 'wasm', category: 'executable', extensions: ['wasm'] },
  {
    mime: 'text/x-shellscript',
    family: 'shebang',
    category: 'script',
    extensions: ['sh', 'bash', 'zsh', 'py', 'pl', 'rb', 'command'],
    aliases: ['application/x-sh', 'text/x-python', 'text/x-perl'],
  },
  { mime: 'application/x-httpd-php', family: 'php', category: 'script', extensions: ['php', 'phtml'] },
  { mime: 'text/html', family: 'html', category: 'script', extensions: ['html', 'htm', 'xhtml', 'hta'] },
];

const BY_MIME = new Map<string, MediaTypeInfo>();
const BY_EXTENSION = new Map<string, MediaTypeInfo[]>();
for (const info of MEDIA_TYPES) {
  for (const name of [info.mime, ...(info.aliases ?? [])]) BY_MIME.set(name, info);
  for (const extension of info.extensions) {
    BY_EXTENSION.set(extension, [...(BY_EXTENSION.get(extension) ?? []), info]);
  }
}

/** Content-Types that carry no claim about the content. */
const GENERIC_TYPES = new Set(['', 'application/octet-stream', 'binary/octet-stream', 'application/unknown']);

/** Lower-cases a Content-Type and drops its parameters (`audio/webm; codecs=opus` → `audio/webm`). */
export function essenceOf(contentType: string): string {
  return (contentType.split(';')[0] ?? '').trim().toLowerCase();
}

/** True when the declared Content-Type makes no claim (absent or octet-stream). */
export function isGenericType(contentType: string | undefined): boolean {
  return contentType === undefined || GENERIC_TYPES.has(essenceOf(contentType));
}

/** The known type a Content-Type (or alias) names, if any. */
export function lookupMediaType(contentType: string): MediaTypeInfo | undefined {
  return BY_MIME.get(essenceOf(contentType));
}

/** Canonical spelling of a Content-Type: the canonical MIME for known types and aliases, else its essence. */
export function canonicalMediaType(contentType: string): string {
  return lookupMediaType(contentType)?.mime ?? essenceOf(contentType);
}

/** Lower-case extension of a file name or key, without the dot; undefined when there is none. */
export function extensionOf(fileName: string | undefined): string | undefined {
  if (!fileName) return undefined;
  const base = fileName.slice(Math.max(fileName.lastIndexOf('/'), fileName.lastIndexOf('\\')) + 1);
  const dot = base.lastIndexOf('.');
  if (dot <= 0 || dot === base.length - 1) return undefined;
  return base.slice(dot + 1).toLowerCase();
}

/** Known types that use an extension (several types may share one, e.g. `mp4`). */
export function typesForExtension(extension: string): readonly MediaTypeInfo[] {
  return BY_EXTENSION.get(extension) ?? [];
}
