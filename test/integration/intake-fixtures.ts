import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';

import { zipSync } from 'fflate';

import { eicarBytes } from '../../core/scan/eicar';

/** The boundary EICAR is placed across: the clamd engine's INSTREAM chunk size and a typical stream chunk. */
export const CHUNK_BOUNDARY = 64 * 1024;

const WAV_HEADER_BYTES = 44;

/**
 * A PCM WAV (RIFF/WAVE, 16-bit stereo, 44.1 kHz) of exactly `totalBytes`, with random samples unless `data` is
 * given. Duration = (totalBytes - 44) / 176,400 s.
 */
export function wavFile(totalBytes: number, data?: Buffer): Buffer {
  const dataBytes = totalBytes - WAV_HEADER_BYTES;
  const header = Buffer.alloc(WAV_HEADER_BYTES);
  header.write('RIFF', 0, 'ascii');
  header.writeUInt32LE(totalBytes - 8, 4);
  header.write('WAVE', 8, 'ascii');
  header.write('fmt ', 12, 'ascii');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20); // PCM
  header.writeUInt16LE(2, 22); // channels
  header.writeUInt32LE(44_100, 24); // sample rate
  header.writeUInt32LE(44_100 * 4, 28); // byte rate
  header.writeUInt16LE(4, 32); // block align
  header.writeUInt16LE(16, 34); // bits per sample
  header.write('data', 36, 'ascii');
  header.writeUInt32LE(dataBytes, 40);
  return Buffer.concat([header, data ?? randomBytes(dataBytes)]);
}

/** Seconds of audio in a wavFile of `totalBytes`, rounded like the manifest. */
export function wavDurationSeconds(totalBytes: number): number {
  return Math.round(((totalBytes - WAV_HEADER_BYTES) / (44_100 * 4)) * 1000) / 1000;
}

/** A WAV of `totalBytes` whose samples contain EICAR across the CHUNK_BOUNDARY-th byte of the file. */
export function wavWithEicarAcrossBoundary(totalBytes: number): Buffer {
  const wav = wavFile(totalBytes);
  const eicar = eicarBytes();
  eicar.copy(wav, CHUNK_BOUNDARY - Math.floor(eicar.length / 2));
  return wav;
}

/** A zip holding EICAR as `readme.com`. */
export function eicarZip(): Buffer {
  return Buffer.from(zipSync({ 'readme.com': eicarBytes() }));
}

/** EICAR, gzip-compressed. */
export function eicarGzip(): Buffer {
  return gzipSync(eicarBytes());
}

/** A Windows executable's first bytes (`MZ`, PE offset) padded to 4 KiB: what an `.exe` renamed `.mp3` starts with. */
export function disguisedExecutable(): Buffer {
  const exe = Buffer.alloc(4096);
  exe.write('MZ', 0, 'ascii');
  exe.writeUInt32LE(0x80, 0x3c);
  exe.write('PE\0\0', 0x80, 'binary');
  return exe;
}
