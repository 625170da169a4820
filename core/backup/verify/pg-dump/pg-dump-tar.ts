import { posix } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';

import { extract } from 'tar-stream';

import { FormatError, UnverifiableError } from '../format-error';
import { ByteReader } from './byte-reader';
import { corrupt, FieldReader } from './field-reader';
import {
  dataCompression,
  entryLabel,
  readHeader,
  readTocCount,
  readTocEntry,
  type PgDumpHeader,
  type TocEntry,
} from './pg-dump-toc';

/**
 * pg_dump's tar format (`pg_dump -Ft`) and its directory format (`pg_dump -Fd`) packed into a tar (or tar.gz):
 * one directory holding `toc.dat` (pg-dump-toc.ts: header and TOC, each entry naming its data file), one file per
 * entry with data (`3383.dat`, or `3383.dat.gz` when compressed), `blobs.toc` listing large objects as
 * `oid blob_<oid>.dat` lines with their files, and for -Ft a `restore.sql`. Every member is read through the tar
 * framing (a member cut short fails), every `.gz` member is inflated to its end (CRC and length checked), and
 * every file the TOC and blobs.toc name must be there.
 */

/** Largest toc.dat or blobs.toc read into memory (a schema of hundreds of thousands of objects stays far below). */
const MAX_TOC_BYTES = 64 * 1024 * 1024;
const GUNZIP_CHUNK_BYTES = 256 * 1024;
const TAR_BLOCK = 512;

export interface PgDumpTarSummary {
  readonly header: PgDumpHeader;
  /** `pg_dump -Ft` (with restore.sql) or `pg_dump -Fd` packed as tar. */
  readonly form: 'tar' | 'directory';
  readonly tocEntries: number;
  /** Data files checked (tables and large objects). */
  readonly dataFiles: number;
  /** Bytes of those files after decompression. */
  readonly dataBytes: number;
}

/** Checks a tar stream holding a tar- or directory-format archive; throws FormatError naming what is wrong. */
export async function readPgDumpTar(
  tarBytes: AsyncIterable<Uint8Array>,
  onEntry: (entry: TocEntry) => void = () => undefined,
): Promise<PgDumpTarSummary> {
  const files = new Map<string, number>(); // member name (without directory) -> bytes after decompression
  let toc: { header: PgDumpHeader; entries: TocEntry[] } | undefined;
  let blobs: string[] = [];
  let directory: string | undefined;
  let dataEnd = 0; // where the last member's data (padded to a block) ends
  let ended = false;
  const tar = extract();
  const walk = (async () => {
    for await (const member of tar) {
      const { header } = member;
      // tar-stream skips zero blocks; a gap of two or more blocks before a header is tar's end-of-archive marker,
      // after which tar and pg_restore read nothing (another archive appended, say).
      ended ||= member.offset >= dataEnd + 2 * TAR_BLOCK;
      const byteOffset = (header as { byteOffset?: number }).byteOffset ?? member.offset + TAR_BLOCK;
      dataEnd = byteOffset + Math.ceil((header.size ?? 0) / TAR_BLOCK) * TAR_BLOCK;
      if (ended || header.type === 'directory') {
        member.resume();
        continue;
      }
      const name = posix.basename(header.name);
      const dir = posix.dirname(posix.normalize(header.name));
      if (directory === undefined) directory = dir;
      else if (dir !== directory) {
        throw new FormatError(
          `pg_dump tar: '${header.name}' is outside the archive's directory '${directory}'`,
        );
      }
      if (header.type !== 'file')
        throw new FormatError(`pg_dump tar: '${header.name}' is not a regular file`);
      if (files.has(name)) throw new FormatError(`pg_dump tar: '${name}' appears twice`);
      if (name === 'toc.dat') {
        toc = await parseToc(await collect(member, name), onEntry);
        files.set(name, header.size ?? 0);
      } else if (name === 'blobs.toc') {
        blobs = parseBlobsToc((await collect(member, name)).toString('utf8'));
        files.set(name, header.size ?? 0);
      } else {
        files.set(name, await measure(member, name));
      }
    }
  })().catch((error: unknown) => {
    tar.destroy();
    throw error;
  });
  try {
    await Promise.all([pipeline(Readable.from(tarBytes), tar), walk]);
  } catch (error) {
    await walk.catch(() => undefined);
    tar.destroy();
    if (error instanceof FormatError || error instanceof UnverifiableError) throw error;
    const message = (error as { message?: unknown } | null)?.message;
    const name = (error as { name?: unknown } | null)?.name;
    if (typeof message === 'string' && name === 'Error') {
      // tar-stream's own errors: a header that does not parse, an archive that ends inside a member.
      throw new FormatError(`pg_dump tar: ${message}`, { cause: error });
    }
    throw error;
  }
  if (!toc) throw new FormatError('pg_dump tar: no toc.dat (not a tar- or directory-format archive)');
  return summarize(toc, files, blobs);
}

function summarize(
  toc: { header: PgDumpHeader; entries: TocEntry[] },
  files: ReadonlyMap<string, number>,
  blobs: readonly string[],
): PgDumpTarSummary {
  const compression = dataCompression(toc.header);
  if (typeof compression === 'object') {
    throw new UnverifiableError(
      `pg_dump ${toc.header.archiveVersion} data is compressed with ${compression.unsupported}, which this ` +
        'verifier cannot decompress (supported: none, gzip)',
    );
  }
  let dataFiles = 0;
  let dataBytes = 0;
  const need = (file: string, what: string): void => {
    const size = files.get(file) ?? files.get(`${file}.gz`);
    if (size === undefined) throw new FormatError(`pg_dump tar: ${what} is missing (${file})`);
    dataFiles++;
    dataBytes += size;
  };
  for (const entry of toc.entries) {
    if (entry.dataFile === undefined) continue;
    // Large objects: their entry names blobs.toc (directory format) or NNNN.dat (tar format, which still writes
    // blobs.toc: pg_backup_tar.c _StartBlobs).
    if (entry.dataFile === 'blobs.toc' || entry.desc === 'BLOBS') {
      if (!files.has('blobs.toc'))
        throw new FormatError(`pg_dump tar: blobs.toc of ${entryLabel(entry)} is missing`);
      for (const blob of blobs) need(blob, `a large object file named in blobs.toc`);
    } else {
      need(entry.dataFile, `the data of ${entryLabel(entry)}`);
    }
  }
  // pg_dump -Ft writes a restore.sql beside the data; -Fd does not (both write format 3 into toc.dat).
  const form = files.has('restore.sql') ? 'tar' : 'directory';
  return { header: toc.header, form, tocEntries: toc.entries.length, dataFiles, dataBytes };
}

async function parseToc(
  bytes: Buffer,
  onEntry: (entry: TocEntry) => void,
): Promise<{ header: PgDumpHeader; entries: TocEntry[] }> {
  async function* once(): AsyncGenerator<Uint8Array> {
    yield bytes;
  }
  const fields = new FieldReader(new ByteReader(once()));
  const header = await readHeader(fields, ['tar', 'directory']);
  const count = await readTocCount(fields);
  const entries: TocEntry[] = [];
  const seen = new Set<number>();
  for (let index = 0; index < count; index++) {
    const entry = await readTocEntry(fields, header.format, index);
    if (seen.has(entry.dumpId)) throw corrupt(`TOC entry ${index} repeats dump id ${entry.dumpId}`);
    seen.add(entry.dumpId);
    entries.push(entry);
    onEntry(entry);
  }
  return { header, entries };
}

/** blobs.toc: one `oid filename` line per large object. */
function parseBlobsToc(text: string): string[] {
  const files: string[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const match = /^(\d+) (blob_\d+\.dat)$/.exec(line);
    if (!match) throw corrupt(`blobs.toc has the line '${line.slice(0, 60)}'`);
    files.push(match[2]!);
  }
  return files;
}

async function collect(member: AsyncIterable<unknown>, name: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of member) {
    length += (chunk as Buffer).length;
    if (length > MAX_TOC_BYTES)
      throw new FormatError(`pg_dump tar: ${name} is larger than ${MAX_TOC_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks, length);
}

/** Reads a member to its end (inflating a `.gz` one); returns its size after decompression. */
async function measure(member: AsyncIterable<unknown>, name: string): Promise<number> {
  let bytes = 0;
  const count = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      bytes += chunk.length;
      callback();
    },
  });
  if (!name.endsWith('.gz')) {
    for await (const chunk of member) bytes += (chunk as Buffer).length;
    return bytes;
  }
  try {
    await pipeline(Readable.from(member), createGunzip({ chunkSize: GUNZIP_CHUNK_BYTES }), count);
  } catch (error) {
    const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
    if (typeof code === 'string' && code.startsWith('Z_')) {
      throw new FormatError(`pg_dump tar: ${name} does not decompress: ${String(message)} (${code})`, {
        cause: error,
      });
    }
    throw error;
  }
  return bytes;
}
