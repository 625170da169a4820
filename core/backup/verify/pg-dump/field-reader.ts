import { FormatError } from '../format-error';
import type { ByteReader } from './byte-reader';

/** A FormatError for bytes that break the archive layout. */
export function corrupt(message: string): FormatError {
  return new FormatError(`corrupt archive: ${message}`);
}

export type DataState = 'not-set' | 'set' | 'no-data';

const OFFSET_STATES: Record<number, DataState> = { 1: 'not-set', 2: 'set', 3: 'no-data' };

/** pg_dump's field encodings (pg_backup_archiver.c ReadInt, ReadStr, ReadOffset) over a ByteReader. */
export class FieldReader {
  intSize = 4;
  offSize = 8;
  versionCode = 0;

  constructor(readonly reader: ByteReader) {}

  /** A sign byte then `intSize` little-endian bytes. */
  async int(what: string): Promise<number> {
    const sign = await this.reader.readByte(what);
    if (sign !== 0 && sign !== 1)
      throw corrupt(`bad integer sign byte ${sign} in ${what} at byte ${this.reader.position - 1}`);
    const bytes = await this.reader.readBytes(this.intSize, what);
    let value = 0;
    for (let index = bytes.length - 1; index >= 0; index--) value = value * 256 + bytes[index]!;
    return sign === 1 ? -value : value;
  }

  /** An int length (-1 for NULL) then the bytes. */
  async str(what: string, maxBytes: number): Promise<string | null> {
    const length = await this.int(what);
    if (length === -1) return null;
    if (length < -1 || length > maxBytes) throw corrupt(`string length ${length} in ${what}`);
    return (await this.reader.readBytes(length, what)).toString('utf8');
  }

  /** A flag byte (DataState) then `offSize` little-endian bytes. */
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
