import { detectType } from '../../../core/scan/magic-bytes';
import { fakeElf, fakePe, minimalPdf, minimalPng, minimalWav } from './fixtures';

const bytes = (...parts: (string | number[])[]): Buffer =>
  Buffer.concat(
    parts.map((part) => (typeof part === 'string' ? Buffer.from(part, 'latin1') : Buffer.from(part))),
  );

describe('detectType', () => {
  it.each<[string, Buffer, string]>([
    ['PNG', minimalPng(), 'image/png'],
    ['JPEG', bytes([0xff, 0xd8, 0xff, 0xe0], 'JFIF'), 'image/jpeg'],
    ['GIF', bytes('GIF89a'), 'image/gif'],
    ['WebP', bytes('RIFF', [0, 0, 0, 0], 'WEBPVP8 '), 'image/webp'],
    ['PDF', minimalPdf(), 'application/pdf'],
    ['WAV', minimalWav(), 'audio/wav'],
    ['FLAC', bytes('fLaC', [0, 0, 0, 34]), 'audio/flac'],
    ['Ogg', bytes('OggS', [0, 2]), 'audio/ogg'],
    ['WebM', bytes([0x1a, 0x45, 0xdf, 0xa3, 0x9f, 0x42, 0x82, 0x84], 'webm'), 'audio/webm'],
    ['Matroska', bytes([0x1a, 0x45, 0xdf, 0xa3, 0x9f, 0x42, 0x82, 0x88], 'matroska'), 'video/x-matroska'],
    ['MP4 audio', bytes([0, 0, 0, 0x20], 'ftypM4A ', [0, 0, 0, 0]), 'audio/mp4'],
    ['MP4 video', bytes([0, 0, 0, 0x20], 'ftypisom', [0, 0, 2, 0]), 'video/mp4'],
    ['MP3 with ID3', bytes('ID3', [4, 0, 0]), 'audio/mpeg'],
    ['MP3 frame', bytes([0xff, 0xfb, 0x90, 0x64]), 'audio/mpeg'],
    ['AAC ADTS', bytes([0xff, 0xf1, 0x50, 0x80]), 'audio/aac'],
    ['ZIP', bytes('PK', [3, 4, 20, 0]), 'application/zip'],
    ['empty ZIP', bytes('PK', [5, 6], Array<number>(18).fill(0)), 'application/zip'],
    ['gzip', bytes([0x1f, 0x8b, 8, 0]), 'application/gzip'],
    ['bzip2', bytes('BZh91AY'), 'application/x-bzip2'],
    ['7-Zip', bytes([0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c]), 'application/x-7z-compressed'],
    ['RAR', bytes('Rar!', [0x1a, 7, 1, 0]), 'application/vnd.rar'],
    ['OLE2', bytes([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]), 'application/x-ole-storage'],
    ['PE', fakePe(), 'application/x-msdownload'],
    ['ELF', fakeElf(), 'application/x-elf'],
    ['Mach-O 64', bytes([0xcf, 0xfa, 0xed, 0xfe, 7, 0, 0, 1]), 'application/x-mach-binary'],
    ['Mach-O universal', bytes([0xca, 0xfe, 0xba, 0xbe, 0, 0, 0, 2]), 'application/x-mach-binary'],
    ['WebAssembly', bytes([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]), 'application/wasm'],
    ['shebang', bytes('#!/bin/sh\nrm -rf /\n'), 'text/x-shellscript'],
    ['PHP after BOM', bytes([0xef, 0xbb, 0xbf], '<?php echo 1;'), 'application/x-httpd-php'],
    ['HTML', bytes('\n  <!DOCTYPE HTML><html>'), 'text/html'],
  ])('detects %s', (_name, head, mime) => {
    // Arrange: the head bytes above
    // Act
    const detected = detectType(head);
    // Assert
    expect(detected?.type.mime).toBe(mime);
  });

  it.each<[string, Buffer]>([
    ['plain text', bytes('hello, world')],
    ['empty', Buffer.alloc(0)],
    ['one byte of a signature', bytes([0x89])],
    ['reserved MPEG version', bytes([0xff, 0xeb, 0x90, 0x64])],
  ])('detects nothing in %s', (_name, head) => {
    // Arrange: the head bytes above
    // Act
    const detected = detectType(head);
    // Assert
    expect(detected).toBeUndefined();
  });
});
