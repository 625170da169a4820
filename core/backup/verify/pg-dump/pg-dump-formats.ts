import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';

import { FormatError, UnverifiableError } from '../format-error';
import { ByteReader } from './byte-reader';
import { readPgDumpArchive } from './pg-dump-archive';
import { readPgDumpTar } from './pg-dump-tar';
import type { PgDumpHeader, TocEntry } from './pg-dump-toc';
import { looksLikePlainDump, readPlainSqlDump } from './plain-sql';

/**
 * The forms a pg-dump source's backup may take, told apart by their first bytes, each checked as its restore reads
 * it: custom format (`PGDMP`, format 1), tar format or directory format packed as tar (a ustar header, toc.dat
 * inside), plain SQL (pg_dump's banner), and any of these gzip-compressed. Anything else cannot be checked:
 * UnverifiableError.
 */
export type PgDumpForm = 'custom' | 'tar' | 'directory' | 'plain';

export interface PgDumpCheck {
  readonly form: PgDumpForm;
  /** The whole file was gzip-compressed around the dump (`.sql.gz`, `.tar.gz`). */
  readonly gzipped: boolean;
  /** Archive header (not for plain SQL). */
  readonly header?: PgDumpHeader;
  readonly tocEntries?: number;
  /** Custom format: data blocks; tar/directory: data files; plain: COPY blocks. */
  readonly dataUnits: number;
  /** Table data and large objects after decompression (plain: the SQL's size). */
  readonly dataBytes: number;
  /** Custom format: bytes after the last data block the TOC expects (ignored by pg_restore). */
  readonly trailingBytes?: number;
}

const GZIP_MAGIC = [0x1f, 0x8b];
const PGDMP = Buffer.from('PGDMP', 'latin1');
const USTAR = Buffer.from('ustar', 'latin1');
const USTAR_OFFSET = 257;
/** Enough of the start to tell the forms apart: a tar header block. */
const HEAD_BYTES = 512;

/** Checks a pg-dump source's backup in whichever form it is; throws FormatError or UnverifiableError. */
export async function checkPgDump(
  content: AsyncIterable<Uint8Array>,
  onEntry: (entry: TocEntry) => void = () => undefined,
  gzipped = false,
): Promise<PgDumpCheck> {
  const { head, rest } = await peek(content, HEAD_BYTES);
  if (head.length === 0) throw new FormatError(`${gzipped ? 'gzip: decompresses to' : 'the file is'} empty`);
  if (startsWith(head, GZIP_MAGIC)) {
    if (gzipped) throw new UnverifiableError('a gzip inside a gzip: not a form pg_dump writes');
    return checkPgDump(gunzipped(rest), onEntry, true);
  }
  if (startsWith(head, [...PGDMP])) {
    const format = head[10];
    if (head.length > 10 && format !== 1) {
      throw new FormatError(
        `a PGDMP file of archive format ${format} (a tar or directory archive's toc.dat alone, without its data)`,
      );
    }
    const archive = await readPgDumpArchive(new ByteReader(rest[Symbol.asyncIterator]()), onEntry);
    return {
      form: 'custom',
      gzipped,
      header: archive.header,
      tocEntries: archive.tocEntries,
      dataUnits: archive.dataBlocks,
      dataBytes: archive.dataBytes,
      trailingBytes: archive.trailingBytes,
    };
  }
  if (head.length > USTAR_OFFSET + USTAR.length && head.subarray(USTAR_OFFSET).subarray(0, 5).equals(USTAR)) {
    const tar = await readPgDumpTar(rest, onEntry);
    return {
      form: tar.form,
      gzipped,
      header: tar.header,
      tocEntries: tar.tocEntries,
      dataUnits: tar.dataFiles,
      dataBytes: tar.dataBytes,
    };
  }
  if (looksLikePlainDump(head)) {
    const plain = await readPlainSqlDump(rest);
    return { form: 'plain', gzipped, dataUnits: plain.copyBlocks, dataBytes: plain.bytes };
  }
  if (head.length < PGDMP.length && startsWith(PGDMP, [...head])) {
    throw new FormatError(`truncated: the file ends after ${head.length} bytes, inside the PGDMP magic`);
  }
  throw new UnverifiableError(
    `not a pg_dump output this verifier reads (custom, tar, directory packed as tar, plain SQL, or those gzipped); ` +
      `it starts with ${describeStart(head)}`,
  );
}

function describeStart(head: Buffer): string {
  const printable = head.subarray(0, 8).every((byte) => byte >= 0x20 && byte < 0x7f);
  return printable ? `'${head.toString('latin1', 0, 8)}'` : `bytes ${head.subarray(0, 8).toString('hex')}`;
}

function startsWith(bytes: Uint8Array, prefix: readonly number[]): boolean {
  return bytes.length >= prefix.length && prefix.every((byte, index) => bytes[index] === byte);
}

/** The first `size` bytes (fewer at the end), and every byte again from the start. */
async function peek(
  content: AsyncIterable<Uint8Array>,
  size: number,
): Promise<{ head: Buffer; rest: AsyncIterable<Uint8Array> }> {
  const iterator = content[Symbol.asyncIterator]();
  const taken: Uint8Array[] = [];
  let length = 0;
  let done = false;
  while (length < size) {
    const next = await iterator.next();
    if (next.done) {
      done = true;
      break;
    }
    taken.push(next.value);
    length += next.value.length;
  }
  const head = Buffer.concat(taken, length).subarray(0, size);
  async function* rest(): AsyncGenerator<Uint8Array> {
    yield* taken;
    if (done) return;
    for (;;) {
      const next = await iterator.next();
      if (next.done) return;
      yield next.value;
    }
  }
  return { head, rest: rest() };
}

/** The inflated bytes of a gzip; zlib's errors become FormatError. */
async function* gunzipped(content: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  const gunzip = createGunzip({ chunkSize: 256 * 1024 });
  // A read error upstream destroys the gunzip with that error, which the loop below rethrows.
  pipeline(Readable.from(content), gunzip).catch(() => undefined);
  try {
    for await (const chunk of gunzip) yield chunk as Uint8Array;
  } catch (error) {
    const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
    if (typeof code === 'string' && code.startsWith('Z_')) {
      throw new FormatError(`gzip: ${String(message)} (${code})`, { cause: error });
    }
    throw error;
  } finally {
    gunzip.destroy();
  }
}
