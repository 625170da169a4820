import { createBuiltinEngine } from '../../../core/scan/builtin-engine';
import { eicarBytes } from '../../../core/scan/eicar';
import type { ScanSubject } from '../../../core/scan/scan-engine';
import {
  chunked,
  fakeElf,
  fakePe,
  fromChunks,
  minimalPdf,
  minimalPng,
  minimalWav,
  pseudoRandom,
} from './fixtures';

const engine = createBuiltinEngine();
const scan = (data: Uint8Array, subject: ScanSubject, chunkSize?: number) =>
  engine.scan(chunked(data, chunkSize), subject);

describe('built-in engine: EICAR', () => {
  it('reports a plain EICAR file as INFECTED', async () => {
    // Arrange
    const data = eicarBytes();
    // Act
    const verdict = await scan(data, { declaredContentType: 'text/plain', fileName: 'eicar.com' });
    // Assert
    expect(verdict).toMatchObject({
      status: 'INFECTED',
      engine: 'builtin',
      signature: 'Eicar-Test-Signature',
    });
  });

  it('finds EICAR split across every possible chunk boundary of an object', async () => {
    // Arrange
    const eicar = eicarBytes();
    const data = Buffer.concat([minimalWav(200), eicar, Buffer.alloc(300)]);
    const start = minimalWav(200).length;
    for (let cut = start + 1; cut < start + eicar.length; cut++) {
      // Act
      const verdict = await engine.scan(fromChunks([data.subarray(0, cut), data.subarray(cut)]), {
        declaredContentType: 'audio/wav',
        fileName: 'a.wav',
      });
      // Assert
      expect({ cut, status: verdict.status, signature: verdict.signature }).toEqual({
        cut,
        status: 'INFECTED',
        signature: 'Eicar-Test-Signature',
      });
    }
  });

  it('finds EICAR deep inside a large object read in small chunks', async () => {
    // Arrange
    const data = Buffer.concat([
      minimalWav(),
      pseudoRandom(3 * 1024 * 1024 + 7),
      eicarBytes(),
      pseudoRandom(1000),
    ]);
    // Act
    const verdict = await scan(data, { declaredContentType: 'audio/wav', fileName: 'a.wav' }, 4093);
    // Assert
    expect(verdict.status).toBe('INFECTED');
  });
});

describe('built-in engine: types', () => {
  it.each<[string, Buffer, string, string]>([
    ['PNG', minimalPng(), 'image/png', 'pixel.png'],
    ['PDF', minimalPdf(), 'application/pdf', 'doc.pdf'],
    ['WAV', minimalWav(), 'audio/wav', 'voice.wav'],
    ['WAV declared with an alias', minimalWav(), 'audio/x-wav', 'voice.WAV'],
  ])('accepts a real %s as CLEAN', async (_name, data, contentType, fileName) => {
    // Arrange: a real file of the declared type
    // Act
    const verdict = await scan(data, { declaredContentType: contentType, fileName });
    // Assert
    expect(verdict).toEqual({
      status: 'CLEAN',
      engine: 'builtin',
      detectedType: contentType === 'audio/x-wav' ? 'audio/wav' : contentType,
      bytesScanned: data.length,
    });
  });

  it('accepts WebM with codec parameters in the Content-Type', async () => {
    // Arrange
    const webm = Buffer.concat([
      Buffer.from([0x1a, 0x45, 0xdf, 0xa3, 0x9f, 0x42, 0x82, 0x84]),
      Buffer.from('webm'),
    ]);
    // Act (type detection only: the EBML head alone is not a complete WebM file)
    const verdict = await createBuiltinEngine({ checkStructure: false }).scan(chunked(webm), {
      declaredContentType: 'audio/webm;codecs=opus',
      fileName: 'rec.webm',
    });
    // Assert
    expect(verdict).toMatchObject({ status: 'CLEAN', detectedType: 'audio/webm' });
  });

  it.each<[string, Buffer, string, string, RegExp]>([
    [
      'PE named .mp3',
      fakePe(),
      'audio/mpeg',
      'song.mp3',
      /PE\/DOS executable \(MZ\) disguised as audio\/mpeg/,
    ],
    [
      'ELF named .pdf',
      fakeElf(),
      'application/pdf',
      'invoice.pdf',
      /ELF executable disguised as application\/pdf/,
    ],
    ['PE named .png', fakePe(), 'image/png', 'cat.png', /disguised as image\/png/],
    ['script named .png', Buffer.from('#!/bin/sh\necho pwned\n'), 'image/png', 'cat.png', /#! interpreter/],
    [
      'PE with no claimed type but a .mp3 name',
      fakePe(),
      'application/octet-stream',
      'song.mp3',
      /disguised as a \.mp3/,
    ],
  ])(
    'reports a disguised executable (%s) as SUSPICIOUS',
    async (_name, data, contentType, fileName, reason) => {
      // Arrange: executable bytes with a harmless declaration
      // Act
      const verdict = await scan(data, { declaredContentType: contentType, fileName });
      // Assert
      expect(verdict.status).toBe('SUSPICIOUS');
      expect(verdict.reason).toMatch(reason);
    },
  );

  it('reports a mismatch between two allowed types as SUSPICIOUS with both types named', async () => {
    // Arrange
    const png = minimalPng();
    // Act
    const verdict = await scan(png, { declaredContentType: 'audio/mpeg', fileName: 'song.mp3' });
    // Assert
    expect(verdict).toMatchObject({ status: 'SUSPICIOUS', detectedType: 'image/png' });
    expect(verdict.reason).toContain('declared audio/mpeg but the content is image/png');
  });

  it('reports an extension that does not match the content', async () => {
    // Arrange
    const pdf = minimalPdf();
    // Act
    const verdict = await scan(pdf, { declaredContentType: 'application/pdf', fileName: 'photo.jpg' });
    // Assert
    expect(verdict.status).toBe('SUSPICIOUS');
    expect(verdict.reason).toContain('file extension .jpg does not match the content application/pdf');
  });

  it('reports content without the declared signature', async () => {
    // Arrange
    const noise = pseudoRandom(4096, 7);
    noise[0] = 0x00; // no accidental signature
    // Act
    const verdict = await scan(noise, { declaredContentType: 'audio/wav', fileName: 'a.wav' });
    // Assert
    expect(verdict.status).toBe('SUSPICIOUS');
    expect(verdict.reason).toContain('declared audio/wav but the content has no audio/wav signature');
  });

  it('applies the allowlist to the detected type', async () => {
    // Arrange
    const gif = Buffer.from('GIF89a\x01\x00\x01\x00', 'latin1');
    const pngOnly = createBuiltinEngine({ allowedTypes: ['image/png'] });
    // Act
    const gifVerdict = await scan(gif, { declaredContentType: 'image/gif', fileName: 'a.gif' });
    const pdfVerdict = await pngOnly.scan(chunked(minimalPdf()), {
      declaredContentType: 'application/pdf',
      fileName: 'a.pdf',
    });
    const anyType = await createBuiltinEngine({ allowedTypes: 'any' }).scan(chunked(gif), {
      declaredContentType: 'image/gif',
      fileName: 'a.gif',
    });
    // Assert
    expect(gifVerdict).toMatchObject({
      status: 'SUSPICIOUS',
      reason: 'detected type image/gif is not an allowed type',
    });
    expect(pdfVerdict.reason).toBe('detected type application/pdf is not an allowed type');
    expect(anyType.status).toBe('CLEAN');
  });

  it('reports an empty object as SUSPICIOUS by default, CLEAN when configured', async () => {
    // Arrange
    const empty = Buffer.alloc(0);
    const lenient = createBuiltinEngine({ emptyObjectStatus: 'CLEAN' });
    // Act
    const strictVerdict = await scan(empty, { declaredContentType: 'audio/mpeg', fileName: 'a.mp3' });
    const lenientVerdict = await lenient.scan(chunked(empty), { declaredContentType: 'audio/mpeg' });
    // Assert
    expect(strictVerdict).toEqual({
      status: 'SUSPICIOUS',
      engine: 'builtin',
      reason: 'empty object (0 bytes)',
      bytesScanned: 0,
    });
    expect(lenientVerdict).toEqual({ status: 'CLEAN', engine: 'builtin', bytesScanned: 0 });
  });

  it('detects the type of an object shorter than the magic head', async () => {
    // Arrange
    const id3 = Buffer.from('ID3\x04\x00\x00\x00\x00\x00\x00', 'latin1');
    // Act (type detection only: an ID3 header alone is not a complete MP3 file)
    const verdict = await createBuiltinEngine({ checkStructure: false }).scan(
      fromChunks([id3.subarray(0, 2), id3.subarray(2)]),
      {
        declaredContentType: 'audio/mpeg',
        fileName: 'a.mp3',
      },
    );
    // Assert
    expect(verdict).toMatchObject({ status: 'CLEAN', detectedType: 'audio/mpeg', bytesScanned: 10 });
  });

  it('rejects invalid archive limits with one error naming each', () => {
    // Arrange
    const limits = { maxDepth: 0, maxEntries: Number.NaN };
    // Act
    const create = () => createBuiltinEngine({ archiveLimits: limits });
    // Assert
    expect(create).toThrow(/maxEntries must be .*; maxDepth must be|maxDepth must be .*; maxEntries must be/);
  });
});
