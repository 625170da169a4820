import { FormatError } from '../format-error';
import type { ByteReader } from './byte-reader';

/**
 * A streaming reader of PostgreSQL custom-format archives (`pg_dump -Fc`), enough to prove an archive is whole:
 * header, every table-of-contents entry, then every data block walked (not decompressed) to the end of the file.
 * Follows ReadHead / ReadToc / ReadOffset of pg_dump's pg_backup_archiver.c and the block layout of
 * pg_backup_custom.c.
 *
 * Supported archive versions: 1.12 (PostgreSQL 9.6+/10/11) to 1.16 (PostgreSQL 17):
 * - 1.14 (PostgreSQL 12) adds each entry's table access method;
 * - 1.15 (PostgreSQL 16) replaces the compression level (an int) with a compression algorithm (a byte);
 * - 1.16 (PostgreSQL 17) adds each entry's relkind (an int).
 * Anything older or newer is reported as unsupported rather than guessed at.
 *
 * Layout (ints are a sign byte then `intSize` little-endian bytes; strings an int length, -1 for NULL, then the
 * bytes; offsets a flag byte then `offSize` little-endian bytes):
 *   "PGDMP" vmaj vmin vrev intSize offSize format(1 = custom) compression time(7 ints) dbname serverVer dumpVer
 *   tocCount, then per entry: dumpId hadDumper tableoid oid tag desc section defn dropStmt copyStmt namespace
 *     tablespace [tableam] [relkind] owner withOids deps... NULL dataOffset
 *   data blocks: type(1 = data, 3 = large objects) dumpId, then chunks (int length + bytes) ending with length 0
 *     (large objects: per object an oid then its chunks, ending with oid 0), until the end of the file.
 */

export const SUPPORTED_ARCHIVE_VERSIONS = { min: [1, 12], max: [1, 16] } as const;

const MAGIC = 'PGDMP';
const FORMAT_CUSTOM = 1;
const FORMAT_NAMES: Record<number, string> = { 3: 'tar', 4: 'plain (null)', 5: 'directory' };
const COMPRESSION_ALGORITHMS: Record<number, string> = { 0: 'none', 1: 'gzip', 2: 'lz4', 3: 'zstd' };
const SECTIONS: Record<number, TocSection> = { 1: 'none', 2: 'pre-data', 3: 'data', 4: 'post-data' };
const OFFSET_STATES: Record<number, DataState> = { 1: 'not-set', 2: 'set', 3: 'no-data' };
const BLOCK_DATA = 1;
const BLOCK_BLOBS = 3;
/** Longest string field accepted (a function body, a view definition); anything longer is a corrupt length. */
const MAX_STRING_BYTES = 256 * 1024 * 1024;
const MAX_TOC_ENTRIES = 50_000_000;

export type TocSection = 'none' | 'pre-data' | 'data' | 'post-data';
export type DataState = 'not-set' | 'set' | 'no-data';

export interface PgDumpHeader {
  /** `major.minor-rev`, as `pg_restore --list` prints it (e.g. `1.14-0`). */
  readonly archiveVersion: string;
  readonly intSize: number;
  readonly offSize: number;
  readonly format: 'custom';
  /** 1.12-1.14: the zlib level (`-1` default, `0` none, `1`-`9`); 1.15+: `none`, `gzip`, `lz4` or `zstd`. */
  readonly compression: string;
  /** Local time of the dumping machine, `YYYY-MM-DD HH:MM:SS` (the archive stores no zone). */
  readonly createdAt: string;
  readonly database: string;
  readonly serverVersion: string;
  readonly pgDumpVersion: string;
}

export interface TocEntry {
  readonly dumpId: number;
  readonly hadDumper: boolean;
  readonly tableOid: string;
  readonly oid: string;
  readonly tag: string;
  readonly desc: string;
  readonly section: TocSection;
  readonly defn: string | null;
  readonly dropStmt: string | null;
  readonly copyStmt: string | null;
  readonly namespace: string | null;
  readonly tablespace: string | null;
  /** Table access method (1.14+). */
  readonly tableAccessMethod: string | null;
  /** pg_class.relkind as a character code (1.16+). */
  readonly relkind: number | null;
  readonly owner: string | null;
  readonly withOids: boolean;
  readonly dependencies: readonly number[];
  readonly dataState: DataState;
  /** Byte offset of the entry's data block, when `dataState` is `set`. */
  readonly dataOffset?: number;
}

export interface PgDumpSummary {
  readonly header: PgDumpHeader;
  readonly tocEntries: number;
  readonly dataBlocks: number;
}

/**
 * Reads a whole custom-format archive. `onEntry` sees every TOC entry as it is read (nothing else keeps them:
 * memory is bounded by one entry plus a small record per entry that has data). Throws FormatError for a file
 * that is not a supported custom-format archive, is corrupted or truncated anywhere, including in its data.
 */
export async function readPgDumpArchive(
  reader: ByteReader,
  onEntry: (entry: TocEntry) => void = () => undefined,
): Promise<PgDumpSummary> {
  const fields = new FieldReader(reader);
  const header = await readHeader(fields);
  const versionCode = fields.versionCode;
  const count = await fields.int('the TOC entry count');
  if (count < 0 || count > MAX_TOC_ENTRIES) throw corrupt(`TOC entry count ${count} is out of range`);
  // What the data walk must find: entries with data, by dump id.
  const expected = new Map<number, { offset?: number; label: string }>();
  const seen = new Set<number>();
  for (let index = 0; index < count; index++) {
    const entry = await readTocEntry(fields, versionCode, index);
    if (seen.has(entry.dumpId)) throw corrupt(`TOC entry ${index} repeats dump id ${entry.dumpId}`);
    seen.add(entry.dumpId);
    if (entry.dataState !== 'no-data') {
      expected.set(entry.dumpId, {
        ...(entry.dataOffset !== undefined ? { offset: entry.dataOffset } : {}),
        label: `${entry.dumpId} ${entry.desc} ${entry.namespace ?? '-'} ${entry.tag}`,
      });
    }
    onEntry(entry);
  }
  const dataBlocks = await walkDataBlocks(fields, expected, seen);
  return { header, tocEntries: count, dataBlocks };
}

async function readHeader(fields: FieldReader): Promise<PgDumpHeader> {
  const magic = (await fields.reader.readBytes(MAGIC.length, 'the PGDMP magic')).toString('latin1');
  if (magic !== MAGIC)
    throw new FormatError('not a PostgreSQL custom-format dump: no PGDMP magic at the start');
  const major = await fields.reader.readByte('the archive version');
  const minor = await fields.reader.readByte('the archive version');
  const rev = await fields.reader.readByte('the archive version');
  const archiveVersion = `${major}.${minor}-${rev}`;
  const [minMajor, minMinor] = SUPPORTED_ARCHIVE_VERSIONS.min;
  const [maxMajor, maxMinor] = SUPPORTED_ARCHIVE_VERSIONS.max;
  const code = major * 256 + minor;
  if (code < minMajor * 256 + minMinor || code > maxMajor * 256 + maxMinor) {
    throw new FormatError(
      `unsupported archive version ${archiveVersion} (supported: ${minMajor}.${minMinor} to ${maxMajor}.${maxMinor})`,
    );
  }
  fields.versionCode = code;
  const intSize = await fields.reader.readByte('the integer size');
  const offSize = await fields.reader.readByte('the offset size');
  if (intSize < 1 || intSize > 8) throw corrupt(`integer size ${intSize} is out of range (1-8)`);
  if (offSize < 1 || offSize > 8) throw corrupt(`offset size ${offSize} is out of range (1-8)`);
  fields.intSize = intSize;
  fields.offSize = offSize;
  const format = await fields.reader.readByte('the archive format');
  if (format !== FORMAT_CUSTOM) {
    throw new FormatError(`not a custom-format dump: archive format ${FORMAT_NAMES[format] ?? format}`);
  }
  let compression: string;
  if (code >= 1 * 256 + 15) {
    const algorithm = await fields.reader.readByte('the compression algorithm');
    const name = COMPRESSION_ALGORITHMS[algorithm];
    if (!name) throw corrupt(`unknown compression algorithm ${algorithm}`);
    compression = name;
  } else {
    const level = await fields.int('the compression level');
    if (level < -1 || level > 9) throw corrupt(`compression level ${level} is out of range (-1 to 9)`);
    compression = String(level);
  }
  const [sec, min, hour, mday, mon, year] = [
    await fields.int('the creation time'),
    await fields.int('the creation time'),
    await fields.int('the creation time'),
    await fields.int('the creation time'),
    await fields.int('the creation time'),
    await fields.int('the creation time'),
  ];
  await fields.int('the creation time'); // isdst
  if (sec < 0 || sec > 61 || min < 0 || min > 59 || hour < 0 || hour > 23 || mday < 1 || mday > 31) {
    throw corrupt('the creation time is not a valid time');
  }
  if (mon < 0 || mon > 11 || year < 0 || year > 8100) throw corrupt('the creation time is not a valid date');
  const pad = (value: number): string => String(value).padStart(2, '0');
  const createdAt = `${1900 + year}-${pad(mon + 1)}-${pad(mday)} ${pad(hour)}:${pad(min)}:${pad(sec)}`;
  return {
    archiveVersion,
    intSize,
    offSize,
    format: 'custom',
    compression,
    createdAt,
    database: (await fields.str('the database name')) ?? '',
    serverVersion: (await fields.str('the server version')) ?? '',
    pgDumpVersion: (await fields.str('the pg_dump version')) ?? '',
  };
}

async function readTocEntry(fields: FieldReader, code: number, index: number): Promise<TocEntry> {
  const where = `TOC entry ${index}`;
  const dumpId = await fields.int(`the dump id of ${where}`);
  if (dumpId <= 0) throw corrupt(`${where} has dump id ${dumpId}`);
  const hadDumper = await fields.int(`${where} (had dumper)`);
  if (hadDumper !== 0 && hadDumper !== 1) throw corrupt(`${where} has had-dumper ${hadDumper}`);
  const tableOid = await fields.oid(`${where} (table oid)`);
  const oid = await fields.oid(`${where} (oid)`);
  const tag = await fields.str(`${where} (tag)`);
  const desc = await fields.str(`${where} (desc)`);
  if (tag === null || desc === null || desc === '') throw corrupt(`${where} has no tag or description`);
  const sectionCode = await fields.int(`${where} (section)`);
  const section = SECTIONS[sectionCode];
  if (!section) throw corrupt(`${where} (${desc} ${tag}) has section ${sectionCode}`);
  const defn = await fields.str(`${where} (definition)`);
  const dropStmt = await fields.str(`${where} (drop statement)`);
  const copyStmt = await fields.str(`${where} (copy statement)`);
  const namespace = await fields.str(`${where} (namespace)`);
  const tablespace = await fields.str(`${where} (tablespace)`);
  const tableAccessMethod = code >= 1 * 256 + 14 ? await fields.str(`${where} (table access method)`) : null;
  const relkind = code >= 1 * 256 + 16 ? await fields.int(`${where} (relkind)`) : null;
  const owner = await fields.str(`${where} (owner)`);
  const withOids = await fields.str(`${where} (with oids)`);
  if (withOids !== 'true' && withOids !== 'false') throw corrupt(`${where} has with-oids '${withOids}'`);
  const dependencies: number[] = [];
  for (;;) {
    const dependency = await fields.str(`${where} (dependencies)`);
    if (dependency === null) break;
    if (!/^\d+$/.test(dependency)) throw corrupt(`${where} has dependency '${dependency.slice(0, 40)}'`);
    dependencies.push(Number(dependency));
  }
  const { state, offset } = await fields.offset(`${where} (data offset)`);
  return {
    dumpId,
    hadDumper: hadDumper === 1,
    tableOid,
    oid,
    tag,
    desc,
    section,
    defn,
    dropStmt,
    copyStmt,
    namespace,
    tablespace,
    tableAccessMethod,
    relkind,
    owner,
    withOids: withOids === 'true',
    dependencies,
    dataState: state,
    ...(state === 'set' ? { dataOffset: offset } : {}),
  };
}

async function walkDataBlocks(
  fields: FieldReader,
  expected: Map<number, { offset?: number; label: string }>,
  known: ReadonlySet<number>,
): Promise<number> {
  let blocks = 0;
  for (;;) {
    const start = fields.reader.position;
    const type = await fields.reader.readByteOrEnd();
    if (type === undefined) break;
    const dumpId = await fields.int(`the dump id of the data block at byte ${start}`);
    const entry = expected.get(dumpId);
    if (!entry) {
      const why = known.has(dumpId) ? 'an entry without data' : 'no TOC entry';
      throw corrupt(`the data block at byte ${start} names dump id ${dumpId}, ${why}`);
    }
    if (entry.offset !== undefined && entry.offset !== start) {
      throw corrupt(`the data of ${entry.label} is at byte ${start}, the TOC says ${entry.offset}`);
    }
    expected.delete(dumpId);
    if (type === BLOCK_DATA) {
      await skipChunks(fields, `the data of ${entry.label}`);
    } else if (type === BLOCK_BLOBS) {
      for (;;) {
        const oid = await fields.int(`a large object of ${entry.label}`);
        if (oid === 0) break;
        await skipChunks(fields, `large object ${oid} of ${entry.label}`);
      }
    } else {
      throw corrupt(`unknown data block type ${type} at byte ${start}`);
    }
    blocks++;
  }
  if (expected.size > 0) {
    const [first] = expected.values();
    throw new FormatError(
      `truncated: the archive ends before the data of ${expected.size} TOC entries (first: ${first!.label})`,
    );
  }
  return blocks;
}

async function skipChunks(fields: FieldReader, what: string): Promise<void> {
  for (;;) {
    const length = await fields.int(what);
    if (length === 0) return;
    if (length < 0) throw corrupt(`${what} has a chunk of length ${length}`);
    await fields.reader.skip(length, what);
  }
}

function corrupt(message: string): FormatError {
  return new FormatError(`corrupt archive: ${message}`);
}

/** pg_dump's field encodings over a ByteReader. */
class FieldReader {
  intSize = 4;
  offSize = 8;
  versionCode = 0;

  constructor(readonly reader: ByteReader) {}

  async int(what: string): Promise<number> {
    const sign = await this.reader.readByte(what);
    if (sign !== 0 && sign !== 1)
      throw corrupt(`bad integer sign byte ${sign} in ${what} at byte ${this.reader.position - 1}`);
    const bytes = await this.reader.readBytes(this.intSize, what);
    let value = 0;
    for (let index = bytes.length - 1; index >= 0; index--) value = value * 256 + bytes[index]!;
    return sign === 1 ? -value : value;
  }

  async str(what: string): Promise<string | null> {
    const length = await this.int(what);
    if (length === -1) return null;
    if (length < -1 || length > MAX_STRING_BYTES) throw corrupt(`string length ${length} in ${what}`);
    return (await this.reader.readBytes(length, what)).toString('utf8');
  }

  async oid(what: string): Promise<string> {
    const value = await this.str(what);
    if (value === null || !/^\d+$/.test(value)) throw corrupt(`${what} is '${String(value).slice(0, 40)}'`);
    return value;
  }

  async offset(what: string): Promise<{ state: DataState; offset: number }> {
    const flag = await this.reader.readByte(what);
    const state = OFFSET_STATES[flag];
    if (!state) throw corrupt(`unexpected data offset flag ${flag} in ${what}`);
    const bytes = await this.reader.readBytes(this.offSize, what);
    let offset = 0;
    for (let index = bytes.length - 1; index >= 0; index--) offset = offset * 256 + bytes[index]!;
    return { state, offset };
  }
}
