import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { FormatError } from '../../../../core/backup/verify/format-error';
import { ByteReader } from '../../../../core/backup/verify/pg-dump/byte-reader';
import { readPgDumpArchive, type TocEntry } from '../../../../core/backup/verify/pg-dump/pg-dump-archive';
import { dataCompression, type PgDumpHeader } from '../../../../core/backup/verify/pg-dump/pg-dump-toc';
import { isListedByRestore, restoreListLine } from '../../../../core/backup/verify/pg-dump/restore-listing';

const FIXTURES = join(__dirname, '../../../fixtures/backups');

/** The bytes in chunks of `size`, so every field crosses chunk boundaries somewhere. */
function readerOf(bytes: Buffer, size = 7): ByteReader {
  async function* chunks() {
    for (let offset = 0; offset < bytes.length; offset += size) yield bytes.subarray(offset, offset + size);
  }
  return new ByteReader(chunks());
}

async function parse(bytes: Buffer) {
  const entries: TocEntry[] = [];
  const summary = await readPgDumpArchive(readerOf(bytes), (entry) => entries.push(entry));
  return { summary, entries };
}

/** `pg_restore --list FILE`: the header comment lines and the entry lines. */
function pgRestoreList(file: string): { header: string[]; entries: string[] } {
  const output = execFileSync('pg_restore', ['--list', file], {
    encoding: 'utf8',
    env: { ...process.env, TZ: 'UTC' },
  });
  const lines = output.split('\n').filter((line) => line.trim() !== '');
  return {
    header: lines.filter((line) => line.startsWith(';')),
    entries: lines.filter((line) => !line.startsWith(';')),
  };
}

describe.each(['shop.dump', 'shop-piped.dump'])(
  'the PGDMP reader on a real pg_dump -Fc archive (%s)',
  (name) => {
    const file = join(FIXTURES, name);
    const bytes = readFileSync(file);

    it('reads the header and every TOC entry as pg_restore --list shows them', async () => {
      // Arrange
      const expected = pgRestoreList(file);

      // Act
      const { summary, entries } = await parse(bytes);

      // Assert
      const { header } = summary;
      expect(expected.header).toEqual(
        expect.arrayContaining([
          `; Archive created at ${header.createdAt} UTC`,
          `;     dbname: ${header.database}`,
          `;     TOC Entries: ${summary.tocEntries}`,
          `;     Compression: ${header.compression}`,
          `;     Dump Version: ${header.archiveVersion}`,
          ';     Format: CUSTOM',
          `;     Integer: ${header.intSize} bytes`,
          `;     Offset: ${header.offSize} bytes`,
          `;     Dumped from database version: ${header.serverVersion}`,
          `;     Dumped by pg_dump version: ${header.pgDumpVersion}`,
        ]),
      );
      expect(entries).toHaveLength(summary.tocEntries);
      expect(entries.filter(isListedByRestore).map(restoreListLine)).toEqual(expected.entries);
      expect(entries.filter((entry) => !isListedByRestore(entry)).map((entry) => entry.desc)).toEqual([
        'ENCODING',
        'STDSTRINGS',
        'SEARCHPATH',
        'DATABASE',
      ]);
      expect(summary.dataBlocks).toBe(entries.filter((entry) => entry.dataState !== 'no-data').length);
    });

    it('keeps every field of an entry: definitions, statements, dependencies and the data offset state', async () => {
      // Act
      const { entries } = await parse(bytes);

      // Assert
      const orders = entries.find((entry) => entry.desc === 'TABLE' && entry.tag === 'orders')!;
      expect(orders).toMatchObject({
        hadDumper: false,
        namespace: 'sales',
        owner: 'stowage',
        section: 'pre-data',
        tableAccessMethod: 'heap',
        relkind: null,
        withOids: false,
        dataState: 'no-data',
      });
      expect(orders.defn).toContain('CREATE TABLE sales.orders');
      expect(orders.dropStmt).toBe('DROP TABLE sales.orders;\n');
      const data = entries.find((entry) => entry.desc === 'TABLE DATA' && entry.tag === 'orders')!;
      expect(data).toMatchObject({
        hadDumper: true,
        section: 'data',
        dataState: name === 'shop.dump' ? 'set' : 'not-set',
      });
      expect(data.copyStmt).toContain('COPY sales.orders (id, customer_id, total, placed_at) FROM stdin;');
      expect(data.dependencies).toEqual([orders.dumpId]);
    });
  },
);

describe('the PGDMP reader on damaged archives', () => {
  const bytes = readFileSync(join(FIXTURES, 'shop.dump'));

  async function failure(damaged: Buffer): Promise<string> {
    const error = await parse(damaged).then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(FormatError);
    return (error as FormatError).message;
  }

  it('rejects a wrong magic, an unsupported version and another archive format', async () => {
    // Arrange
    const magic = Buffer.from(bytes);
    magic.write('XGDMP', 0, 'latin1');
    const version = Buffer.from(bytes);
    version[6] = 11; // 1.11
    const format = Buffer.from(bytes);
    format[10] = 3; // tar

    // Act / Assert
    expect(await failure(magic)).toBe('not a PostgreSQL archive: no PGDMP magic at the start');
    expect(await failure(version)).toBe('unsupported archive version 1.11-0 (supported: 1.12 to 1.16)');
    expect(await failure(format)).toBe('expected a custom archive, found archive format tar');
  });

  it('rejects a TOC truncated anywhere, and data cut short', async () => {
    // Act / Assert
    expect(await failure(bytes.subarray(0, 40))).toBe(
      'truncated: the file ends at byte 40 while reading the creation time',
    );
    expect(await failure(bytes.subarray(0, 3000))).toBe(
      'truncated: the file ends at byte 3000 while reading TOC entry 11 (owner)',
    );
    expect(await failure(bytes.subarray(0, bytes.length - 10))).toMatch(
      /^truncated: .* while reading the data of 3364 TABLE DATA sales orders$/,
    );
  });

  it('rejects an archive cut exactly between data blocks (the TOC promises more data)', async () => {
    // Arrange: the data of the second table starts at its TOC offset.
    const { entries } = await parse(bytes);
    const second = entries.filter((entry) => entry.dataState === 'set').at(-1)!;

    // Act / Assert
    expect(await failure(bytes.subarray(0, second.dataOffset))).toBe(
      `truncated: the archive ends at byte ${second.dataOffset} before the data of 1 TOC entries (first: 3364 TABLE DATA sales orders)`,
    );
  });

  it('rejects a corrupted TOC entry', async () => {
    // Arrange: the sign byte of the first entry's dump id (right after the entry count).
    const header = Buffer.from(bytes);
    const countAt = bytes.indexOf(Buffer.from('1)\u0000', 'latin1'), 100) + 2; // end of the pg_dump version string
    header[countAt + 5] = 7;

    // Act / Assert
    expect(await failure(header)).toMatch(
      /^corrupt archive: bad integer sign byte 7 in the dump id of TOC entry 0/,
    );
  });
});

describe('the PGDMP reader decompresses every data block, as pg_restore does', () => {
  const bytes = readFileSync(join(FIXTURES, 'shop.dump'));

  async function outcome(damaged: Buffer): Promise<unknown> {
    return parse(damaged).then(
      (parsed) => parsed.summary,
      (thrown: unknown) => thrown,
    );
  }

  /** Offset of the first compressed byte of the first data block: type, dump id (5), chunk length (5). */
  async function firstDataByte(): Promise<number> {
    const { entries } = await parse(bytes);
    return entries.find((entry) => entry.dataState === 'set')!.dataOffset! + 1 + 5 + 5;
  }

  it('inflates the data of a whole archive and counts its bytes', async () => {
    // Act
    const { summary } = await parse(bytes);

    // Assert
    expect(summary.dataBlocks).toBe(2);
    expect(summary.dataBytes).toBeGreaterThan(0);
    expect(summary.trailingBytes).toBe(0);
  });

  it('fails a flipped byte inside compressed table data (zlib: incorrect data check or invalid block)', async () => {
    // Arrange
    const damaged = Buffer.from(bytes);
    const at = (await firstDataByte()) + 20;
    damaged[at] = damaged[at]! ^ 0xff;

    // Act
    const error = await outcome(damaged);

    // Assert
    expect(error).toBeInstanceOf(FormatError);
    expect((error as Error).message).toMatch(
      /^corrupt archive: could not uncompress the data of \d+ TABLE DATA .*: .* \(Z_DATA_ERROR\)$/,
    );
  });

  it("fails a compressed stream that ends before zlib's end-of-stream (chunk terminator moved up)", async () => {
    // Arrange: the first chunk claims 2 bytes, then a zero-length terminator: a zlib stream cut short.
    const damaged = Buffer.from(bytes);
    const lengthAt = (await firstDataByte()) - 5;
    damaged.writeUInt32LE(2, lengthAt + 1);
    damaged.fill(0, lengthAt + 5 + 2, lengthAt + 5 + 2 + 5);

    // Act
    const error = await outcome(damaged);

    // Assert
    expect(error).toBeInstanceOf(FormatError);
  });

  it('reads the blocks as stored when the header says compression level 0', async () => {
    // Arrange: the same archive, its compression level set to 0 (none).
    const none = Buffer.from(bytes);
    const levelAt = 5 + 3 + 3; // magic, version, intSize offSize format
    none[levelAt] = 0;
    none.writeUInt32LE(0, levelAt + 1);

    // Act
    const parsed = await outcome(none);

    // Assert: read as uncompressed, the zlib bytes are framed correctly: pg_restore -f - prints them too.
    expect(parsed).toMatchObject({ dataBlocks: 2 });
  });

  it('ignores bytes after the last data block, as pg_restore does, and counts them', async () => {
    // Act
    const { summary } = await parse(Buffer.concat([bytes, bytes]));

    // Assert
    expect(summary.trailingBytes).toBe(bytes.length);
  });
});

describe('dataCompression', () => {
  it('names what a reader must do with the data of each header', () => {
    // Arrange
    const header = (compression: string) => ({ compression }) as PgDumpHeader;

    // Act / Assert
    expect(dataCompression(header('-1'))).toBe('zlib');
    expect(dataCompression(header('6'))).toBe('zlib');
    expect(dataCompression(header('gzip'))).toBe('zlib');
    expect(dataCompression(header('0'))).toBe('none');
    expect(dataCompression(header('none'))).toBe('none');
    expect(dataCompression(header('lz4'))).toEqual({ unsupported: 'lz4' });
    expect(dataCompression(header('zstd'))).toEqual({ unsupported: 'zstd' });
  });
});
