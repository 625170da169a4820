import { RecordWalker } from './record-walker';

const EOF_MARKER = Buffer.from('%%EOF', 'latin1');
const SEAM = EOF_MARKER.length - 1;

/** PDF white-space characters (ISO 32000-1, 7.2.2). */
function isWhiteSpace(byte: number): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09 || byte === 0x0c || byte === 0x00;
}

/**
 * PDF: the file must end at its last `%%EOF` marker, white space after it allowed. Incremental updates append
 * objects, an xref section and a new `%%EOF`, so only the last marker counts. The walker tracks the end of the
 * last marker seen and the first non-white-space byte after it, in one `indexOf` pass per chunk.
 */
export class PdfWalker extends RecordWalker {
  private seam: Buffer = Buffer.alloc(0);
  private eofEnd = -1;
  /** Offset of the first byte after the last %%EOF that is not white space; -1 while there is none. */
  private dataAfterEof = -1;

  protected start(): void {
    this.scan('PDF body');
  }

  protected endAtBoundary(): void {
    this.endScan();
  }

  protected override endScan(): void {
    if (this.eofEnd === -1) return this.fail('PDF is truncated: no %%EOF marker');
    if (this.dataAfterEof !== -1) {
      this.fail(`data after the last %%EOF of the PDF at byte offset ${this.dataAfterEof}`);
    }
  }

  protected override scanBytes(chunk: Uint8Array, at: number): number {
    const body = Buffer.from(chunk.buffer, chunk.byteOffset + at, chunk.length - at);
    const base = this.offset;
    let eofEnd = -1;
    if (this.seam.length > 0) {
      const joined = Buffer.concat([this.seam, body.subarray(0, SEAM)]);
      const found = joined.lastIndexOf(EOF_MARKER);
      if (found !== -1 && found + EOF_MARKER.length > this.seam.length) {
        eofEnd = base - this.seam.length + found + EOF_MARKER.length;
      }
    }
    const last = body.lastIndexOf(EOF_MARKER);
    if (last !== -1) eofEnd = base + last + EOF_MARKER.length;
    if (eofEnd !== -1) {
      this.eofEnd = eofEnd;
      this.dataAfterEof = this.firstData(body, eofEnd - base, base);
    } else if (this.eofEnd !== -1 && this.dataAfterEof === -1) {
      this.dataAfterEof = this.firstData(body, 0, base);
    }
    this.seam =
      body.length >= SEAM
        ? Buffer.from(body.subarray(body.length - SEAM))
        : Buffer.concat([this.seam, body]).subarray(-SEAM);
    return body.length;
  }

  private firstData(body: Buffer, from: number, base: number): number {
    for (let i = from; i < body.length; i++) {
      if (!isWhiteSpace(body[i]!)) return base + i;
    }
    return -1;
  }
}
