import { lookupMediaType, type MediaTypeInfo } from './media-types';

/**
 * Magic-byte type detection for the few formats the scanner needs to recognise: the allowed upload types, other
 * archives, and executables or scripts that might be disguised as one of them.
 *
 * A small signature table rather than `file-type`: file-type 21 is ESM-only (jest under ts-jest cannot load it
 * without an ESM setup), is asynchronous (this detector runs synchronously inside the archive walker, once per
 * entry), and knows hundreds of formats we do not need, several with looser heuristics. Every signature here has
 * a unit test.
 */

/** Bytes the detector looks at; feeding fewer is fine (short files), more is ignored. */
export const MAGIC_HEAD_BYTES = 512;

export interface DetectedType {
  readonly type: MediaTypeInfo;
  /** Short human description, e.g. `PE executable (MZ)`. */
  readonly description: string;
}

const ascii = (text: string): number[] => [...text].map((ch) => ch.charCodeAt(0));

function startsWith(head: Uint8Array, bytes: readonly number[], offset = 0): boolean {
  if (head.length < offset + bytes.length) return false;
  for (let i = 0; i < bytes.length; i++) {
    if (head[offset + i] !== bytes[i]) return false;
  }
  return true;
}

function known(mime: string, description: string): DetectedType {
  const type = lookupMediaType(mime);
  if (!type) throw new Error(`magic table names an unknown type ${mime}`);
  return { type, description };
}

function indexOfAscii(head: Uint8Array, text: string, limit: number): number {
  return Buffer.from(head.buffer, head.byteOffset, Math.min(head.length, limit)).indexOf(text, 0, 'latin1');
}

/** Skips a UTF-8 byte-order mark and leading ASCII whitespace (for text formats only). */
function textStart(head: Uint8Array): number {
  let i = startsWith(head, [0xef, 0xbb, 0xbf]) ? 3 : 0;
  while (i < head.length && (head[i] === 0x20 || head[i] === 0x09 || head[i] === 0x0a || head[i] === 0x0d))
    i++;
  return i;
}

function startsWithTextIgnoreCase(head: Uint8Array, text: string, offset: number): boolean {
  if (head.length < offset + text.length) return false;
  return (
    Buffer.from(head.buffer, head.byteOffset + offset, text.length)
      .toString('latin1')
      .toLowerCase() === text
  );
}

/** Detects the type of content from its first bytes; undefined when no signature matches. */
export function detectType(head: Uint8Array): DetectedType | undefined {
  // Executables first: they must never be mistaken for anything else.
  if (startsWith(head, ascii('MZ'))) return known('application/x-msdownload', 'PE/DOS executable (MZ)');
  if (startsWith(head, [0x7f, 0x45, 0x4c, 0x46])) return known('application/x-elf', 'ELF executable');
  for (const magic of [
    [0xfe, 0xed, 0xfa, 0xce],
    [0xfe, 0xed, 0xfa, 0xcf],
    [0xce, 0xfa, 0xed, 0xfe],
    [0xcf, 0xfa, 0xed, 0xfe],
  ]) {
    if (startsWith(head, magic)) return known('application/x-mach-binary', 'Mach-O executable');
  }
  if (startsWith(head, [0xca, 0xfe, 0xba, 0xbe])) {
    // Shared by Mach-O universal binaries and Java classes; both are executable code.
    return known('application/x-mach-binary', 'Mach-O universal binary or Java class');
  }
  if (startsWith(head, [0x00, 0x61, 0x73, 0x6d])) return known('application/wasm', 'WebAssembly module');
  if (startsWith(head, ascii('#!'))) return known('text/x-shellscript', 'script with a #! interpreter line');

  // Images, documents, audio.
  if (startsWith(head, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))
    return known('image/png', 'PNG image');
  if (startsWith(head, [0xff, 0xd8, 0xff])) return known('image/jpeg', 'JPEG image');
  if (startsWith(head, ascii('GIF87a')) || startsWith(head, ascii('GIF89a')))
    return known('image/gif', 'GIF image');
  if (startsWith(head, ascii('%PDF-'))) return known('application/pdf', 'PDF document');
  if (startsWith(head, ascii('RIFF')) && startsWith(head, ascii('WAVE'), 8))
    return known('audio/wav', 'WAV audio');
  if (startsWith(head, ascii('RIFF')) && startsWith(head, ascii('WEBP'), 8))
    return known('image/webp', 'WebP image');
  if (startsWith(head, ascii('fLaC'))) return known('audio/flac', 'FLAC audio');
  if (startsWith(head, ascii('OggS'))) return known('audio/ogg', 'Ogg container');
  if (startsWith(head, [0x1a, 0x45, 0xdf, 0xa3])) {
    // EBML header; the DocType element says whether this is WebM or general Matroska.
    return indexOfAscii(head, 'webm', 64) !== -1
      ? known('audio/webm', 'WebM container')
      : known('video/x-matroska', 'Matroska container');
  }
  if (startsWith(head, ascii('ftyp'), 4)) {
    const brand = Buffer.from(head.subarray(8, 12)).toString('latin1');
    return brand.startsWith('M4') || brand === 'F4A '
      ? known('audio/mp4', `MP4 audio (brand ${brand.trim()})`)
      : known('video/mp4', `MP4 container (brand ${brand.trim()})`);
  }
  if (startsWith(head, ascii('ID3'))) return known('audio/mpeg', 'MP3 audio with an ID3v2 tag');
  if (head.length >= 2 && head[0] === 0xff && (head[1]! & 0xe0) === 0xe0) {
    const layer = (head[1]! >> 1) & 0x03;
    const version = (head[1]! >> 3) & 0x03;
    // ADTS (AAC) uses layer 00; MPEG audio uses layers 1-3 and never the reserved version 01.
    if (layer === 0 && (head[1]! & 0xf6) === 0xf0) return known('audio/aac', 'AAC audio (ADTS)');
    if (layer !== 0 && version !== 1) return known('audio/mpeg', 'MPEG audio frame');
  }

  // Archives.
  if (
    startsWith(head, [0x50, 0x4b, 0x03, 0x04]) ||
    startsWith(head, [0x50, 0x4b, 0x05, 0x06]) ||
    startsWith(head, [0x50, 0x4b, 0x07, 0x08])
  ) {
    return known('application/zip', 'ZIP archive');
  }
  if (startsWith(head, [0x1f, 0x8b])) return known('application/gzip', 'gzip stream');
  if (startsWith(head, ascii('BZh'))) return known('application/x-bzip2', 'bzip2 stream');
  if (startsWith(head, [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00])) return known('application/x-xz', 'xz stream');
  if (startsWith(head, [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c]))
    return known('application/x-7z-compressed', '7-Zip archive');
  if (startsWith(head, ascii('Rar!\x1a\x07'))) return known('application/vnd.rar', 'RAR archive');
  if (startsWith(head, ascii('MSCF'))) return known('application/vnd.ms-cab-compressed', 'Cabinet archive');
  if (startsWith(head, [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1])) {
    return known('application/x-ole-storage', 'OLE2 compound document');
  }

  // Text formats that carry active content, after an optional BOM and whitespace.
  const start = textStart(head);
  if (startsWithTextIgnoreCase(head, '<?php', start)) return known('application/x-httpd-php', 'PHP script');
  for (const marker of ['<!doctype html', '<html', '<script', '<hta:']) {
    if (startsWithTextIgnoreCase(head, marker, start)) return known('text/html', 'HTML with active content');
  }
  return undefined;
}
