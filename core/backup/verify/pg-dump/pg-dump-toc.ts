import { FormatError } from '../format-error';
import { corrupt, type DataState, type FieldReader } from './field-reader';

/**
 * The header and table of contents shared by pg_dump's archive formats (ReadHead / ReadToc of pg_dump's
 * pg_backup_archiver.c): a custom-format file (`pg_dump -Fc`) starts with them, a tar (`-Ft`) or directory (`-Fd`)
 * archive keeps them in `toc.dat`. Each entry ends with its format's extra field: custom, the data block's offset;
 * tar and directory, the name of the file holding its data (empty without data).
 *
 * Supported archive versions: 1.12 (PostgreSQL 9.6+/10/11) to 1.16 (PostgreSQL 17):
 * - 1.14 (PostgreSQL 12) adds each entry's table access method;
 * - 1.15 (PostgreSQL 16) replaces the compression level (an int) with a compression algorithm (a byte);
 * - 1.16 (PostgreSQL 17) adds each entry's relkind (an int).
 * Anything older or newer is reported as unsupported rather than guessed at.
 *
 * Layout (ints are a sign byte then `intSize` little-endian bytes; strings an int length, -1 for NULL, then the
 * bytes; offsets a flag byte then `offSize` little-endian bytes):
 *   "PGDMP" vmaj vmin vrev intSize offSize format compression time(7 ints) dbname serverVer dumpVer
 *   tocCount, then per entry: dumpId hadDumper tableoid oid tag desc section defn dropStmt copyStmt namespace
 *     tablespace [tableam] [relkind] owner withOids deps... NULL, then dataOffset (custom) or filename (tar, dir)
 */

export const SUPPORTED_ARCHIVE_VERSIONS = { min: [1, 12], max: [1, 16] } as const;

const MAGIC = 'PGDMP';
export type ArchiveFormat = 'custom' | 'tar' | 'directory';
const FORMATS: Record<number, ArchiveFormat> = { 1: 'custom', 3: 'tar', 5: 'directory' };
const COMPRESSION_ALGORITHMS: Record<number, string> = { 0: 'none', 1: 'gzip', 2: 'lz4', 3: 'zstd' };
const SECTIONS: Record<number, TocSection> = { 1: 'none', 2: 'pre-data', 3: 'data', 4: 'post-data' };
/** Longest string field accepted (a function body, a view definition); anything longer is a corrupt length. */
const MAX_STRING_BYTES = 256 * 1024 * 1024;
const MAX_TOC_ENTRIES = 50_000_000;

export type TocSection = 'none' | 'pre-data' | 'data' | 'post-data';
export type { DataState };

export interface PgDumpHeader {
  /** `major.minor-rev`, as `pg_restore --list` prints it (e.g. `1.14-0`). */
  readonly archiveVersion: string;
  readonly intSize: number;
  readonly offSize: number;
  readonly format: ArchiveFormat;
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
  /** Custom format: whether the entry has data and its offset is known. Tar and directory: `set` with a file name. */
  readonly dataState: DataState;
  /** Custom format: byte offset of the entry's data block, when `dataState` is `set`. */
  readonly dataOffset?: number;
  /** Tar and directory formats: the file holding the entry's data (`3383.dat`, `blobs.toc`). */
  readonly dataFile?: string;
}

/** What compressing the data blocks (or files) means for a reader: none, zlib, or an algorithm not read here. */
export type DataCompression = 'none' | 'zlib' | { readonly unsupported: string };

/** How the data of an archive with this header is compressed. */
export function dataCompression(header: PgDumpHeader): DataCompression {
  const { compression } = header;
  if (compression === 'none' || compression === '0') return 'none';
  if (compression === 'gzip' || /^-?\d+$/.test(compression)) return 'zlib';
  return { unsupported: compression };
}

/** A short label of an entry for messages: `dumpId desc namespace tag`. */
export function entryLabel(entry: TocEntry): string {
  return `${entry.dumpId} ${entry.desc} ${entry.namespace ?? '-'} ${entry.tag}`;
}

/** Reads the header; throws FormatError when it is not a supported archive of one of `formats`. */
export async function readHeader(
  fields: FieldReader,
  formats: readonly ArchiveFormat[],
): Promise<PgDumpHeader> {
  const magic = (await fields.reader.readBytes(MAGIC.length, 'the PGDMP magic')).toString('latin1');
  if (magic !== MAGIC) throw new FormatError('not a PostgreSQL archive: no PGDMP magic at the start');
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
  const formatCode = await fields.reader.readByte('the archive format');
  const format = FORMATS[formatCode];
  if (!format || !formats.includes(format)) {
    throw new FormatError(
      `expected a ${formats.join(' or ')} archive, found archive format ${format ?? formatCode}`,
    );
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
  const time: number[] = [];
  for (let index = 0; index < 7; index++) time.push(await fields.int('the creation time'));
  const [sec, min, hour, mday, mon, year] = time as [number, number, number, number, number, number];
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
    format,
    compression,
    createdAt,
    database: (await fields.str('the database name', MAX_STRING_BYTES)) ?? '',
    serverVersion: (await fields.str('the server version', MAX_STRING_BYTES)) ?? '',
    pgDumpVersion: (await fields.str('the pg_dump version', MAX_STRING_BYTES)) ?? '',
  };
}

/** The TOC entry count that follows the header. */
export async function readTocCount(fields: FieldReader): Promise<number> {
  const count = await fields.int('the TOC entry count');
  if (count < 0 || count > MAX_TOC_ENTRIES) throw corrupt(`TOC entry count ${count} is out of range`);
  return count;
}

/** One TOC entry, with its format's extra field. */
export async function readTocEntry(
  fields: FieldReader,
  format: ArchiveFormat,
  index: number,
): Promise<TocEntry> {
  const code = fields.versionCode;
  const where = `TOC entry ${index}`;
  const str = (what: string): Promise<string | null> => fields.str(`${where} (${what})`, MAX_STRING_BYTES);
  const dumpId = await fields.int(`the dump id of ${where}`);
  if (dumpId <= 0) throw corrupt(`${where} has dump id ${dumpId}`);
  const hadDumper = await fields.int(`${where} (had dumper)`);
  if (hadDumper !== 0 && hadDumper !== 1) throw corrupt(`${where} has had-dumper ${hadDumper}`);
  const tableOid = oidOf(await str('table oid'), `${where} (table oid)`);
  const oid = oidOf(await str('oid'), `${where} (oid)`);
  const tag = await str('tag');
  const desc = await str('desc');
  if (tag === null || desc === null || desc === '') throw corrupt(`${where} has no tag or description`);
  const sectionCode = await fields.int(`${where} (section)`);
  const section = SECTIONS[sectionCode];
  if (!section) throw corrupt(`${where} (${desc} ${tag}) has section ${sectionCode}`);
  const defn = await str('definition');
  const dropStmt = await str('drop statement');
  const copyStmt = await str('copy statement');
  const namespace = await str('namespace');
  const tablespace = await str('tablespace');
  const tableAccessMethod = code >= 1 * 256 + 14 ? await str('table access method') : null;
  const relkind = code >= 1 * 256 + 16 ? await fields.int(`${where} (relkind)`) : null;
  const owner = await str('owner');
  const withOids = await str('with oids');
  if (withOids !== 'true' && withOids !== 'false') throw corrupt(`${where} has with-oids '${withOids}'`);
  const dependencies: number[] = [];
  for (;;) {
    const dependency = await str('dependencies');
    if (dependency === null) break;
    if (!/^\d+$/.test(dependency)) throw corrupt(`${where} has dependency '${dependency.slice(0, 40)}'`);
    dependencies.push(Number(dependency));
  }
  const common = {
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
  };
  if (format === 'custom') {
    const { state, offset } = await fields.offset(`${where} (data offset)`);
    return { ...common, dataState: state, ...(state === 'set' ? { dataOffset: offset } : {}) };
  }
  const file = await str('data file name');
  if (file !== null && file !== '' && !/^[A-Za-z0-9_.]+$/.test(file)) {
    throw corrupt(`${where} names data file '${file.slice(0, 40)}'`);
  }
  return file === null || file === ''
    ? { ...common, dataState: 'no-data' }
    : { ...common, dataState: 'set', dataFile: file };
}

function oidOf(value: string | null, what: string): string {
  if (value === null || !/^\d+$/.test(value)) throw corrupt(`${what} is '${String(value).slice(0, 40)}'`);
  return value;
}
