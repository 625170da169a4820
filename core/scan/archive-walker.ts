import type { ChildFactory, ContentSink, InspectionState } from './inspection-state';

/**
 * How an archive walker reports. A walker runs in one of two modes:
 * - `archive`: the content is an archive (detected at its first byte); every structural problem is a finding.
 * - `embedded`: a candidate header found somewhere inside other content. It may be random bytes that happen to
 *   look like a header, so problems end the walk silently, and the host keeps the walker's findings (in a state
 *   of its own) only once the walker `confirm`s that real archive data was found: an entry or member decoded
 *   completely with a matching CRC-32, or an encrypted entry whose declared size ends at the next zip record.
 */
export interface ArchiveWalkerHost {
  readonly mode: 'archive' | 'embedded';
  readonly state: InspectionState;
  /** Where the archive is, for reasons: `upload.wav` or `upload.wav@1234`. */
  readonly path: string;
  /** Offset of the archive's first byte in the object (for reasons that name a byte offset). */
  readonly baseOffset: number;
  readonly createChild: ChildFactory;
  /** Encrypted entries are allowed (not inspected, not reported). */
  readonly allowEncrypted: boolean;
  /** Called when the walker has proof that it walks a real archive. */
  confirm(): void;
}

/** Common shape of the zip and gzip walkers. */
export interface ArchiveWalker extends ContentSink {
  /** True once the walk stopped (end of the archive in embedded mode, or a problem). */
  readonly stopped: boolean;
}
