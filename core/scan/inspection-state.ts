/** Shared state of one built-in inspection: limits, budgets and findings, across all archive levels. */

/** Guards against decompression bombs. All apply across the whole object, every nesting level included. */
export interface ArchiveLimits {
  /** Total decompressed bytes produced at all levels. Default 1 GiB. */
  readonly maxExpandedBytes: number;
  /** Decompressed / compressed bytes of one archive, checked once it expanded `ratioCheckMinBytes`. Default 250. */
  readonly maxCompressionRatio: number;
  /** Decompressed bytes of an archive below which the ratio is not checked (tiny files compress well). Default 1 MiB. */
  readonly ratioCheckMinBytes: number;
  /** Archive nesting levels inspected: 1 = the object is an archive, 2 = an archive inside it, … Default 3. */
  readonly maxDepth: number;
  /** Archive entries (zip files, gzip members count as one stream) at all levels together. Default 10,000. */
  readonly maxEntries: number;
}

export const DEFAULT_ARCHIVE_LIMITS: ArchiveLimits = {
  maxExpandedBytes: 1024 * 1024 * 1024,
  maxCompressionRatio: 250,
  ratioCheckMinBytes: 1024 * 1024,
  maxDepth: 3,
  maxEntries: 10_000,
};

/** Validates partial limits over the defaults; throws one error listing every bad value. */
export function resolveArchiveLimits(overrides: Partial<ArchiveLimits> = {}): ArchiveLimits {
  const limits: ArchiveLimits = { ...DEFAULT_ARCHIVE_LIMITS, ...overrides };
  const problems = (Object.keys(DEFAULT_ARCHIVE_LIMITS) as (keyof ArchiveLimits)[])
    .filter((key) => !Number.isFinite(limits[key]) || limits[key] < (key === 'ratioCheckMinBytes' ? 0 : 1))
    .map(
      (key) =>
        `${key} must be a finite number >= ${key === 'ratioCheckMinBytes' ? 0 : 1}, got ${limits[key]}`,
    );
  if (problems.length > 0) throw new RangeError(`invalid archive limits: ${problems.join('; ')}`);
  return limits;
}

export interface Finding {
  readonly status: 'INFECTED' | 'SUSPICIOUS';
  readonly reason: string;
  readonly signature?: string;
}

export interface InspectionOptions {
  readonly limits: ArchiveLimits;
  readonly inspectArchives: boolean;
  readonly flagExecutablesInArchives: boolean;
  /** Encrypted archive entries are accepted without inspection instead of being SUSPICIOUS. */
  readonly allowEncryptedEntries: boolean;
  /** Check that the object is a complete, consistent instance of its detected type. */
  readonly checkStructure: boolean;
}

/** Budgets the guards count against, shared by every archive found in one object. */
export interface InspectionBudget {
  expandedBytes: number;
  entries: number;
  /**
   * The object's own state. A budget spent anywhere (a probe's nested candidates included) is reported there, so
   * a flood of decoy candidates cannot exhaust the budget and leave a real archive after them uninspected.
   */
  owner?: InspectionState;
}

/** Receives the bytes of one piece of content (the object, or one archive entry). */
export interface ContentSink {
  write(chunk: Uint8Array): void;
  end(): void;
}

/** Creates the inspector for one archive entry, given where it is (`outer.zip!inner.txt`). */
export type ChildFactory = (path: string) => ContentSink;

export class InspectionState {
  readonly findings: Finding[] = [];
  /** Set once a signature matched: nothing more can change the verdict. */
  infected = false;
  /** Set once an archive guard tripped or an archive was unreadable: decompression stops everywhere. */
  archivesHalted = false;
  /**
   * Set once a guard against decompression bombs tripped (expanded bytes, ratio): real compressed data did that,
   * so an embedded-archive candidate counts even before one of its entries completes.
   */
  bombGuardTripped = false;

  /**
   * @param budget shared with the object's other states: an embedded-archive probe gets a state of its own (its
   * findings count only once it is confirmed) but spends the object's budgets
   */
  constructor(
    readonly options: InspectionOptions,
    readonly budget: InspectionBudget = { expandedBytes: 0, entries: 0 },
  ) {
    budget.owner ??= this;
  }

  get limits(): ArchiveLimits {
    return this.options.limits;
  }

  get expandedBytes(): number {
    return this.budget.expandedBytes;
  }

  /** Takes over the findings of a confirmed embedded-archive probe. */
  adopt(findings: readonly Finding[]): void {
    for (const finding of findings) {
      if (finding.status === 'INFECTED') {
        if (this.infected) continue;
        this.infected = true;
        this.archivesHalted = true;
      }
      this.findings.push(finding);
    }
  }

  infectedBy(signature: string, where: string): void {
    if (this.infected) return;
    this.infected = true;
    this.archivesHalted = true;
    this.findings.push({ status: 'INFECTED', signature, reason: `${signature} found in ${where}` });
  }

  suspicious(reason: string): void {
    this.findings.push({ status: 'SUSPICIOUS', reason });
  }

  /** An archive guard tripped: report it and stop decompressing. */
  guardTripped(guard: keyof ArchiveLimits, detail: string): void {
    if (this.archivesHalted) return;
    this.archivesHalted = true;
    if (guard === 'maxExpandedBytes' || guard === 'maxCompressionRatio') this.bombGuardTripped = true;
    this.suspicious(`archive guard ${guard} exceeded: ${detail}`);
  }

  /** An archive could not be read to its end: report it and stop decompressing. */
  unreadableArchive(where: string, detail: string): void {
    if (this.archivesHalted) return;
    this.archivesHalted = true;
    this.suspicious(`corrupt or truncated archive ${where}: ${detail}`);
  }

  /** Counts decompressed bytes against the total budget; false once the budget is exceeded. */
  addExpanded(bytes: number): boolean {
    this.budget.expandedBytes += bytes;
    if (this.budget.expandedBytes > this.limits.maxExpandedBytes) {
      const detail = `more than ${this.limits.maxExpandedBytes} bytes decompressed`;
      this.guardTripped('maxExpandedBytes', detail);
      this.budget.owner?.guardTripped('maxExpandedBytes', detail);
      return false;
    }
    return true;
  }

  /** Counts one archive entry; false once there are too many. */
  addEntry(where: string): boolean {
    this.budget.entries += 1;
    if (this.budget.entries > this.limits.maxEntries) {
      const detail = `more than ${this.limits.maxEntries} entries (at ${where})`;
      this.guardTripped('maxEntries', detail);
      this.budget.owner?.guardTripped('maxEntries', detail);
      return false;
    }
    return true;
  }

  /** Checks one archive's expansion ratio; false once it is too high. */
  checkRatio(where: string, compressed: number, expanded: number): boolean {
    const { maxCompressionRatio, ratioCheckMinBytes } = this.limits;
    if (expanded < ratioCheckMinBytes || expanded <= compressed * maxCompressionRatio) return true;
    const ratio = Math.round(expanded / Math.max(compressed, 1));
    this.guardTripped('maxCompressionRatio', `${where} expands ${ratio}:1 (limit ${maxCompressionRatio}:1)`);
    return false;
  }
}

/** Largest slice pushed into a decompressor at once: bounds the output of one push to about 1032 times this. */
export const DECOMPRESS_SLICE_BYTES = 8 * 1024;
