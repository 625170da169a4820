import { RecordWalker } from './record-walker';

/** CRC-32 of Ogg pages: polynomial 0x04C11DB7, not reflected, initial value 0. */
const OGG_CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let r = i << 24;
    for (let j = 0; j < 8; j++) r = r & 0x80000000 ? (r << 1) ^ 0x04c11db7 : r << 1;
    table[i] = r >>> 0;
  }
  return table;
})();

function oggCrc(crc: number, bytes: Uint8Array): number {
  let c = crc;
  for (let i = 0; i < bytes.length; i++)
    c = ((c << 8) ^ OGG_CRC_TABLE[((c >>> 24) ^ bytes[i]!) & 0xff]!) >>> 0;
  return c;
}

/** Ogg (Vorbis, Opus, FLAC in Ogg): pages with valid CRCs tile the file; the last page ends a stream. */
export class OggWalker extends RecordWalker {
  private pages = 0;
  private lastEndsStream = false;
  private crc = 0;

  protected start(): void {
    this.page();
  }

  protected endAtBoundary(): void {
    if (this.pages === 0) return this.fail('Ogg has no page');
    if (!this.lastEndsStream) this.fail('Ogg is truncated: the last page does not end its stream');
  }

  private page(): void {
    const start = this.offset;
    this.read(
      27,
      `page at byte offset ${start}`,
      (header) => {
        if (header.toString('latin1', 0, 4) !== 'OggS' || header[4] !== 0) {
          return this.fail(`data after the last Ogg page at byte offset ${start}`);
        }
        const expected = header.readUInt32LE(22);
        header.writeUInt32LE(0, 22);
        this.lastEndsStream = (header[5]! & 0x04) !== 0;
        this.read(header[26]!, `page at byte offset ${start}`, (segments) => {
          this.crc = oggCrc(oggCrc(0, header), segments);
          const bodyLength = segments.reduce((sum, length) => sum + length, 0);
          this.skip(
            bodyLength,
            `page at byte offset ${start}`,
            () => {
              if (this.crc !== expected) return this.fail(`Ogg page at byte offset ${start} has a wrong CRC`);
              this.pages += 1;
              this.page();
            },
            (bytes) => (this.crc = oggCrc(this.crc, bytes)),
          );
        });
      },
      true,
    );
  }
}

/** CRC-16 of FLAC frames: polynomial 0x8005, initial value 0, not reflected. */
const FLAC_CRC16_TABLE = (() => {
  const table = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let r = i << 8;
    for (let j = 0; j < 8; j++) r = r & 0x8000 ? ((r << 1) ^ 0x8005) & 0xffff : (r << 1) & 0xffff;
    table[i] = r;
  }
  return table;
})();

function flacCrc16(crc: number, bytes: Uint8Array): number {
  let c = crc;
  for (let i = 0; i < bytes.length; i++) c = ((c << 8) & 0xffff) ^ FLAC_CRC16_TABLE[(c >> 8) ^ bytes[i]!]!;
  return c;
}

/**
 * FLAC: `fLaC`, metadata blocks up to the one flagged last, then frames up to the end of the file. Frames carry
 * no length; each ends with a CRC-16 over the whole frame, so the CRC register (initial value 0) is back at 0
 * exactly at every frame end. The walker runs the CRC over all frame bytes and requires it to be 0 at the end of
 * the file; if not, the last place it was 0 is where the complete frames ended.
 */
export class FlacWalker extends RecordWalker {
  private crc = 0;
  private lastFrameEnd = -1;
  private framesStart = 0;

  protected start(): void {
    this.read(4, 'fLaC marker', (marker) => {
      if (marker.toString('latin1') !== 'fLaC') return this.fail('fLaC marker missing');
      this.block();
    });
  }

  protected endAtBoundary(): void {
    this.fail('FLAC is truncated: metadata without a last block');
  }

  private block(): void {
    const start = this.offset;
    this.read(4, `metadata block at byte offset ${start}`, (header) => {
      const type = header[0]! & 0x7f;
      if (type === 127) return this.fail(`invalid FLAC metadata block at byte offset ${start}`);
      const length = header.readUIntBE(1, 3);
      this.skip(length, `metadata block at byte offset ${start}`, () => {
        if (header[0]! & 0x80) {
          this.framesStart = this.offset;
          return this.read(
            2,
            `first frame at byte offset ${this.offset}`,
            (sync) => {
              if (sync[0] !== 0xff || (sync[1]! & 0xfe) !== 0xf8) {
                return this.fail(`no FLAC frame at byte offset ${this.framesStart}`);
              }
              this.crc = flacCrc16(0, sync);
              this.scan('FLAC frames');
            },
            true,
          );
        }
        this.block();
      });
    });
  }

  protected override scanBytes(chunk: Uint8Array, at: number): number {
    let crc = this.crc;
    let lastZero = -1;
    for (let i = at; i < chunk.length; i++) {
      if (crc === 0) lastZero = i;
      crc = ((crc << 8) & 0xffff) ^ FLAC_CRC16_TABLE[(crc >> 8) ^ chunk[i]!]!;
    }
    if (lastZero !== -1) this.lastFrameEnd = this.offset + (lastZero - at);
    this.crc = crc;
    return chunk.length - at;
  }

  protected override endScan(): void {
    if (this.crc === 0) return;
    this.fail(
      `FLAC frames do not reach the end of the file: the last complete frame ends at byte offset ` +
        `${Math.max(this.lastFrameEnd, this.framesStart)} (truncated frame or trailing data)`,
    );
  }
}
