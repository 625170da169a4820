import { FormatError, UnverifiableError } from '../format-error';
import type { ByteReader } from './byte-reader';
import { corrupt, FieldReader } from './field-reader';
import {
  dataCompression,
  entryLabel,
  readHeader,
  readTocCount,
  readTocEntry,
  type DataCompression,
  type PgDumpHeader,
  type TocEntry,
} from './pg-dump-toc';
import { ZlibStreamCheck } from './zlib-stream-check';

export {
  SUPPORTED_ARCHIVE_VERSIONS,
  type DataState,
  type PgDumpHeader,
  type TocEntry,
  type TocSection,
} from './pg-dump-toc';

/**
 * A streaming reader of PostgreSQL custom-format archives (`pg_dump -Fc`) that reads what pg_restore reads: the
 * header and every TOC entry (pg-dump-toc.ts), then every data block, decompressed to its end as pg_restore's
 * ReadDataFromArchive does, following the block layout of pg_dump's pg_backup_custom.c:
 *   data blocks: type(1 = data, 3 = large objects) dumpId, then chunks (int length + bytes) ending with length 0
 *     (large objects: per object an oid then its chunks, ending with oid 0).
 * With compression, the chunks of a block (of each large object) form one zlib stream that must inflate without
 * error and reach its end. Each block must start where its TOC entry's offset says, when the offsets were written.
 * Bytes after the last expected block are counted, not read: pg_restore never reads them either.
 */

const BLOCK_DATA = 1;
const BLOCK_BLOBS = 3;

export interface PgDumpSummary {
  readonly header: PgDumpHeader;
  readonly tocEntries: number;
  readonly dataBlocks: number;
  /** Bytes of table data and large objects after decompression. */
  readonly dataBytes: number;
  /** Bytes after the last data block the TOC expects (another archive appended, say), ignored by pg_restore. */
  readonly trailingBytes: number;
}

interface ExpectedBlock {
  readonly offset?: number;
  readonly label: string;
}

/**
 * Reads a whole custom-format archive. `onEntry` sees every TOC entry as it is read (nothing else keeps them:
 * memory is bounded by one entry plus a small record per entry that has data). Throws FormatError for a file
 * that is not a custom-format archive, is corrupted or truncated anywhere, including in its compressed data;
 * UnverifiableError when the data is compressed with an algorithm this reader cannot inflate (lz4, zstd: the
 * framing is still walked to the end first, so a damaged frame is a FormatError).
 */
export async function readPgDumpArchive(
  reader: ByteReader,
  onEntry: (entry: TocEntry) => void = () => undefined,
): Promise<PgDumpSummary> {
  const fields = new FieldReader(reader);
  const header = await readHeader(fields, ['custom']);
  const count = await readTocCount(fields);
  // What the data walk must find: entries with data, by dump id.
  const expected = new Map<number, ExpectedBlock>();
  const seen = new Set<number>();
  for (let index = 0; index < count; index++) {
    const entry = await readTocEntry(fields, 'custom', index);
    if (seen.has(entry.dumpId)) throw corrupt(`TOC entry ${index} repeats dump id ${entry.dumpId}`);
    seen.add(entry.dumpId);
    if (entry.dataState !== 'no-data') {
      expected.set(entry.dumpId, {
        ...(entry.dataOffset !== undefined ? { offset: entry.dataOffset } : {}),
        label: entryLabel(entry),
      });
    }
    onEntry(entry);
  }
  const compression = dataCompression(header);
  const walk = await walkDataBlocks(fields, compression, expected, seen);
  if (typeof compression === 'object') {
    throw new UnverifiableError(
      `pg_dump ${header.archiveVersion} data is compressed with ${compression.unsupported}, which this verifier ` +
        `cannot decompress (supported: none, gzip); the archive's framing is whole (${walk.blocks} data blocks)`,
    );
  }
  return { header, tocEntries: count, dataBlocks: walk.blocks, ...walk };
}

async function walkDataBlocks(
  fields: FieldReader,
  compression: DataCompression,
  expected: Map<number, ExpectedBlock>,
  known: ReadonlySet<number>,
): Promise<{ blocks: number; dataBytes: number; trailingBytes: number }> {
  let blocks = 0;
  let dataBytes = 0;
  while (expected.size > 0) {
    const start = fields.reader.position;
    const type = await fields.reader.readByteOrEnd();
    if (type === undefined) break;
    const dumpId = await fields.int(`the dump id of the data block at byte ${start}`);
    const entry = expected.get(dumpId);
    if (!entry) {
      const why = known.has(dumpId) ? 'an entry without data or whose data was read already' : 'no TOC entry';
      throw corrupt(`the data block at byte ${start} names dump id ${dumpId}, ${why}`);
    }
    if (entry.offset !== undefined && entry.offset !== start) {
      throw corrupt(`the data of ${entry.label} is at byte ${start}, the TOC says ${entry.offset}`);
    }
    expected.delete(dumpId);
    if (type === BLOCK_DATA) {
      dataBytes += await readChunks(fields, compression, `the data of ${entry.label}`);
    } else if (type === BLOCK_BLOBS) {
      for (;;) {
        const oid = await fields.int(`a large object of ${entry.label}`);
        if (oid === 0) break;
        dataBytes += await readChunks(fields, compression, `large object ${oid} of ${entry.label}`);
      }
    } else {
      throw corrupt(`unknown data block type ${type} at byte ${start}`);
    }
    blocks++;
  }
  if (expected.size > 0) {
    const [first] = expected.values();
    throw new FormatError(
      `truncated: the archive ends at byte ${fields.reader.position} before the data of ${expected.size} TOC ` +
        `entries (first: ${first!.label})`,
    );
  }
  return { blocks, dataBytes, trailingBytes: await fields.reader.skipToEnd() };
}

/** One block's chunks up to the zero-length terminator; returns the data's size after decompression. */
async function readChunks(fields: FieldReader, compression: DataCompression, what: string): Promise<number> {
  const inflater = compression === 'zlib' ? new ZlibStreamCheck(what) : undefined;
  let bytes = 0;
  try {
    for (;;) {
      // Fast path: whole chunks already buffered are framed and handed on without a promise each (pg_dump writes
      // chunks of about 4 KiB: a 1 MiB read holds hundreds).
      const framed = frameBufferedChunks(fields, inflater);
      bytes += framed.bytes;
      if (framed.flush) await inflater!.flush();
      if (framed.ended) break;
      const length = await fields.int(what);
      if (length === 0) break;
      if (length < 0) throw corrupt(`${what} has a chunk of length ${length}`);
      bytes += length;
      if (inflater) await fields.reader.readSlices(length, what, (slice) => inflater.write(slice));
      else await fields.reader.skip(length, what);
    }
    if (!inflater) return bytes;
    if (bytes === 0) throw corrupt(`${what} has no compressed data (an empty zlib stream)`);
    return await inflater.end();
  } finally {
    inflater?.destroy();
  }
}

/**
 * Frames the chunks wholly inside the reader's buffered bytes: a chunk's int length, then its bytes (added to the
 * inflater, or skipped). Stops at the terminator (`ended`), at a chunk not wholly buffered, or when the inflater's
 * batch is full (`flush`). Leaves bad lengths to the async path, which reports them.
 */
function frameBufferedChunks(
  fields: FieldReader,
  inflater: ZlibStreamCheck | undefined,
): { bytes: number; ended: boolean; flush: boolean } {
  const reader = fields.reader;
  const intSize = fields.intSize;
  let bytes = 0;
  for (;;) {
    const buffered = reader.buffered();
    if (buffered.length < 1 + intSize) return { bytes, ended: false, flush: false };
    const sign = buffered[0]!;
    if (sign !== 0) return { bytes, ended: false, flush: false };
    let length = 0;
    for (let index = intSize; index >= 1; index--) length = length * 256 + buffered[index]!;
    if (length === 0) {
      reader.advance(1 + intSize);
      return { bytes, ended: true, flush: false };
    }
    if (buffered.length < 1 + intSize + length) return { bytes, ended: false, flush: false };
    const data = buffered.subarray(1 + intSize, 1 + intSize + length);
    reader.advance(1 + intSize + length);
    bytes += length;
    if (inflater?.add(data)) return { bytes, ended: false, flush: true };
  }
}
