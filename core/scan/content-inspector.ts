import type { ArchiveWalkerHost } from './archive-walker';
import { createEicarMatcher, EICAR_SIGNATURE } from './eicar';
import { EmbeddedArchiveFinder } from './embedded-archives';
import { GzipWalker } from './gzip-walker';
import type { ContentSink, InspectionState } from './inspection-state';
import { detectType, MAGIC_HEAD_BYTES, type DetectedType } from './magic-bytes';
import type { SequenceMatcher } from './sequence-matcher';
import { createStructureWalker } from './structure';
import { ZipWalker } from './zip-walker';

/**
 * Inspects one piece of content, the object itself (depth 0) or an archive entry (depth ≥ 1): EICAR anywhere in
 * its bytes, its type from the first bytes, and, for zip and gzip content, each entry in turn through a decoder
 * that feeds a child inspector one level deeper. Everything is synchronous and streaming: only the first
 * `MAGIC_HEAD_BYTES` are held back until the type is known.
 */
export class ContentInspector implements ContentSink {
  private readonly eicar: SequenceMatcher = createEicarMatcher();
  private head: Uint8Array[] = [];
  private headLength = 0;
  private decided = false;
  private decoder: ContentSink | undefined;
  private embedded: ContentSink | undefined;
  private structure: ContentSink | undefined;
  private detectedType: DetectedType | undefined;
  private bytes = 0;

  /**
   * @param depth archive nesting level of this content: 0 for the object, 1 for an entry of the object, …
   * @param path where this content is, for reasons: `report.zip!inner.gz!gunzip`
   */
  constructor(
    private readonly state: InspectionState,
    private readonly depth: number,
    private readonly path: string,
  ) {}

  /** Detected type of this content, known after `MAGIC_HEAD_BYTES` bytes or at the end. */
  get detected(): DetectedType | undefined {
    return this.detectedType;
  }

  get bytesSeen(): number {
    return this.bytes;
  }

  write(chunk: Uint8Array): void {
    if (this.state.infected || chunk.length === 0) return;
    this.bytes += chunk.length;
    if (this.eicar.push(chunk)) {
      this.state.infectedBy(EICAR_SIGNATURE, this.path);
      return;
    }
    if (this.decided) {
      this.structure?.write(chunk);
      if (this.decoder && !this.state.archivesHalted) this.decoder.write(chunk);
      if (this.embedded && !this.state.archivesHalted) this.embedded.write(chunk);
      return;
    }
    this.head.push(chunk);
    this.headLength += chunk.length;
    if (this.headLength >= MAGIC_HEAD_BYTES) this.decide();
  }

  end(): void {
    if (this.state.infected) return;
    if (!this.decided) this.decide();
    this.structure?.end();
    if (this.decoder && !this.state.archivesHalted) this.decoder.end();
    if (this.embedded && !this.state.archivesHalted) this.embedded.end();
  }

  private decide(): void {
    this.decided = true;
    const buffered = this.head.length === 1 ? this.head[0]! : Buffer.concat(this.head);
    this.head = [];
    this.detectedType = buffered.length > 0 ? detectType(buffered.subarray(0, MAGIC_HEAD_BYTES)) : undefined;
    const detected = this.detectedType;
    if (!detected) {
      // Content of no known type can still hide an archive.
      this.findEmbeddedArchives(buffered);
      return;
    }

    const { category, family } = detected.type;
    if (this.depth === 0 && this.state.options.checkStructure) {
      this.structure = createStructureWalker(family, (detail) => this.state.suspicious(detail));
      this.structure?.write(buffered);
    }
    if (this.depth > 0 && this.state.options.flagExecutablesInArchives) {
      if (category === 'executable' || category === 'script') {
        this.state.suspicious(`archive entry ${this.path} holds code (${detected.description})`);
      }
    }
    if (!this.state.options.inspectArchives) return;
    if (family !== 'zip' && family !== 'gzip') {
      this.findEmbeddedArchives(buffered);
      return;
    }
    if (this.state.archivesHalted) return;
    const level = this.depth + 1;
    if (level > this.state.limits.maxDepth) {
      this.state.guardTripped(
        'maxDepth',
        `${this.path} is an archive nested ${level} levels deep (limit ${this.state.limits.maxDepth})`,
      );
      return;
    }
    const host: ArchiveWalkerHost = {
      mode: 'archive',
      state: this.state,
      path: this.path,
      baseOffset: 0,
      allowEncrypted: this.state.options.allowEncryptedEntries,
      createChild: (childPath) => new ContentInspector(this.state, level, childPath),
      confirm: () => undefined,
    };
    this.decoder = family === 'zip' ? new ZipWalker(host) : new GzipWalker(host);
    this.decoder.write(buffered);
  }

  /** Archives hidden inside other content are walked one level deeper, like entries. */
  private findEmbeddedArchives(buffered: Uint8Array): void {
    if (!this.state.options.inspectArchives || this.depth + 1 > this.state.limits.maxDepth) return;
    this.embedded = new EmbeddedArchiveFinder(
      this.state,
      this.path,
      (state, childPath) => new ContentInspector(state, this.depth + 1, childPath),
    );
    this.embedded.write(buffered);
  }
}
