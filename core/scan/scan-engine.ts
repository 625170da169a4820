import type { EngineVerdict } from './verdict';

/** What is known about the object before its bytes are read. */
export interface ScanSubject {
  /** Content-Type declared by the uploader (parameters such as `; codecs=opus` are allowed). */
  readonly declaredContentType?: string;
  /** Original file name or object key; its extension is checked against the content. */
  readonly fileName?: string;
  /** Expected size in bytes, when known (S3 ContentLength); a stream that ends short or long is an ERROR. */
  readonly size?: number;
}

/**
 * The bytes of one object: a Node Readable (not in object or string mode) or any async iterable of byte chunks.
 * Chunks are shared between engines and must not be modified.
 */
export type ScanInput = AsyncIterable<Uint8Array>;

/**
 * A scan engine. `scan` consumes the input (it may stop early once its verdict is certain) and resolves with a
 * verdict. Engines report operational failures as an ERROR verdict rather than rejecting; a rejection is treated
 * as an ERROR verdict by `scanStream` as well.
 */
export interface ScanEngine {
  /** Stable engine name, used in the `scan-engine` tag. */
  readonly name: string;
  scan(input: ScanInput, subject: ScanSubject, signal?: AbortSignal): Promise<EngineVerdict>;
}

/** Narrows an unknown caught value to a message. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) {
    const { code } = error as { code?: unknown };
    return typeof code === 'string' && !error.message.includes(code)
      ? `${code}: ${error.message}`
      : error.message;
  }
  return String(error);
}
