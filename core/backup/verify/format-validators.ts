import { Readable, Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';

/**
 * Output size of each decompression step. zlib's default (16 KiB) spends most of a large archive's check in
 * per-chunk overhead; 256 KiB measured 4x faster on 256 MiB (bench/backup-verify.ts).
 */
export const GUNZIP_CHUNK_BYTES = 256 * 1024;

import { extract } from 'tar-stream';

import type { BackupSourceConfig } from '../backup-source';
import { FormatError } from './format-error';
import { checkPgDump, type PgDumpForm } from './pg-dump/pg-dump-formats';
import { isListedByRestore, restoreListLine } from './pg-dump/restore-listing';
import type { ContentSummary } from './verification-report';
import { describeError } from './error-message';

/** What a format check found in content that is whole. */
export interface FormatOutcome {
  readonly detail: string;
  readonly summary: ContentSummary;
}

/**
 * Checks the original bytes of a backup against its format, reading them to the end. Throws FormatError when the
 * content is not a whole archive of that format, UnverifiableError when it is content the check cannot open; any
 * other error (reading, decrypting) passes through unchanged.
 */
export type FormatValidator = (content: AsyncIterable<Uint8Array>) => Promise<FormatOutcome>;

/** How many TOC entries of a dump the report shows. */
export const PG_DUMP_SAMPLE_ENTRIES = 5;

export const FORMAT_VALIDATORS: Record<Exclude<BackupSourceConfig['format'], 'raw'>, FormatValidator> = {
  gzip: validateGzip,
  'tar-gz': validateTarGz,
  'pg-dump': validatePgDump,
};

/** Every gzip member decompresses to its end and its CRC-32 and length trailer match (zlib checks them). */
export async function validateGzip(content: AsyncIterable<Uint8Array>): Promise<FormatOutcome> {
  let compressed = 0;
  let uncompressed = 0;
  const gunzip = createGunzip({ chunkSize: GUNZIP_CHUNK_BYTES });
  try {
    await pipeline(
      Readable.from(counting(content, (length) => (compressed += length))),
      gunzip,
      new Writable({
        write(chunk: Buffer, _encoding, callback) {
          uncompressed += chunk.length;
          callback();
        },
      }),
    );
  } catch (error) {
    throw asFormatError(error, 'gzip');
  }
  return gzipOutcome(compressed, uncompressed);
}

/**
 * The gzip check's verdict when the inflating happened elsewhere (OffThreadSha256 with `gunzipChunkBytes`):
 * `inflateError` is zlib's error, if any. Same messages as validateGzip; throws FormatError the same way.
 */
export function gzipOutcome(
  compressed: number,
  uncompressed: number,
  inflateError?: { readonly message: string; readonly code: string },
): FormatOutcome {
  if (inflateError) throw new FormatError(`gzip: ${inflateError.message} (${inflateError.code})`);
  if (compressed === 0) throw new FormatError('gzip: the file is empty');
  return {
    detail: `gzip: ${compressed} bytes decompress to ${uncompressed} bytes`,
    summary: { uncompressedBytes: uncompressed },
  };
}

/** A tar archive ends with two 512-byte blocks of zeros (POSIX ustar); GNU tar and bsdtar always write them. */
const TAR_END_OF_ARCHIVE_BYTES = 1024;

/**
 * The gzip decompresses to its end, the tar inside it is walked entry by entry to its end, and it closes with the
 * end-of-archive marker: an archive cut at an entry boundary (whose gzip was written whole, e.g. by a tar process
 * that died while gzip flushed) would otherwise pass, and restores would silently miss the rest.
 */
export async function validateTarGz(content: AsyncIterable<Uint8Array>): Promise<FormatOutcome> {
  let compressed = 0;
  let uncompressed = 0;
  let entries = 0;
  let tarFailure: unknown;
  const gunzip = createGunzip({ chunkSize: GUNZIP_CHUNK_BYTES });
  const tar = extract();
  tar.on('entry', (_header, stream, next) => {
    entries++;
    stream.on('data', (chunk: unknown) => {
      uncompressed += (chunk as Uint8Array).length;
    });
    stream.on('end', next);
    // An entry cut short fails with the archive; the pipeline reports that error, the entry's copy is not needed.
    stream.on('error', () => undefined);
    stream.resume();
  });
  tar.on('error', (error) => (tarFailure ??= error));
  const tail = new TailKeeper(TAR_END_OF_ARCHIVE_BYTES);
  try {
    await pipeline(Readable.from(counting(content, (length) => (compressed += length))), gunzip, tail, tar);
  } catch (error) {
    if (isZlibError(error)) throw asFormatError(error, 'tar.gz (gzip)');
    if (error === tarFailure && !isPassThrough(error)) {
      throw new FormatError(`tar.gz (tar): ${describeError(error)}`, { cause: error });
    }
    throw error;
  }
  if (compressed === 0) throw new FormatError('tar.gz: the file is empty');
  if (!tail.isAllZero()) {
    throw new FormatError(
      `tar.gz (tar): no end-of-archive marker after ${entries} entries (two zero blocks expected): ` +
        'the archive was cut short at an entry boundary',
    );
  }
  return {
    detail: `tar.gz: ${entries} entries, ${uncompressed} bytes of file data`,
    summary: { entries, uncompressedBytes: uncompressed },
  };
}

/**
 * A pg-dump source's backup, checked the way its restore reads it (pg-dump/pg-dump-formats.ts): a custom-format
 * archive with every data block decompressed to its end, a tar- or directory-format archive (as tar or tar.gz) with
 * toc.dat and every data file present and whole, or a plain SQL dump (.sql, .sql.gz) ending with pg_dump's
 * completion comment. Throws FormatError for damage, UnverifiableError for content it cannot open (another kind of
 * file, lz4 or zstd data).
 */
export async function validatePgDump(content: AsyncIterable<Uint8Array>): Promise<FormatOutcome> {
  const sample: string[] = [];
  const dump = await checkPgDump(content, (entry) => {
    if (sample.length < PG_DUMP_SAMPLE_ENTRIES && isListedByRestore(entry))
      sample.push(restoreListLine(entry));
  });
  const { header } = dump;
  const form = `${FORM_NAMES[dump.form]}${dump.gzipped ? ', gzipped' : ''}`;
  const units = dump.form === 'custom' ? 'data blocks' : dump.form === 'plain' ? 'COPY blocks' : 'data files';
  const trailing = dump.trailingBytes
    ? `; ${dump.trailingBytes} bytes after the last data block, which pg_restore does not read`
    : '';
  const detail = header
    ? `pg_dump ${header.archiveVersion} ${form} of '${header.database}' (PostgreSQL ${header.serverVersion}): ` +
      `${dump.tocEntries} TOC entries, ${dump.dataUnits} ${units} (${dump.dataBytes} bytes decompressed)${trailing}`
    : `pg_dump ${form}: ${dump.dataBytes} bytes, ${dump.dataUnits} ${units}, ends with the completion comment`;
  return {
    detail,
    summary: {
      ...(dump.tocEntries !== undefined ? { entries: dump.tocEntries } : {}),
      uncompressedBytes: dump.dataBytes,
      pgDump: {
        form: dump.form,
        gzipped: dump.gzipped,
        ...(header
          ? {
              archiveVersion: header.archiveVersion,
              database: header.database,
              createdAt: header.createdAt,
              compression: header.compression,
              serverVersion: header.serverVersion,
              pgDumpVersion: header.pgDumpVersion,
            }
          : {}),
        dataBlocks: dump.dataUnits,
        ...(dump.trailingBytes ? { trailingBytes: dump.trailingBytes } : {}),
        sample,
      },
    },
  };
}

const FORM_NAMES: Record<PgDumpForm, string> = {
  custom: 'custom format',
  tar: 'tar format',
  directory: 'directory format (as tar)',
  plain: 'plain SQL',
};

/** Passes bytes through unchanged and keeps the last `size` of them. */
class TailKeeper extends Transform {
  private readonly tail: Buffer;
  private filled = 0;

  constructor(private readonly size: number) {
    super();
    this.tail = Buffer.alloc(size);
  }

  override _transform(
    chunk: Buffer,
    _encoding: BufferEncoding,
    callback: (error?: Error | null) => void,
  ): void {
    if (chunk.length >= this.size) {
      chunk.copy(this.tail, 0, chunk.length - this.size);
      this.filled = this.size;
    } else {
      const keep = Math.min(this.filled, this.size - chunk.length);
      this.tail.copy(this.tail, 0, this.filled - keep, this.filled);
      chunk.copy(this.tail, keep);
      this.filled = keep + chunk.length;
    }
    this.push(chunk);
    callback();
  }

  /** Whether at least `size` bytes went through and the last `size` of them are all zero. */
  isAllZero(): boolean {
    return this.filled === this.size && this.tail.every((byte) => byte === 0);
  }
}

async function* counting(
  content: AsyncIterable<Uint8Array>,
  count: (length: number) => void,
): AsyncGenerator<Uint8Array> {
  for await (const chunk of content) {
    count(chunk.length);
    yield chunk;
  }
}

/**
 * Errors zlib raises for bad input: Z_DATA_ERROR (corrupt), Z_BUF_ERROR (unexpected end of file), ... Checked by
 * shape, not `instanceof Error`: Node's internal errors come from another realm under test runners' sandboxes.
 */
function isZlibError(error: unknown): error is { code: string; message: string; name: string } {
  if (typeof error !== 'object' || error === null) return false;
  const { code, message } = error as { code?: unknown; message?: unknown };
  return typeof code === 'string' && code.startsWith('Z_') && typeof message === 'string';
}

/** Errors that come from upstream of the decoder (reading, decrypting) and must keep their identity. */
function isPassThrough(error: unknown): boolean {
  const name = typeof error === 'object' && error !== null ? (error as { name?: unknown }).name : undefined;
  return name === 'ObjectReadError' || name === 'DecryptionError';
}

function asFormatError(error: unknown, what: string): unknown {
  if (isZlibError(error) && !isPassThrough(error)) {
    return new FormatError(`${what}: ${error.message} (${error.code})`, { cause: error });
  }
  return error;
}
