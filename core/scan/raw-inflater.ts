import { Inflate } from 'fflate';

/** fflate's Inflate state, as its own Gunzip reads it to find where one member's deflate data ends. */
interface InflateInternals {
  /** Pending input not yet consumed (starts at the byte that holds the bit position). */
  p: Uint8Array;
  /** Decoder state: `f` last block seen, `l` inside a block, `p` bit position within `p`. */
  s: { f?: number; l?: unknown; p?: number };
}

/**
 * Streaming raw-DEFLATE decoder that knows where the deflate stream ends: zip entries with data descriptors and
 * gzip members carry no compressed length, so the bytes after the final block (trailer, next header) must be
 * handed back. Built on fflate's Inflate and the same internal fields its Gunzip uses for concatenated members
 * (fflate is pinned to an exact version; a unit test covers the end detection).
 */
export class RawInflater {
  private readonly inflate: Inflate;
  private done = false;

  constructor(onData: (data: Uint8Array) => void) {
    this.inflate = new Inflate((data) => {
      if (data.length > 0) onData(data);
    });
  }

  /** True once the final deflate block was decoded. */
  get finished(): boolean {
    return this.done;
  }

  /**
   * Decodes `data`; returns the bytes after the end of the deflate stream once it ended (else undefined).
   * Throws on corrupt data.
   */
  push(data: Uint8Array): Uint8Array | undefined {
    if (this.done) return data;
    this.inflate.push(data, false);
    const internals = this.inflate as unknown as InflateInternals;
    if (internals.s.f && !internals.s.l) {
      this.done = true;
      const rest = internals.p.subarray(((internals.s.p ?? 0) + 7) >> 3);
      internals.p = new Uint8Array(0);
      return rest;
    }
    return undefined;
  }

  /** Declares the input complete; throws (`unexpected EOF`) when the deflate stream is cut short. */
  finish(): void {
    if (!this.done) this.inflate.push(new Uint8Array(0), true);
    this.done = true;
  }
}
