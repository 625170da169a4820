import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';

import { zipSync } from 'fflate';

import { createBuiltinEngine, type BuiltinEngineOptions } from '../../../core/scan/builtin-engine';
import { eicarBytes } from '../../../core/scan/eicar';
import type { EngineVerdict } from '../../../core/scan/verdict';
import { removeMediaCorpus, hostileCorpus, type CorpusFile } from '../../support/media-corpus';

import { chunked, fromChunks, minimalPdf, minimalWav, pseudoRandom } from './fixtures';

afterAll(removeMediaCorpus);

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

  it('reports a flood of plausible zip headers meant to hide a real one', async () => {
    // Arrange: 40 stored-entry headers claiming 1 MiB each, a byte apart, inside a WAV data chunk
    const header = Buffer.alloc(31);
    header.writeUInt32LE(0x04034b50, 0);
    header.writeUInt16LE(20, 4);
    header.writeUInt32LE(1024 * 1024, 18);
    header.writeUInt32LE(1024 * 1024, 22);
    header.writeUInt16LE(1, 26);
    header.write('a', 30, 'latin1');
    const wav = minimalWav(60_000);
    for (let i = 0; i < 40; i++) header.copy(wav, 100 + i * 32);
    // Act (one archive level: the decoys' entries, which hold the later decoys, are not searched again)
    const verdict = await createBuiltinEngine({ archiveLimits: { maxDepth: 1 } }).scan(chunked(wav), {
      declaredContentType: 'audio/wav',
    });
    // Assert
    expect(verdict.status).toBe('SUSPICIOUS');
    expect(verdict.reason).toMatch(
      /more than 32 embedded archive headers open at once \(at byte offset 1124 of object\)/,
    );
  });

  it('reports decoys that nest into each other until the entry budget is spent', async () => {
    // Arrange: the same decoys at full depth: each decoy's entry holds the later ones, which are searched again
    const header = Buffer.alloc(31);
    header.writeUInt32LE(0x04034b50, 0);
    header.writeUInt16LE(20, 4);
    header.writeUInt32LE(1024 * 1024, 18);
    header.writeUInt32LE(1024 * 1024, 22);
    header.writeUInt16LE(1, 26);
    header.write('a', 30, 'latin1');
    const wav = minimalWav(60_000);
    for (let i = 0; i < 40; i++) header.copy(wav, 100 + i * 32);
    // Act
    const verdict = await createBuiltinEngine().scan(chunked(wav), { declaredContentType: 'audio/wav' });
    // Assert
    expect(verdict.status).toBe('SUSPICIOUS');
    expect(verdict.reason).toMatch(/^archive guard maxEntries exceeded: more than 10000 entries/);
  });

  it('ignores zip headers that chain into each other (each stored entry starting with the next header)', async () => {
    // Arrange: 40 stored-entry headers back to back: every entry's content looks like a nested zip
    const header = Buffer.alloc(31);
    header.writeUInt32LE(0x04034b50, 0);
    header.writeUInt16LE(20, 4);
    header.writeUInt32LE(1024 * 1024, 18);
    header.writeUInt32LE(1024 * 1024, 22);
    header.writeUInt16LE(1, 26);
    header.write('a', 30, 'latin1');
    const wav = minimalWav(600_000);
    for (let i = 0; i < 40; i++) header.copy(wav, 100 + i * 31);
    // Act
    const verdict = await createBuiltinEngine().scan(chunked(wav), { declaredContentType: 'audio/wav' });
    // Assert: no entry ever completes with a matching CRC, so nothing counts
    expect(verdict.status).toBe('CLEAN');
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
