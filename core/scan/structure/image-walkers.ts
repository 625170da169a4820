import { crc32 } from 'node:zlib';

import { isFourCC, RecordWalker } from './record-walker';

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** PNG: signature, then chunks (length, type, data, CRC-32 over type and data) up to and including IEND. */
export class PngWalker extends RecordWalker {
  private crc = 0;

  protected start(): void {
    this.read(8, 'signature', (bytes) => {
      if (!bytes.equals(PNG_SIGNATURE)) return this.fail('PNG signature missing');
      this.chunk();
    });
  }

  protected endAtBoundary(): void {
    this.fail('PNG is truncated: no IEND chunk');
  }

  private chunk(): void {
    const start = this.offset;
    this.read(
      8,
      `chunk at byte offset ${start}`,
      (header) => {
        const length = header.readUInt32BE(0);
        if (!isFourCC(header, 4) || length > 0x7fffffff) {
          return this.fail(`no PNG chunk at byte offset ${start}`);
        }
        const type = header.toString('latin1', 4, 8);
        this.crc = crc32(header.subarray(4, 8));
        this.skip(
          length,
          `chunk ${type} at byte offset ${start}`,
          () =>
            this.read(4, `CRC of chunk ${type} at byte offset ${start}`, (crc) => {
              if (crc.readUInt32BE(0) !== this.crc >>> 0) {
                return this.fail(`PNG chunk ${type} at byte offset ${start} has a wrong CRC-32`);
              }
              if (type === 'IEND') return this.finished();
              this.chunk();
            }),
          (bytes) => (this.crc = crc32(bytes, this.crc)),
        );
      },
      true,
    );
  }
}

/**
 * JPEG: SOI, marker segments with their lengths, entropy-coded data after each SOS (scanned for the next marker:
 * 0xFF followed by anything but 0x00, a restart marker or fill), up to EOI.
 */
export class JpegWalker extends RecordWalker {
  private pendingFF = false;

  protected start(): void {
    this.read(2, 'SOI marker', (bytes) => {
      if (bytes[0] !== 0xff || bytes[1] !== 0xd8) return this.fail('JPEG SOI marker missing');
      this.nextMarker();
    });
  }

  protected endAtBoundary(): void {
    this.fail('JPEG is truncated: no EOI marker');
  }

  protected override endScan(): void {
    this.fail('JPEG is truncated: entropy-coded data without an EOI marker');
  }

  private nextMarker(): void {
    const start = this.offset;
    this.read(
      2,
      `marker at byte offset ${start}`,
      (bytes) => {
        if (bytes[0] !== 0xff) return this.fail(`no JPEG marker at byte offset ${start}`);
        this.onMarker(bytes[1]!, start);
      },
      true,
    );
  }

  private onMarker(marker: number, start: number): void {
    if (marker === 0xff) {
      // Fill byte: the marker code follows.
      return this.read(1, `marker at byte offset ${start}`, (bytes) => this.onMarker(bytes[0]!, start + 1));
    }
    if (marker === 0xd9) return this.finished();
    if (marker === 0xd8 || marker === 0x00)
      return this.fail(`unexpected JPEG marker at byte offset ${start}`);
    if ((marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) return this.nextMarker();
    this.read(2, `segment at byte offset ${start}`, (length) => {
      const size = length.readUInt16BE(0);
      if (size < 2) return this.fail(`JPEG segment at byte offset ${start} has length ${size}`);
      this.skip(size - 2, `segment at byte offset ${start}`, () => {
        if (marker === 0xda) {
          this.pendingFF = false;
          this.scan('entropy-coded data');
        } else {
          this.nextMarker();
        }
      });
    });
  }

  protected override scanBytes(chunk: Uint8Array, at: number): number {
    const body = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
    let i = at;
    if (this.pendingFF) {
      const b = body[i]!;
      this.pendingFF = false;
      if (b === 0xff) {
        this.pendingFF = true;
        return 1;
      }
      if (b !== 0x00 && !(b >= 0xd0 && b <= 0xd7)) {
        this.onMarker(b, this.offset - 1);
        return 1;
      }
      i += 1;
    }
    for (;;) {
      const ff = body.indexOf(0xff, i);
      if (ff === -1) return body.length - at;
      if (ff + 1 >= body.length) {
        this.pendingFF = true;
        return body.length - at;
      }
      const b = body[ff + 1]!;
      if (b === 0x00 || b === 0xff || (b >= 0xd0 && b <= 0xd7)) {
        i = b === 0xff ? ff + 1 : ff + 2;
        continue;
      }
      this.onMarker(b, this.offset + (ff - at));
      return ff + 2 - at;
    }
  }
}
