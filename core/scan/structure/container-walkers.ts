import { isFourCC, RecordWalker } from './record-walker';

/** RIFF (WAV, WebP): the RIFF size covers the file exactly, and chunks (padded to even sizes) tile it. */
export class RiffWalker extends RecordWalker {
  private riffEnd = 0;

  protected start(): void {
    this.read(12, 'RIFF header', (header) => {
      if (header.toString('latin1', 0, 4) !== 'RIFF') return this.fail('RIFF header missing');
      this.riffEnd = 8 + header.readUInt32LE(4);
      this.chunk();
    });
  }

  protected endAtBoundary(): void {
    this.fail(`${this.format} is truncated: the RIFF size says ${this.riffEnd} bytes`);
  }

  private chunk(): void {
    const start = this.offset;
    if (start === this.riffEnd) return this.finished();
    this.read(8, `chunk header at byte offset ${start}`, (header) => {
      if (!isFourCC(header, 0)) return this.fail(`no RIFF chunk at byte offset ${start}`);
      const size = header.readUInt32LE(4);
      const id = header.toString('latin1', 0, 4);
      const end = start + 8 + size;
      // The pad byte after an odd-sized chunk may be missing at the very end of the RIFF.
      const padded = end + (size % 2 === 1 && end !== this.riffEnd ? 1 : 0);
      if (padded > this.riffEnd) {
        return this.fail(
          `RIFF chunk '${id}' at byte offset ${start} ends after the RIFF size ${this.riffEnd}`,
        );
      }
      this.skip(padded - start - 8, `chunk '${id}' at byte offset ${start}`, () => this.chunk());
    });
  }
}

/** MP4 / ISO-BMFF: top-level boxes (32-bit, 64-bit or to-end-of-file sizes) tile the file. */
export class Mp4Walker extends RecordWalker {
  private boxes = 0;

  protected start(): void {
    this.box();
  }

  protected endAtBoundary(): void {
    if (this.boxes === 0) this.fail('MP4 has no box');
  }

  protected override endScan(): void {
    // A box of size 0 extends to the end of the file: nothing to check.
  }

  private box(): void {
    const start = this.offset;
    this.read(
      8,
      `box at byte offset ${start}`,
      (header) => {
        const size = header.readUInt32BE(0);
        if (!isFourCC(header, 4)) return this.fail(`data after the last MP4 box at byte offset ${start}`);
        const type = header.toString('latin1', 4, 8);
        this.boxes += 1;
        if (size === 0) return this.scan(`box '${type}' to the end of the file`);
        if (size === 1) {
          return this.read(8, `box '${type}' at byte offset ${start}`, (large) => {
            const big = Number(large.readBigUInt64BE(0));
            if (big < 16) return this.fail(`MP4 box '${type}' at byte offset ${start} has size ${big}`);
            this.skip(big - 16, `box '${type}' at byte offset ${start}`, () => this.box());
          });
        }
        if (size < 8) return this.fail(`MP4 box '${type}' at byte offset ${start} has size ${size}`);
        this.skip(size - 8, `box '${type}' at byte offset ${start}`, () => this.box());
      },
      true,
    );
  }
}

const EBML_HEADER = 0x1a45dfa3;
const SEGMENT = 0x18538067;
const CLUSTER = 0x1f43b675;
const VOID = 0xec;
const CRC32 = 0xbf;
/** Level-1 elements (children of the Segment): they end an unknown-size Cluster. */
const LEVEL1 = new Set([
  0x114d9b74, // SeekHead
  0x1549a966, // Info
  0x1654ae6b, // Tracks
  CLUSTER,
  0x1c53bb6b, // Cues
  0x1043a770, // Chapters
  0x1254c367, // Tags
  0x1941a469, // Attachments
]);

type EbmlLevel = 'top' | 'segment' | 'cluster';

/**
 * WebM / Matroska (EBML): the top level is the EBML header and Segment(s) and nothing else. Elements of known
 * size are skipped; a Segment or Cluster of unknown size (live recordings) is walked through its children, which
 * must then reach the end of the file.
 */
export class EbmlWalker extends RecordWalker {
  private segments = 0;

  protected start(): void {
    this.element('top');
  }

  protected endAtBoundary(): void {
    if (this.segments === 0) this.fail(`${this.format} is truncated: no Segment`);
  }

  private element(level: EbmlLevel): void {
    const start = this.offset;
    const where = `element at byte offset ${start}`;
    this.readVint(where, true, (id, idLength) => {
      const fullId = id + 2 ** (7 * idLength) * 1; // restore the marker bit: IDs are compared with it
      this.readVint(where, false, (size, sizeLength) => {
        const unknown = size === 2 ** (7 * sizeLength) - 1;
        if (level === 'top') {
          if (fullId === SEGMENT) this.segments += 1;
          else if (fullId !== EBML_HEADER && fullId !== VOID) {
            return this.fail(`data after the end of the ${this.format} at byte offset ${start}`);
          }
          if (unknown)
            return fullId === SEGMENT ? this.element('segment') : this.fail(`unknown size at ${where}`);
        } else if (level === 'segment') {
          if (!LEVEL1.has(fullId) && fullId !== VOID && fullId !== CRC32) {
            return this.fail(`unexpected EBML element at byte offset ${start} of the ${this.format} Segment`);
          }
          if (unknown)
            return fullId === CLUSTER ? this.element('cluster') : this.fail(`unknown size at ${where}`);
        } else {
          if (LEVEL1.has(fullId)) {
            // The unknown-size Cluster ended: this element belongs to the Segment.
            if (unknown)
              return fullId === CLUSTER ? this.element('cluster') : this.fail(`unknown size at ${where}`);
            return this.skip(size, where, () => this.element('segment'));
          }
          if (unknown) return this.fail(`unknown size at ${where}`);
        }
        this.skip(size, where, () => this.element(level));
      });
    });
  }

  /** Reads an EBML variable-length integer: value without its length marker, and its length in bytes. */
  private readVint(where: string, boundary: boolean, then: (value: number, length: number) => void): void {
    this.read(
      1,
      where,
      (first) => {
        const b = first[0]!;
        if (b === 0) return this.fail(`invalid EBML ${where}`);
        const length = Math.clz32(b) - 23;
        let value = b & (0xff >> length);
        this.read(length - 1, where, (rest) => {
          for (const byte of rest) value = value * 256 + byte;
          then(value, length);
        });
      },
      boundary,
    );
  }
}
