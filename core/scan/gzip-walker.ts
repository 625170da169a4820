import { crc32 } from 'node:zlib';

import type { ArchiveWalker, ArchiveWalkerHost } from './archive-walker';
import { ByteCollector } from './byte-collector';
import { DECOMPRESS_SLICE_BYTES, type ContentSink } from './inspection-state';
import { RawInflater } from './raw-inflater';
import { errorMessage } from './scan-engine';

/** Longest FNAME / FCOMMENT field accepted; real ones are file names and short notes. */
const MAX_TEXT_FIELD = 64 * 1024;

type Phase =
  'header' | 'extra-length' | 'extra' | 'name' | 'comment' | 'header-crc' | 'data' | 'trailer' | 'next';

/**
 * Streams gzip members (RFC 1952): header fields, the deflate data into one child inspector, and the CRC-32 and
 * ISIZE trailer of each member. In `archive` mode the content must be one or more complete members and nothing
 * else; in `embedded` mode the walk covers one member and confirms it when its trailer matches.
 */
export class GzipWalker implements ArchiveWalker {
  private phase: Phase = 'header';
  private readonly header = new ByteCollector();
  private flags = 0;
  private textLength = 0;
  private inflater: RawInflater | undefined;
  private memberCrc = 0;
  private memberSize = 0;
  private compressed = 0;
  private expanded = 0;
  private offset = 0;
  private members = 0;
  private halted = false;
  private readonly child: ContentSink;

  constructor(private readonly host: ArchiveWalkerHost) {
    this.child = host.createChild(`${host.path}!gunzip`);
    this.header.reset(10);
    // All members of one gzip stream count as one entry; a candidate inside other content once it proves real.
    if (host.mode === 'archive' && !host.state.addEntry(host.path)) this.halted = true;
  }

  get stopped(): boolean {
    return this.halted || this.host.state.archivesHalted;
  }

  write(chunk: Uint8Array): void {
    let at = 0;
    while (at < chunk.length && !this.stopped) {
      if (this.phase === 'data') at += this.data(chunk, at);
      else if (this.phase === 'name' || this.phase === 'comment') at += this.text(chunk, at);
      else if (this.phase === 'next') {
        if (chunk[at] !== 0x1f) {
          this.problem(
            `trailing data after the last gzip member at byte offset ${this.host.baseOffset + this.offset}`,
          );
          return;
        }
        this.expect('header', 10);
      } else {
        const took = this.header.take(chunk, at);
        at += took;
        this.offset += took;
        if (this.header.complete) this.onHeader(this.header.bytes());
      }
    }
  }

  end(): void {
    if (this.stopped) return;
    if (this.phase === 'next') {
      this.child.end();
      return;
    }
    if (this.phase === 'data' && this.inflater) {
      try {
        this.inflater.finish();
      } catch (error) {
        return this.problem(errorMessage(error));
      }
    }
    if (this.phase === 'trailer') return this.problem('gzip trailer missing or cut short');
    if (this.phase === 'header' && this.members > 0 && this.header.missing === 10) {
      this.child.end();
      return;
    }
    this.problem('gzip stream ends before its last block');
  }

  private problem(detail: string): void {
    this.halted = true;
    if (this.host.mode === 'archive') this.host.state.unreadableArchive(this.host.path, detail);
  }

  private expect(phase: Phase, bytes: number): void {
    this.phase = phase;
    this.header.reset(bytes);
  }

  private onHeader(bytes: Buffer): void {
    switch (this.phase) {
      case 'header': {
        const flags = bytes[3]!;
        const plausible =
          bytes[0] === 0x1f &&
          bytes[1] === 0x8b &&
          bytes[2] === 8 &&
          (flags & 0xe0) === 0 &&
          (this.host.mode === 'archive' ||
            ([0, 2, 4].includes(bytes[8]!) && (bytes[9]! <= 13 || bytes[9] === 255)));
        if (!plausible)
          return this.problem(
            `no gzip member header at byte offset ${this.host.baseOffset + this.offset - 10}`,
          );
        this.flags = flags;
        return this.afterField(0);
      }
      case 'extra-length':
        return this.expect('extra', bytes.readUInt16LE(0));
      case 'extra':
        return this.afterField(1);
      case 'header-crc':
        return this.startData();
      case 'trailer':
        return this.onTrailer(bytes);
      default:
        return;
    }
  }

  /** Moves to the next header field present after field `done` (0 fixed, 1 extra, 2 name, 3 comment). */
  private afterField(done: number): void {
    if (done < 1 && this.flags & 0x04) return this.expect('extra-length', 2);
    if (done < 2 && this.flags & 0x08) return this.startText('name');
    if (done < 3 && this.flags & 0x10) return this.startText('comment');
    if (this.flags & 0x02) return this.expect('header-crc', 2);
    this.startData();
  }

  private startText(phase: 'name' | 'comment'): void {
    this.phase = phase;
    this.textLength = 0;
  }

  private text(chunk: Uint8Array, at: number): number {
    const zero = chunk.indexOf(0, at);
    const n = zero === -1 ? chunk.length - at : zero - at + 1;
    this.textLength += n;
    this.offset += n;
    if (this.textLength > MAX_TEXT_FIELD) {
      this.problem(`gzip header ${this.phase} field longer than ${MAX_TEXT_FIELD} bytes`);
    } else if (zero !== -1) {
      this.afterField(this.phase === 'name' ? 2 : 3);
    }
    return n;
  }

  private startData(): void {
    this.phase = 'data';
    this.memberCrc = 0;
    this.memberSize = 0;
    this.members += 1;
    this.inflater = new RawInflater((data) => this.emit(data));
  }

  private data(chunk: Uint8Array, at: number): number {
    const n = Math.min(chunk.length - at, DECOMPRESS_SLICE_BYTES);
    this.compressed += n;
    let rest: Uint8Array | undefined;
    try {
      rest = this.inflater!.push(chunk.subarray(at, at + n));
    } catch (error) {
      this.problem(errorMessage(error));
      return n;
    }
    this.offset += n;
    if (rest !== undefined && !this.stopped) {
      this.offset -= rest.length;
      this.compressed -= rest.length;
      this.inflater = undefined;
      this.expect('trailer', 8);
      if (rest.length > 0) this.write(rest.slice());
    }
    return n;
  }

  private emit(data: Uint8Array): void {
    if (this.stopped) return;
    this.memberCrc = crc32(data, this.memberCrc);
    this.memberSize += data.length;
    this.expanded += data.length;
    if (!this.host.state.addExpanded(data.length)) return;
    if (!this.host.state.checkRatio(this.host.path, this.compressed, this.expanded)) return;
    this.child.write(data);
  }

  private onTrailer(bytes: Buffer): void {
    if (
      bytes.readUInt32LE(0) !== this.memberCrc >>> 0 ||
      bytes.readUInt32LE(4) !== this.memberSize % 2 ** 32
    ) {
      return this.problem('gzip trailer does not match the data (CRC-32 or length)');
    }
    if (this.host.mode === 'embedded' && !this.host.state.addEntry(this.host.path)) return;
    this.host.confirm();
    if (this.host.mode === 'embedded') {
      this.halted = true;
      this.child.end();
      return;
    }
    this.phase = 'next';
  }
}
