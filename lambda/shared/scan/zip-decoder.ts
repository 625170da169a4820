import { Unzip, UnzipInflate, type UnzipFile } from 'fflate';

import {
  DECOMPRESS_SLICE_BYTES,
  type ChildFactory,
  type ContentSink,
  type InspectionState,
} from './inspection-state';
import { TailBuffer } from './tail-buffer';
import { errorMessage } from './scan-engine';

/** End of central directory record: signature, 18 fixed bytes, then a comment of up to 65,535 bytes. */
const EOCD_SIGNATURE = Buffer.from([0x50, 0x4b, 0x05, 0x06]);
const EOCD_MIN_LENGTH = 22;
const EOCD_MAX_DISTANCE = EOCD_MIN_LENGTH + 0xffff;

/** Compression methods fflate can stream: 0 stored, 8 deflate. */
const SUPPORTED_METHODS = new Set([0, 8]);

/**
 * Streams a ZIP archive entry by entry (local headers, as the bytes arrive; the central directory is never
 * needed), handing each entry's decompressed bytes to a child inspector. Detects truncation through a missing end
 * of central directory record or an entry cut short.
 */
export class ZipDecoder implements ContentSink {
  private readonly unzip: Unzip;
  private readonly tail = new TailBuffer(EOCD_MAX_DISTANCE);
  private compressed = 0;
  private expanded = 0;
  private readonly openEntries = new Set<string>();

  constructor(
    private readonly state: InspectionState,
    private readonly path: string,
    private readonly createChild: ChildFactory,
  ) {
    this.unzip = new Unzip((file) => this.onFile(file));
    this.unzip.register(UnzipInflate);
  }

  write(chunk: Uint8Array): void {
    this.tail.push(chunk);
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
    if (this.openEntries.size > 0) {
      this.state.unreadableArchive(this.path, `entry ${[...this.openEntries][0]} is truncated`);
      return;
    }
    const tail = this.tail.read();
    const eocd = tail.lastIndexOf(EOCD_SIGNATURE);
    if (eocd === -1 || tail.length - eocd < EOCD_MIN_LENGTH) {
      this.state.unreadableArchive(this.path, 'no end of central directory record');
    }
  }

  private push(data: Uint8Array, final: boolean): boolean {
    try {
      this.unzip.push(data, final);
      return true;
    } catch (error) {
      this.state.unreadableArchive(this.path, errorMessage(error));
      return false;
    }
  }

  private onFile(file: UnzipFile): void {
    if (this.state.archivesHalted) return;
    const where = `${this.path}!${file.name}`;
    if (!this.state.addEntry(where)) return;
    if (!SUPPORTED_METHODS.has(file.compression)) {
      // Not started: fflate would buffer its data, so the whole archive is abandoned here.
      this.state.archivesHalted = true;
      this.state.suspicious(`archive entry ${where} uses unsupported compression method ${file.compression}`);
      return;
    }
    const child = this.createChild(where);
    this.openEntries.add(where);
    file.ondata = (error, data, final) => {
      if (this.state.archivesHalted) return;
      if (error) {
        this.state.unreadableArchive(where, errorMessage(error));
        return;
      }
      if (data.length > 0) {
        this.expanded += data.length;
        if (!this.state.addExpanded(data.length)) return;
        if (!this.state.checkRatio(this.path, this.compressed, this.expanded)) return;
        child.write(data);
      }
      if (final) {
        this.openEntries.delete(where);
        child.end();
      }
    };
    file.start();
  }
}
