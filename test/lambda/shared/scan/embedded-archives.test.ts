import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';

import { zipSync } from 'fflate';

import {
  createBuiltinEngine,
  type BuiltinEngineOptions,
} from '../../../../lambda/shared/scan/builtin-engine';
import { eicarBytes } from '../../../../lambda/shared/scan/eicar';
import type { EngineVerdict } from '../../../../lambda/shared/scan/verdict';
import { hostileCorpus, type CorpusFile } from '../../../support/media-corpus';
import { chunked, fromChunks, minimalPdf, minimalWav, pseudoRandom } from './fixtures';

function scanFile(
  file: CorpusFile,
  options: BuiltinEngineOptions = {},
  chunkSize = 4096,
): Promise<EngineVerdict> {
  return createBuiltinEngine(options).scan(chunked(readFileSync(file.path), chunkSize), {
    declaredContentType: file.type,
    fileName: file.name,
  });
}

const EMBEDDED = [
  'id3-then-zip.mp3',
  'pdf-then-gzip.pdf',
  'png-then-gzip.png',
  'gzip-data-chunk.wav',
  'encrypted.zip',
  'id3-then-encrypted-zip.mp3',
];

describe('embedded archives and encrypted entries (hostile files derived from real ones)', () => {
  const files = () => hostileCorpus().filter((file) => EMBEDDED.includes(file.name));

  it.each(EMBEDDED)('%s is reported with the right reason, at any chunk size', async (name) => {
    // Arrange
    const file = files().find((candidate) => candidate.name === name)!;
    for (const chunkSize of [1, 7, 4096, 1 << 20]) {
      // Act
      const verdict = await scanFile(file, {}, chunkSize);
      // Assert
      expect(verdict.status).toBe(file.expected);
      expect(verdict.reason).toMatch(file.reason);
    }
  });

  it('accepts encrypted entries when configured to, and still finds EICAR elsewhere', async () => {
    // Arrange
    const encrypted = files().find((file) => file.name === 'encrypted.zip')!;
    const embedded = files().find((file) => file.name === 'id3-then-zip.mp3')!;
    // Act
    const allowed = await scanFile(encrypted, { allowEncryptedArchiveEntries: true });
    const infected = await scanFile(embedded, { allowEncryptedArchiveEntries: true });
    // Assert
    expect(allowed).toMatchObject({ status: 'CLEAN', detectedType: 'application/zip' });
    expect(infected.status).toBe('INFECTED');
  });
});

describe('embedded archives: candidates that are not archives are ignored', () => {
  it('ignores zip and gzip magic numbers scattered through random bytes', async () => {
    // Arrange: 4 MiB of noise in a WAV, with 200 fake gzip and zip headers followed by noise
    const noise = pseudoRandom(4 * 1024 * 1024, 7);
    for (let i = 0; i < 200; i++) {
      const at = 1000 + i * 20_000;
      Buffer.from(i % 2 ? [0x1f, 0x8b, 0x08, 0x00] : [0x50, 0x4b, 0x03, 0x04, 0x14, 0x00]).copy(noise, at);
    }
    const wav = minimalWav(noise.length / 2);
    noise.copy(wav, 44);
    // Act
    const verdict = await createBuiltinEngine().scan(chunked(wav, 65536), {
      declaredContentType: 'audio/wav',
      fileName: 'noise.wav',
    });
    // Assert
    expect(verdict).toMatchObject({ status: 'CLEAN', detectedType: 'audio/wav' });
  });

  it('ignores a gzip header whose deflate data is damaged (CRC does not match)', async () => {
    // Arrange: a real gzip member with one payload byte flipped, after a PDF
    const gz = gzipSync(Buffer.from('plain text '.repeat(100)));
    gz[gz.length - 9] ^= 0xff;
    const data = Buffer.concat([minimalPdf(), gz]);
    // Act
    const verdict = await createBuiltinEngine({ checkStructure: false }).scan(chunked(data), {
      declaredContentType: 'application/pdf',
      fileName: 'a.pdf',
    });
    // Assert
    expect(verdict.status).toBe('CLEAN');
  });

  it('finds a zip whose local header is split across two chunks', async () => {
    // Arrange
    const zip = Buffer.from(
      zipSync({ 'x.com': Buffer.concat([eicarBytes(), Buffer.alloc(3000, 32)]) }, { level: 9 }),
    );
    const pdf = minimalPdf();
    const data = Buffer.concat([pdf, zip]);
    for (const cut of [pdf.length + 1, pdf.length + 2, pdf.length + 3]) {
      // Act
      const verdict = await createBuiltinEngine().scan(
        fromChunks([data.subarray(0, cut), data.subarray(cut)]),
        {
          declaredContentType: 'application/pdf',
          fileName: 'a.pdf',
        },
      );
      // Assert
      expect(verdict).toMatchObject({
        status: 'INFECTED',
        reason: expect.stringContaining(`a.pdf@${pdf.length}!x.com`),
      });
    }
  });

  it('finds a zip inside content of no known type', async () => {
    // Arrange: plain text, then a deflated zip holding EICAR
    const zip = Buffer.from(
      zipSync({ 'x.com': Buffer.concat([eicarBytes(), Buffer.alloc(3000, 32)]) }, { level: 9 }),
    );
    const data = Buffer.concat([Buffer.from('just some notes\n'.repeat(100)), zip]);
    // Act
    const verdict = await createBuiltinEngine({ allowedTypes: 'any' }).scan(chunked(data, 1000), {
      fileName: 'notes.txt',
    });
    // Assert
    expect(verdict).toMatchObject({
      status: 'INFECTED',
      reason: expect.stringContaining('notes.txt@1600!x.com'),
    });
  });

  it('applies the bomb guards to embedded archives', async () => {
    // Arrange: a gzip of 64 MiB of zeros inside a WAV data chunk
    const bomb = gzipSync(Buffer.alloc(64 * 1024 * 1024));
    const wav = minimalWav(bomb.length / 2 + 1);
    bomb.copy(wav, 44);
    // Act
    const verdict = await createBuiltinEngine().scan(chunked(wav), { declaredContentType: 'audio/wav' });
    // Assert
    expect(verdict.status).toBe('SUSPICIOUS');
    expect(verdict.reason).toMatch(/archive guard maxCompressionRatio exceeded: object@44 expands/);
  });
});
