import type { ArchiveWalker, ArchiveWalkerHost } from './archive-walker';
import { GzipWalker } from './gzip-walker';
import { InspectionState, type ContentSink } from './inspection-state';
import { ZipWalker } from './zip-walker';

const ZIP_LOCAL_HEADER = Buffer.from([0x50, 0x4b, 0x03, 0x04]);
/** gzip magic and the only compression method gzip defines (8, deflate). */
const GZIP_MEMBER = Buffer.from([0x1f, 0x8b, 0x08]);
/** Bytes kept from the previous chunk so a header split across two chunks is found too. */
const SEAM = ZIP_LOCAL_HEADER.length - 1;
/** Candidates walked at the same time; more at once is itself SUSPICIOUS (a flood meant to hide one). */
export const MAX_OPEN_CANDIDATES = 32;

/** Creates the inspector for content found inside an embedded archive, counting against `state`. */
export type ProbeChildFactory = (state: InspectionState, path: string) => ContentSink;

class Probe implements ArchiveWalkerHost {
  readonly mode = 'embedded';
  readonly state: InspectionState;
  readonly walker: ArchiveWalker;
  confirmed = false;

  constructor(
    private readonly parent: InspectionState,
    readonly kind: 'zip' | 'gzip',
    readonly path: string,
    readonly baseOffset: number,
    private readonly childFactory: ProbeChildFactory,
  ) {
    this.state = new InspectionState(parent.options, parent.budget);
    this.walker = kind === 'zip' ? new ZipWalker(this) : new GzipWalker(this);
  }

  get allowEncrypted(): boolean {
    return this.parent.options.allowEncryptedEntries;
  }

  readonly createChild = (path: string): ContentSink => this.childFactory(this.state, path);

  confirm(): void {
    this.confirmed = true;
    this.flush();
  }

  /** Hands the findings to the object once they are known to be real (or a guard or signature proves it). */
  flush(): void {
    if (this.confirmed || this.state.infected || this.state.bombGuardTripped) {
      this.parent.adopt(this.state.findings.splice(0));
    }
  }
}

/**
 * Finds zip local headers and gzip member headers at any offset of content that is not itself an archive (inside
 * a WAV data chunk, after a PDF's %%EOF, after an ID3 tag, inside an MP4 mdat) and walks each candidate as an
 * archive, with the object's bomb guards and inspectors. Random bytes that look like a header are common in
 * compressed media, so a candidate's findings count only once it proves to be real (see `ArchiveWalkerHost`);
 * candidates that fail to decode are dropped silently. Candidates are found with `Buffer#indexOf`, so content
 * without them costs two memchr-like passes.
 */
export class EmbeddedArchiveFinder implements ContentSink {
  private probes: Probe[] = [];
  private seam: Buffer = Buffer.alloc(0);
  private offset = 0;
  private stopped = false;

  constructor(
    private readonly state: InspectionState,
    private readonly path: string,
    private readonly createChild: ProbeChildFactory,
  ) {}

  write(chunk: Uint8Array): void {
    if (this.stopped || this.state.archivesHalted || chunk.length === 0) return;
    const body = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
    for (const probe of this.probes) probe.walker.write(body);
    if (this.seam.length > 0) {
      const joined = Buffer.concat([this.seam, body.subarray(0, SEAM)]);
      this.find(
        joined,
        this.offset - this.seam.length,
        this.seam.length,
        (probe, at) => {
          // Only headers that reach into this chunk: the others were found with the chunk before.
          probe.walker.write(joined.subarray(at, this.seam.length));
          probe.walker.write(body);
        },
        this.seam.length,
      );
    }
    this.find(body, this.offset, body.length, (probe, at) => probe.walker.write(body.subarray(at)));
    this.offset += body.length;
    this.seam =
      body.length >= SEAM
        ? Buffer.from(body.subarray(body.length - SEAM))
        : Buffer.concat([this.seam, body]).subarray(-SEAM);
    this.sweep();
  }

  end(): void {
    if (this.stopped || this.state.archivesHalted) return;
    for (const probe of this.probes) {
      probe.walker.end();
      probe.flush();
    }
    this.probes = [];
  }

  /** Starts a probe for every candidate header that begins before `limit` in `data` (at object offset `base`). */
  private find(
    data: Buffer,
    base: number,
    limit: number,
    feed: (probe: Probe, at: number) => void,
    seam = 0,
  ): void {
    for (const [kind, magic] of [
      ['zip', ZIP_LOCAL_HEADER],
      ['gzip', GZIP_MEMBER],
    ] as const) {
      for (let at = data.indexOf(magic); at !== -1 && at < limit; at = data.indexOf(magic, at + 1)) {
        if (this.stopped || this.state.archivesHalted) return;
        if (at + magic.length <= seam) continue;
        const offset = base + at;
        if (this.covered(kind)) continue;
        if (this.probes.filter((probe) => !probe.walker.stopped).length >= MAX_OPEN_CANDIDATES) {
          this.state.suspicious(
            `more than ${MAX_OPEN_CANDIDATES} embedded archive headers open at once (at byte offset ${offset} of ${this.path})`,
          );
          this.stopped = true;
          return;
        }
        const probe = new Probe(this.state, kind, `${this.path}@${offset}`, offset, this.createChild);
        this.probes.push(probe);
        feed(probe, at);
      }
    }
  }

  /** A confirmed zip probe still walking covers the later local headers of its own archive. */
  private covered(kind: 'zip' | 'gzip'): boolean {
    return (
      kind === 'zip' &&
      this.probes.some((probe) => probe.kind === 'zip' && probe.confirmed && !probe.walker.stopped)
    );
  }

  private sweep(): void {
    if (!this.probes.some((probe) => probe.walker.stopped)) return;
    this.probes = this.probes.filter((probe) => {
      if (!probe.walker.stopped) return true;
      probe.flush();
      return false;
    });
  }
}
