import { randomBytes } from 'node:crypto';

const HEADER_BYTES = 44;

/** The 44-byte header of a PCM WAV (16-bit stereo, 44.1 kHz) whose sizes cover `dataBytes` of samples. */
export function wavHeader(dataBytes: number): Buffer {
  const header = Buffer.alloc(HEADER_BYTES);
  header.write('RIFF', 0, 'ascii');
  header.writeUInt32LE(dataBytes + HEADER_BYTES - 8, 4);
  header.write('WAVEfmt ', 8, 'ascii');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(2, 22);
  header.writeUInt32LE(44_100, 24);
  header.writeUInt32LE(44_100 * 4, 28);
  header.writeUInt16LE(4, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36, 'ascii');
  header.writeUInt32LE(dataBytes, 40);
  return header;
}

/** A PCM WAV of exactly `totalBytes` with fresh random samples: a clean upload. */
export function wavFile(totalBytes: number): Buffer {
  return Buffer.concat([wavHeader(totalBytes - HEADER_BYTES), randomBytes(totalBytes - HEADER_BYTES)]);
}
