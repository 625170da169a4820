import { RecordWalker } from './record-walker';

/** Bit rates in kbit/s by [MPEG-1 ? 0 : 1][layer 1..3 → 0..2][index 1..14]. */
const BITRATES: readonly (readonly (readonly number[])[])[] = [
  [
    [32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448],
    [32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384],
    [32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320],
  ],
  [
    [32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256],
    [8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
    [8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
  ],
];
/** Sample rates by version bits (0 MPEG-2.5, 2 MPEG-2, 3 MPEG-1) and index. */
const SAMPLE_RATES: Readonly<Record<number, readonly number[]>> = {
  0: [11025, 12000, 8000],
  2: [22050, 24000, 16000],
  3: [44100, 48000, 32000],
};

/** Length in bytes of the MPEG audio frame whose header is `h`, or undefined when it is not a valid header. */
export function mpegFrameLength(h: Uint8Array): number | undefined {
  if (h[0] !== 0xff || (h[1]! & 0xe0) !== 0xe0) return undefined;
  const version = (h[1]! >> 3) & 3;
  const layer = 4 - ((h[1]! >> 1) & 3); // 1, 2 or 3 (4 = reserved)
  const bitrateIndex = h[2]! >> 4;
  const rateIndex = (h[2]! >> 2) & 3;
  if (version === 1 || layer === 4 || bitrateIndex === 0 || bitrateIndex === 15 || rateIndex === 3) {
    return undefined;
  }
  const bitrate = BITRATES[version === 3 ? 0 : 1]![layer - 1]![bitrateIndex - 1]! * 1000;
  const rate = SAMPLE_RATES[version]![rateIndex]!;
  const padding = (h[2]! >> 1) & 1;
  if (layer === 1) return (Math.floor((12 * bitrate) / rate) + padding) * 4;
  if (layer === 3 && version !== 3) return Math.floor((72 * bitrate) / rate) + padding;
  return Math.floor((144 * bitrate) / rate) + padding;
}

/** Length of the ADTS (AAC) frame whose header is `h`, or undefined when it is not a valid header. */
export function adtsFrameLength(h: Uint8Array): number | undefined {
  if (h[0] !== 0xff || (h[1]! & 0xf6) !== 0xf0 || ((h[2]! >> 2) & 0x0f) > 12) return undefined;
  const length = ((h[3]! & 0x03) << 11) | (h[4]! << 3) | (h[5]! >> 5);
  return length >= 7 ? length : undefined;
}

/** Largest run of tags (APEv2, Lyrics3, ID3v1) accepted after the last frame. */
const MAX_TAIL = 1024 * 1024;

/**
 * MP3 (MPEG audio) and AAC (ADTS): an optional ID3v2 tag, then frames that tile the file, then optionally an
 * APEv2 tag and/or an ID3v1 tag and nothing else. The header of each frame gives its length, so the walk reads 6
 * bytes per frame and skips the rest.
 */
export class FrameWalker extends RecordWalker {
  private frames = 0;
  private tail: Buffer[] = [];
  private tailLength = 0;
  private tailStart = 0;

  constructor(
    format: string,
    report: (detail: string) => void,
    private readonly kind: 'mpeg' | 'adts',
  ) {
    super(format, report);
  }

  protected start(): void {
    this.read(
      10,
      'first frame',
      (head) => {
        if (head.toString('latin1', 0, 3) !== 'ID3')
          return this.onHeader(head.subarray(0, 6), 0, head.subarray(6));
        const size =
          ((head[6]! & 0x7f) << 21) |
          ((head[7]! & 0x7f) << 14) |
          ((head[8]! & 0x7f) << 7) |
          (head[9]! & 0x7f);
        const footer = head[5]! & 0x10 ? 10 : 0;
        this.skip(size + footer, 'ID3v2 tag', () => this.frame());
      },
      false,
    );
  }

  protected endAtBoundary(): void {
    if (this.frames === 0) this.fail(`no ${this.frameName()} at byte offset ${this.offset}`);
  }

  private frameName(): string {
    return this.kind === 'mpeg' ? 'MPEG audio frame' : 'ADTS frame';
  }

  private frame(): void {
    const start = this.offset;
    this.read(
      6,
      `${this.frameName()} at byte offset ${start}`,
      (header) => this.onHeader(header, start),
      true,
    );
  }

  /** `extra`: bytes already read past the 6-byte header (the first read takes 10 for an ID3 check). */
  private onHeader(header: Buffer, start: number, extra: Buffer = Buffer.alloc(0)): void {
    const length = this.kind === 'mpeg' ? mpegFrameLength(header) : adtsFrameLength(header);
    if (length === undefined || length < 6 + extra.length) {
      // Not a frame: what follows must be end-of-file tags.
      if (this.frames === 0) return this.fail(`no ${this.frameName()} at byte offset ${start}`);
      this.tailStart = start;
      this.tail = [header, extra];
      this.tailLength = header.length + extra.length;
      return this.scan('tags after the last frame');
    }
    this.frames += 1;
    this.skip(length - 6 - extra.length, `${this.frameName()} at byte offset ${start}`, () => this.frame());
  }

  protected override scanBytes(chunk: Uint8Array, at: number): number {
    this.tailLength += chunk.length - at;
    if (this.tailLength > MAX_TAIL) {
      this.fail(`data after the last ${this.frameName()} at byte offset ${this.tailStart}`);
    } else {
      this.tail.push(Buffer.from(chunk.subarray(at)));
    }
    return chunk.length - at;
  }

  protected override endScan(): void {
    let tail = Buffer.concat(this.tail);
    let start = this.tailStart;
    // Tags in front: ID3v1 (128 bytes) and APEv2 with a header (32 + size).
    for (;;) {
      if (tail.length >= 128 && tail.toString('latin1', 0, 3) === 'TAG') {
        tail = tail.subarray(128);
        start += 128;
      } else if (tail.length >= 32 && tail.toString('latin1', 0, 8) === 'APETAGEX') {
        const total = 32 + tail.readUInt32LE(12);
        if (total > tail.length) break;
        tail = tail.subarray(total);
        start += total;
      } else {
        break;
      }
    }
    // Tags at the end: ID3v1 last, an APEv2 footer before it (its size counts the items and the footer).
    if (tail.length >= 128 && tail.toString('latin1', tail.length - 128, tail.length - 125) === 'TAG') {
      tail = tail.subarray(0, tail.length - 128);
    }
    if (tail.length >= 32 && tail.toString('latin1', tail.length - 32, tail.length - 24) === 'APETAGEX') {
      const size = tail.readUInt32LE(tail.length - 20);
      const flags = tail.readUInt32LE(tail.length - 12);
      const total = size + (flags & 0x80000000 ? 32 : 0);
      if (total <= tail.length) tail = tail.subarray(0, tail.length - total);
    }
    if (tail.length === 0) return;
    if (start === this.tailStart && tail.length < 6 && tail.length === this.tailLength) {
      return this.fail(
        `${this.format} is truncated: the last ${this.frameName()} at byte offset ${start} is cut short`,
      );
    }
    this.fail(
      `data after the last ${this.frameName()}${start > this.tailStart ? ' and its tags' : ''} at byte offset ${start}`,
    );
  }
}
