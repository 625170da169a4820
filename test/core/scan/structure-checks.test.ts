import { readFileSync } from 'node:fs';

import { createBuiltinEngine } from '../../../core/scan/builtin-engine';
import { DEFAULT_ALLOWED_TYPES } from '../../../core/scan/media-types';
import type { EngineVerdict } from '../../../core/scan/verdict';
import { removeMediaCorpus, cleanCorpus, hostileCorpus, type CorpusFile } from '../../support/media-corpus';

import { chunked, minimalPdf, minimalPng, minimalWav } from './fixtures';

afterAll(removeMediaCorpus);

// Matroska is not a default upload type, but its structure is checked like WebM's, so the corpus holds one.
const engine = createBuiltinEngine({ allowedTypes: [...DEFAULT_ALLOWED_TYPES, 'video/x-matroska'] });

function scan(file: CorpusFile, chunkSize: number): Promise<EngineVerdict> {
  return engine.scan(chunked(readFileSync(file.path), chunkSize), {
    declaredContentType: file.type,
    fileName: file.name,
  });
}

/** Chunk sizes every file is scanned at: one byte (small files), odd, typical, the whole file. */
function chunkSizes(file: CorpusFile): number[] {
  const size = readFileSync(file.path).length;
  return [...(size <= 40_000 ? [1] : []), 7, 4096, size];
}

describe('structure checks: real files made by real tools are CLEAN', () => {
  it('scans every clean corpus file CLEAN at every chunk size, and prints the table', async () => {
    // Arrange
    const files = cleanCorpus();
    const rows: string[] = [];
    const failures: string[] = [];
    // Act
    for (const file of files) {
      for (const chunkSize of chunkSizes(file)) {
        const verdict = await scan(file, chunkSize);
        if (verdict.status !== 'CLEAN')
          failures.push(`${file.name} @${chunkSize}: ${verdict.status} ${verdict.reason}`);
        if (chunkSize === 4096) {
          rows.push(
            `${file.name.padEnd(24)} ${file.tool.padEnd(62)} ${file.type.padEnd(17)} ${verdict.status}`,
          );
        }
      }
    }
    console.log(`clean corpus (${files.length} files)\n${rows.join('\n')}`);
    // Assert
    expect(failures).toEqual([]);
    const types = new Set(files.map((file) => file.type));
    for (const type of DEFAULT_ALLOWED_TYPES) expect(types).toContain(type);
  });

  it('accepts the small hand-built fixtures the other tests use', async () => {
    for (const [data, type] of [
      [minimalPng(), 'image/png'],
      [minimalPdf(), 'application/pdf'],
      [minimalWav(), 'audio/wav'],
    ] as const) {
      // Act
      const verdict = await engine.scan(chunked(data, 3), { declaredContentType: type });
      // Assert
      expect(verdict.status).toBe('CLEAN');
    }
  });
});

describe('structure checks: hostile files derived from real ones', () => {
  it('reports every hostile corpus file with the right reason at every chunk size, and prints the table', async () => {
    // Arrange
    const files = hostileCorpus();
    const rows: string[] = [];
    const failures: string[] = [];
    // Act
    for (const file of files) {
      for (const chunkSize of chunkSizes(file)) {
        const verdict = await scan(file, chunkSize);
        if (verdict.status !== file.expected || !file.reason.test(verdict.reason ?? '')) {
          failures.push(
            `${file.name} @${chunkSize}: ${verdict.status} ${verdict.reason} (want ${file.reason})`,
          );
        }
        if (chunkSize === 4096) {
          rows.push(
            `${file.name.padEnd(34)} ${file.description.padEnd(36)} ${verdict.status}: ${verdict.reason}`,
          );
        }
      }
    }
    console.log(`hostile corpus (${files.length} files)\n${rows.join('\n')}`);
    // Assert
    expect(failures).toEqual([]);
  });
});

describe('structure checks: details', () => {
  it('reports a PNG chunk with a wrong CRC-32', async () => {
    // Arrange
    const png = minimalPng();
    png[png.length - 13] ^= 0xff; // last byte of the IDAT CRC
    // Act
    const verdict = await engine.scan(chunked(png), { declaredContentType: 'image/png' });
    // Assert
    expect(verdict).toMatchObject({
      status: 'SUSPICIOUS',
      reason: expect.stringMatching(/IDAT at byte offset \d+ has a wrong CRC-32/),
    });
  });

  it('reports a RIFF size that does not cover the file', async () => {
    // Arrange
    const wav = minimalWav(100);
    wav.writeUInt32LE(wav.readUInt32LE(4) - 10, 4);
    // Act
    const verdict = await engine.scan(chunked(wav), { declaredContentType: 'audio/wav' });
    // Assert
    expect(verdict.reason).toMatch(/RIFF chunk 'data' at byte offset 36 ends after the RIFF size/);
  });

  it('can be switched off', async () => {
    // Arrange
    const data = Buffer.concat([minimalPng(), Buffer.from('trailing')]);
    // Act
    const verdict = await createBuiltinEngine({ checkStructure: false }).scan(chunked(data), {
      declaredContentType: 'image/png',
    });
    // Assert
    expect(verdict.status).toBe('CLEAN');
  });
});
