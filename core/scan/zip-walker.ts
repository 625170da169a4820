/**
 * The streaming walk over a ZIP archive: a state machine that collects each record's bytes, hands entry data to a
 * child inspector and checks the archive's consistency. The byte layout of the records is zip-records.ts.
 */
import { crc32 } from 'node:zlib';

import type { ArchiveWalker, ArchiveWalkerHost } from './archive-walker';
import { ByteCollector } from './byte-collector';
import { DECOMPRESS_SLICE_BYTES, type ContentSink } from './inspection-state';
import { RawInflater } from './raw-inflater';
import { errorMessage } from './scan-engine';
import {
  CENTRAL,
  centralVariableLength,
  DESCRIPTOR,
  END,
  LOCAL,
  localExtraLength,
  localNameLength,
  readDescriptor,
  readEndRecord,
  readLocalEntry,
  ZIP64_END,
  ZIP64_LOCATOR,
  type ZipEntry,
} from './zip-records';

/** Longest file name accepted in an embedded candidate header; real names are far shorter. */
const MAX_EMBEDDED_NAME = 1024;

type Phase =
  | 'signature'
  | 'local'
  | 'names'
  | 'data'
  | 'skip'
  | 'descriptor'
  | 'descriptor-body'
  | 'central'
  | 'central-names'
  | 'zip64-end'
  | 'zip64-locator'
  | 'end'
  | 'comment'
  | 'done';

/**
 * Streams a ZIP archive record by record: each local header, its entry data (decompressed into a child inspector,
 * CRC-32 checked), data descriptors, the central directory, the zip64 records and the end of central directory
 * record. In `archive` mode the archive must be consistent and end exactly at the end record (its comment
 * included); in `embedded` mode the walk stops quietly at the first thing that is not a zip record.
 */
export class ZipWalker implements ArchiveWalker {
  private phase: Phase = 'signature';
  private readonly header = new ByteCollector();
  private offset = 0;
  private entry: ZipEntry | undefined;
  private child: ContentSink | undefined;
  private inflater: RawInflater | undefined;
  private remaining = 0;
  private consumed = 0;
  private entryCrc = 0;
  private entrySize = 0;
  private localPart: Buffer | undefined;
  private compressed = 0;
  private expanded = 0;
  private localEntries = 0;
  private centralEntries = 0;
  private centralStart = -1;
  private halted = false;
  /** An encrypted entry whose end is not yet proven to be at a zip record (embedded mode). */
  private pendingEncrypted: string | undefined;

  constructor(private readonly host: ArchiveWalkerHost) {
    this.header.reset(4);
  }

  get stopped(): boolean {
    return this.halted || this.host.state.archivesHalted;
  }

  write(chunk: Uint8Array): void {
    let at = 0;
    while (at < chunk.length && !this.stopped) {
      if (this.phase === 'data') at += this.data(chunk, at);
      else if (this.phase === 'skip') at += this.skip(chunk, at);
      else if (this.phase === 'done') {
        this.problem(
          `trailing data after the end of central directory record at byte offset ${this.host.baseOffset + this.offset}`,
        );
        return;
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
    if (this.phase === 'data' || this.phase === 'skip' || this.phase === 'descriptor') {
      if (this.host.mode === 'archive' && this.inflater && this.phase === 'data') {
        try {
          this.inflater.finish();
        } catch (error) {
          this.problem(`${errorMessage(error)} in entry ${this.entry?.name}`);
          return;
        }
      }
      this.problem(`entry ${this.entry?.name} is truncated`);
    } else if (this.phase !== 'done') {
      this.problem('no end of central directory record');
    }
  }

  private problem(detail: string): void {
    this.halted = true;
    if (this.host.mode === 'archive') this.host.state.unreadableArchive(this.host.path, detail);
  }

  private expect(phase: Phase, bytes: number): void {
    this.phase = phase;
    this.header.reset(bytes);
    if (bytes === 0) this.onHeader(Buffer.alloc(0));
  }

  private onHeader(bytes: Buffer): void {
    switch (this.phase) {
      case 'signature':
        return this.onSignature(bytes.readUInt32LE(0));
      case 'local':
        return this.onLocal(bytes);
      case 'names':
        return this.onNames(bytes);
      case 'descriptor':
        return this.onDescriptor(bytes);
      case 'descriptor-body':
        return this.onDescriptorBody(bytes);
      case 'central':
        return this.expect('central-names', centralVariableLength(bytes));
      case 'central-names':
        return this.expect('signature', 4);
      case 'zip64-end':
        return this.skipThen(Number(bytes.readBigUInt64LE(0)), 'signature');
      case 'zip64-locator':
        return this.expect('signature', 4);
      case 'end':
        return this.onEnd(bytes);
      case 'comment':
        this.phase = 'done';
        return;
      default:
        return;
    }
  }

  private onSignature(signature: number): void {
    const start = this.offset - 4;
    if (
      this.pendingEncrypted !== undefined &&
      (signature === LOCAL || signature === CENTRAL || signature === ZIP64_END || signature === END)
    ) {
      // The encrypted entry's declared size ended exactly at a zip record: it is real.
      this.host.state.suspicious(`cannot inspect: encrypted entry ${this.pendingEncrypted}`);
      this.pendingEncrypted = undefined;
      this.host.confirm();
    }
    if (signature === LOCAL && this.centralStart === -1) return this.expect('local', 26);
    if (signature === CENTRAL) {
      if (this.centralStart === -1) this.centralStart = start;
      this.centralEntries += 1;
      return this.expect('central', 42);
    }
    if (signature === ZIP64_END) return this.expect('zip64-end', 8);
    if (signature === ZIP64_LOCATOR) return this.expect('zip64-locator', 16);
    if (signature === END) {
      if (this.centralStart === -1) this.centralStart = start;
      return this.expect('end', 18);
    }
    this.problem(`no zip record at byte offset ${this.host.baseOffset + start}`);
  }

  private onLocal(bytes: Buffer): void {
    const nameLength = localNameLength(bytes);
    const extraLength = localExtraLength(bytes);
    if (this.host.mode === 'embedded') {
      // Plausibility of a candidate: a version a zip tool writes, a name of sensible length.
      if (bytes[0]! > 63 || nameLength === 0 || nameLength > MAX_EMBEDDED_NAME) return this.problem('');
    }
    this.localPart = bytes;
    this.expect('names', nameLength + extraLength);
  }

  private onNames(bytes: Buffer): void {
    const local = this.localPart!;
    const nameBytes = bytes.subarray(0, localNameLength(local));
    if (this.host.mode === 'embedded' && nameBytes.some((b) => b < 0x20 || b === 0x7f)) {
      return this.problem('');
    }
    const entry = readLocalEntry(local, bytes, this.host.path);
    this.entry = entry;
    this.localEntries += 1;
    if (!this.host.state.addEntry(entry.where)) return;
    this.startEntry(entry);
  }

  private startEntry(entry: ZipEntry): void {
    const sized = !entry.streamed || entry.compressedSize > 0;
    if (entry.encrypted || (entry.method !== 0 && entry.method !== 8)) {
      if (!sized) {
        return this.problem(
          entry.encrypted
            ? `cannot inspect: encrypted entry ${entry.where} (no size to skip it)`
            : `archive entry ${entry.where} uses unsupported compression method ${entry.method}`,
        );
      }
      if (entry.encrypted) {
        if (this.host.mode === 'embedded') this.pendingEncrypted = entry.where;
        else if (!this.host.allowEncrypted) {
          this.host.state.suspicious(`cannot inspect: encrypted entry ${entry.where}`);
        }
        if (this.host.allowEncrypted) this.pendingEncrypted = undefined;
      } else if (this.host.mode === 'archive') {
        this.host.state.suspicious(
          `archive entry ${entry.where} uses unsupported compression method ${entry.method}`,
        );
      }
      return this.skipThen(entry.compressedSize, entry.streamed ? 'descriptor' : 'signature');
    }
    if (entry.method === 0 && !sized) {
      return this.problem(`cannot inspect: stored entry ${entry.where} has no size`);
    }
    this.child = this.host.createChild(entry.where);
    this.entryCrc = 0;
    this.entrySize = 0;
    this.consumed = 0;
    this.remaining = sized ? entry.compressedSize : Number.POSITIVE_INFINITY;
    this.inflater = entry.method === 8 ? new RawInflater((data) => this.emit(data)) : undefined;
    this.phase = 'data';
    if (this.remaining === 0) this.finishData();
  }

  private skipThen(bytes: number, next: Phase): void {
    this.remaining = bytes;
    this.afterSkip = next;
    this.phase = 'skip';
    if (bytes === 0) this.endSkip();
  }

  private afterSkip: Phase = 'signature';

  private skip(chunk: Uint8Array, at: number): number {
    const n = Math.min(this.remaining, chunk.length - at);
    this.remaining -= n;
    this.offset += n;
    if (this.remaining === 0) this.endSkip();
    return n;
  }

  private endSkip(): void {
    this.expect(this.afterSkip, 4);
  }

  private data(chunk: Uint8Array, at: number): number {
    const n = Math.min(this.remaining, chunk.length - at, DECOMPRESS_SLICE_BYTES);
    const slice = chunk.subarray(at, at + n);
    this.remaining -= n;
    this.compressed += n;
    this.consumed += n;
    let rest: Uint8Array | undefined;
    if (this.inflater) {
      try {
        rest = this.inflater.push(slice);
      } catch (error) {
        this.problem(`${errorMessage(error)} in entry ${this.entry!.name}`);
        return n;
      }
    } else {
      this.emit(slice);
    }
    if (this.stopped) return n;
    if (rest !== undefined) {
      // The deflate stream ended: what follows it (possibly bytes of an earlier slice) is walked again.
      this.consumed -= rest.length;
      this.compressed -= rest.length;
      this.offset += n - rest.length;
      if (this.remaining !== Number.POSITIVE_INFINITY && this.remaining + rest.length !== 0) {
        this.problem(`entry ${this.entry!.name} ends before its declared compressed size`);
        return n;
      }
      this.finishData();
      if (rest.length > 0) this.write(rest.slice());
      return n;
    }
    this.offset += n;
    if (this.remaining === 0) {
      if (this.inflater && !this.inflater.finished) {
        this.problem(`entry ${this.entry!.name} is longer than its declared compressed size`);
        return n;
      }
      this.finishData();
    }
    return n;
  }

  private emit(data: Uint8Array): void {
    if (this.stopped) return;
    this.entryCrc = crc32(data, this.entryCrc);
    this.entrySize += data.length;
    this.expanded += data.length;
    if (!this.host.state.addExpanded(data.length)) return;
    if (!this.host.state.checkRatio(this.host.path, this.compressed, this.expanded)) return;
    this.child!.write(data);
  }

  private finishData(): void {
    this.inflater = undefined;
    const entry = this.entry!;
    if (entry.streamed) return this.expect('descriptor', 4);
    this.checkEntry(entry.crc, entry.compressedSize, entry.size);
    this.expect('signature', 4);
  }

  private onDescriptor(bytes: Buffer): void {
    const entry = this.entry!;
    const sizes = entry.zip64 ? 16 : 8;
    if (bytes.readUInt32LE(0) === DESCRIPTOR) {
      this.descriptorCrc = undefined;
      return this.expect('descriptor-body', 4 + sizes);
    }
    this.descriptorCrc = bytes.readUInt32LE(0);
    this.expect('descriptor-body', sizes);
  }

  private descriptorCrc: number | undefined;

  private onDescriptorBody(bytes: Buffer): void {
    const entry = this.entry!;
    const body = this.descriptorCrc === undefined ? bytes : Buffer.concat([Buffer.alloc(4), bytes]);
    if (this.descriptorCrc !== undefined) body.writeUInt32LE(this.descriptorCrc, 0);
    this.expect('signature', 4);
    if (entry.encrypted || (entry.method !== 0 && entry.method !== 8)) return;
    const { crc, compressedSize, size } = readDescriptor(body, entry.zip64);
    this.checkEntry(crc, compressedSize, size);
  }

  private checkEntry(crc: number, compressedSize: number, size: number): void {
    const entry = this.entry!;
    if (crc >>> 0 !== this.entryCrc >>> 0) return this.problem(`CRC-32 mismatch in entry ${entry.name}`);
    if (size !== this.entrySize || compressedSize !== this.consumed) {
      return this.problem(`entry ${entry.name} is not as long as its header says`);
    }
    this.child?.end();
    this.child = undefined;
    this.host.confirm();
  }

  private onEnd(bytes: Buffer): void {
    const { total, cdOffset, commentLength } = readEndRecord(bytes);
    if (this.host.mode === 'archive') {
      if (this.localEntries !== this.centralEntries || (total !== 0xffff && total !== this.centralEntries)) {
        return this.problem(
          `central directory lists ${this.centralEntries} entries (end record: ${total}) ` +
            `but the archive holds ${this.localEntries}`,
        );
      }
      if (cdOffset !== 0xffffffff && cdOffset !== this.centralStart) {
        return this.problem(
          `central directory offset ${cdOffset} does not match its position ${this.centralStart}`,
        );
      }
    }
    if (commentLength === 0) {
      this.phase = 'done';
      return;
    }
    this.expect('comment', commentLength);
  }
}
