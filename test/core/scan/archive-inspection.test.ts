import { gzipSync } from 'node:zlib';

import { Zip, ZipDeflate, zipSync, type Zippable } from 'fflate';

import { createBuiltinEngine, type BuiltinEngineOptions } from '../../../core/scan/builtin-engine';
import { eicarBytes } from '../../../core/scan/eicar';
import type { EngineVerdict } from '../../../core/scan/verdict';
import { chunked, fakeElf, minimalPdf, pseudoRandom } from './fixtures';

const MiB = 1024 * 1024;

function scanArchive(
  data: Uint8Array,
  fileName: string,
  options: BuiltinEngineOptions = {},
  chunkSize = 16 * 1024,
): Promise<EngineVerdict> {
  const contentType = fileName.endsWith('.zip') ? 'application/zip' : 'application/gzip';
  return createBuiltinEngine(options).scan(chunked(data, chunkSize), {
    declaredContentType: contentType,
    fileName,
  });
}

/** A zip written by fflate's streaming Zip: entries carry data descriptors instead of sizes in the header. */
function streamedZip(entries: Record<string, Uint8Array>): Buffer {
  const parts: Uint8Array[] = [];
  const zip = new Zip((error, data) => {
    if (error) throw error;
    parts.push(data);
  });
  for (const [name, content] of Object.entries(entries)) {
    const entry = new ZipDeflate(name, { level: 6 });
    zip.add(entry);
    entry.push(content, true);
  }
  zip.end();
  return Buffer.concat(parts);
}

const text = (content: string) => Buffer.from(content);

describe('archive inspection: EICAR', () => {
  it('finds EICAR inside a deflated zip entry', async () => {
    // Arrange
    const zip = zipSync({ 'docs/readme.txt': text('hello'), 'docs/eicar.com': eicarBytes() }, { level: 9 });
    // Act
    const verdict = await scanArchive(zip, 'upload.zip');
    // Assert
    expect(verdict).toMatchObject({ status: 'INFECTED', signature: 'Eicar-Test-Signature' });
    expect(verdict.reason).toContain('upload.zip!docs/eicar.com');
  });

  it('finds EICAR inside a streamed zip (data descriptors)', async () => {
    // Arrange
    const zip = streamedZip({ 'a.txt': pseudoRandom(100_000), 'b.com': eicarBytes() });
    // Act
    const verdict = await scanArchive(zip, 'upload.zip', {}, 1000);
    // Assert
    expect(verdict.status).toBe('INFECTED');
  });

  it('finds EICAR inside a gzip', async () => {
    // Arrange
    const gz = gzipSync(Buffer.concat([pseudoRandom(50_000), eicarBytes(), text('trailing')]));
    // Act
    const verdict = await scanArchive(gz, 'log.gz');
    // Assert
    expect(verdict).toMatchObject({ status: 'INFECTED', signature: 'Eicar-Test-Signature' });
  });

  it('finds EICAR inside a zip inside a zip, both deflated', async () => {
    // Arrange
    const inner = zipSync(
      { 'eicar.txt': Buffer.concat([text('x'.repeat(500)), eicarBytes()]) },
      { level: 9 },
    );
    const outer = zipSync({ 'inner.zip': inner, 'other.txt': text('other') }, { level: 9 });
    // Assert (precondition): the signature is not visible in the raw bytes
    expect(Buffer.from(outer).includes(eicarBytes())).toBe(false);
    // Act
    const verdict = await scanArchive(outer, 'outer.zip');
    // Assert
    expect(verdict.status).toBe('INFECTED');
    expect(verdict.reason).toContain('outer.zip!inner.zip!eicar.txt');
  });

  it('finds EICAR inside a gzip inside a zip', async () => {
    // Arrange
    const outer = zipSync({ 'logs/app.log.gz': gzipSync(Buffer.concat([text('log line\n'), eicarBytes()])) });
    // Act
    const verdict = await scanArchive(outer, 'outer.zip');
    // Assert
    expect(verdict.status).toBe('INFECTED');
    expect(verdict.reason).toContain('outer.zip!logs/app.log.gz!gunzip');
  });

  it('accepts a clean zip and a clean multi-member gzip', async () => {
    // Arrange
    const zip = zipSync({ 'a.pdf': minimalPdf(), 'b.bin': pseudoRandom(200_000) });
    const gz = Buffer.concat([gzipSync(text('first member\n')), gzipSync(pseudoRandom(100_000))]);
    // Act
    const zipVerdict = await scanArchive(zip, 'a.zip');
    const gzVerdict = await scanArchive(gz, 'a.gz');
    // Assert
    expect(zipVerdict).toMatchObject({ status: 'CLEAN', detectedType: 'application/zip' });
    expect(gzVerdict).toMatchObject({ status: 'CLEAN', detectedType: 'application/gzip' });
  });

  it('flags an executable inside a zip, unless configured not to', async () => {
    // Arrange
    const zip = zipSync({ 'setup.exe': fakeElf(4096) });
    // Act
    const flagged = await scanArchive(zip, 'a.zip');
    const allowed = await scanArchive(zip, 'a.zip', { flagExecutablesInArchives: false });
    // Assert
    expect(flagged).toMatchObject({
      status: 'SUSPICIOUS',
      reason: 'archive entry a.zip!setup.exe holds code (ELF executable)',
    });
    expect(allowed.status).toBe('CLEAN');
  });
});

describe('archive inspection: bomb guards', () => {
  it('trips maxExpandedBytes', async () => {
    // Arrange
    const zip = zipSync({ 'a.bin': pseudoRandom(2 * MiB) }, { level: 1 });
    // Act
    const verdict = await scanArchive(zip, 'a.zip', { archiveLimits: { maxExpandedBytes: MiB } });
    // Assert
    expect(verdict.status).toBe('SUSPICIOUS');
    expect(verdict.reason).toMatch(/^archive guard maxExpandedBytes exceeded: more than 1048576 bytes/);
  });

  it('trips maxCompressionRatio for a zip of zeros and a gzip of zeros', async () => {
    // Arrange
    const zeros = new Uint8Array(16 * MiB);
    const zip = zipSync({ 'zeros.bin': zeros }, { level: 9 });
    const gz = gzipSync(zeros, { level: 9 });
    // Act
    const zipVerdict = await scanArchive(zip, 'bomb.zip');
    const gzVerdict = await scanArchive(gz, 'bomb.gz');
    // Assert
    expect(zipVerdict.reason).toMatch(
      /^archive guard maxCompressionRatio exceeded: bomb\.zip expands \d+:1 \(limit 250:1\)/,
    );
    expect(gzVerdict).toMatchObject({ status: 'SUSPICIOUS' });
    expect(gzVerdict.reason).toContain('maxCompressionRatio');
  });

  it('trips maxDepth for archives nested deeper than allowed', async () => {
    // Arrange
    let nested: Uint8Array = text('core');
    for (let level = 0; level < 4; level++) nested = zipSync({ [`level${level}.zip`]: nested } as Zippable);
    // Act
    const verdict = await scanArchive(nested, 'deep.zip', { archiveLimits: { maxDepth: 3 } });
    const relaxed = await scanArchive(nested, 'deep.zip', { archiveLimits: { maxDepth: 4 } });
    // Assert
    expect(verdict.status).toBe('SUSPICIOUS');
    expect(verdict.reason).toMatch(/^archive guard maxDepth exceeded: .* nested 4 levels deep \(limit 3\)/);
    expect(relaxed.status).toBe('CLEAN');
  });

  it('trips maxEntries', async () => {
    // Arrange
    const entries: Zippable = {};
    for (let i = 0; i < 20; i++) entries[`file${i}.txt`] = text(`entry ${i}`);
    const zip = zipSync(entries);
    // Act
    const verdict = await scanArchive(zip, 'many.zip', { archiveLimits: { maxEntries: 10 } });
    // Assert
    expect(verdict.status).toBe('SUSPICIOUS');
    expect(verdict.reason).toMatch(/^archive guard maxEntries exceeded: more than 10 entries/);
  });

  it('still finds EICAR before a guard trips, and INFECTED wins', async () => {
    // Arrange
    const zip = zipSync({ '1.com': eicarBytes(), '2.bin': new Uint8Array(8 * MiB) });
    // Act
    const verdict = await scanArchive(zip, 'mixed.zip');
    // Assert
    expect(verdict.status).toBe('INFECTED');
  });
});

describe('archive inspection: damaged archives are SUSPICIOUS', () => {
  const gz = gzipSync(pseudoRandom(100_000));
  const zip = zipSync({ 'a.txt': pseudoRandom(50_000), 'b.txt': pseudoRandom(50_000) });

  it.each<[string, Uint8Array, string, RegExp]>([
    ['a gzip cut in its deflate data', gz.subarray(0, gz.length / 2), 'a.gz', /unexpected EOF/],
    ['a gzip cut in its trailer', gz.subarray(0, gz.length - 3), 'a.gz', /trailer/],
    [
      'a gzip with a wrong CRC',
      Buffer.concat([gz.subarray(0, gz.length - 8), Buffer.alloc(8)]),
      'a.gz',
      /CRC-32/,
    ],
    ['a zip cut inside an entry', zip.subarray(0, 30_000), 'a.zip', /corrupt or truncated archive a\.zip/],
    [
      'a zip cut before its central directory end',
      zip.subarray(0, zip.length - 10),
      'a.zip',
      /end of central/,
    ],
  ])('reports %s', async (_name, data, fileName, reason) => {
    // Arrange: the damaged archive above
    // Act
    const verdict = await scanArchive(data, fileName);
    // Assert
    expect(verdict.status).toBe('SUSPICIOUS');
    expect(verdict.reason).toMatch(reason);
  });

  it('reports an entry with a compression method it cannot read', async () => {
    // Arrange: claim LZMA (14) in the local header of the only entry
    const lzma = Buffer.from(zipSync({ 'a.txt': text('hello hello hello') }));
    lzma.writeUInt16LE(14, 8);
    // Act
    const verdict = await scanArchive(lzma, 'a.zip');
    // Assert
    expect(verdict).toMatchObject({
      status: 'SUSPICIOUS',
      reason: 'archive entry a.zip!a.txt uses unsupported compression method 14',
    });
  });
});
