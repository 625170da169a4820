import { crc32 } from 'node:zlib';

import { Gunzip } from 'fflate';

import {
  DECOMPRESS_SLICE_BYTES,
  type ChildFactory,
  type ContentSink,
  type InspectionState,
} from './inspection-state';
import { TailBuffer } from './tail-buffer';
import { errorMessage } from './scan-engine';

/**
 * Streams a gzip file (one or more members) into one child inspector. Truncation is detected by the inflater
 * (stream cut inside the deflate data) and by checking the last member's CRC-32 and ISIZE trailer.
 */
export class GzipDecoder implements ContentSink {
  private readonly gunzip: Gunzip;
  private readonly child: ContentSink;
  private readonly trailer = new TailBuffer(8);
  private compressed = 0;
  private expanded = 0;
  private memberCrc = 0;
  private memberSize = 0;
  private finished = false;

  constructor(
    private readonly state: InspectionState,
    private readonly path: string,
    createChild: ChildFactory,
  ) {
    this.child = createChild(`${path}!gunzip`);
    if (!this.state.addEntry(this.path)) {
      this.gunzip = new Gunzip();
      return;
    }
    this.gunzip = new Gunzip((data, final) => this.onData(data, final));
    this.gunzip.onmember = () => {
      this.memberCrc = 0;
      this.memberSize = 0;
    };
  }

  write(chunk: Uint8Array): void {
    this.trailer.push(chunk);
    for (
      let offset = 0;
      offset < chunk.length && !this.state.archivesHalted;
      offset += DECOMPRESS_SLICE_BYTES
    ) {
      const slice = chunk.subarray(offset, offset + DECOMPRESS_SLICE_BYTES);
      this.compressed += slice.length;
      if (!this.push(slice, false)) return;
    }
  }

  end(): void {
    if (this.state.archivesHalted || !this.push(new Uint8Array(0), true)) return;
    if (!this.finished) {
      this.state.unreadableArchive(this.path, 'gzip stream ends before its last block');
      return;
    }
    const trailer = this.trailer.read();
    if (trailer.length < 8) {
      this.state.unreadableArchive(this.path, 'gzip trailer missing');
      return;
    }
    const crc = trailer.readUInt32LE(0);
    const size = trailer.readUInt32LE(4);
    if (crc !== this.memberCrc >>> 0 || size !== this.memberSize % 2 ** 32) {
      this.state.unreadableArchive(this.path, 'gzip trailer does not match the data (CRC-32 or length)');
      return;
    }
    this.child.end();
  }

  private push(data: Uint8Array, final: boolean): boolean {
    try {
      this.gunzip.push(data, final);
      return true;
    } catch (error) {
      this.state.unreadableArchive(this.path, errorMessage(error));
      return false;
    }
  }

  private onData(data: Uint8Array, final: boolean): void {
    if (this.state.archivesHalted) return;
    if (final) this.finished = true;
    if (data.length === 0) return;
    this.expanded += data.length;
    this.memberCrc = crc32(data, this.memberCrc);
    this.memberSize += data.length;
    if (!this.state.addExpanded(data.length)) return;
    if (!this.state.checkRatio(this.path, this.compressed, this.expanded)) return;
    this.child.write(data);
  }
}
