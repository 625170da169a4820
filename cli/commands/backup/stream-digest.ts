import { createHash } from 'crypto';
import { Transform, type TransformCallback } from 'stream';

/** What a digest stream saw. */
export interface DigestResult {
  /** Lower-case hex SHA-256. */
  readonly sha256: string;
  readonly size: number;
}

export interface DigestStream {
  readonly stream: Transform;
  /** Available once the stream has ended. */
  result(): DigestResult;
  /** Bytes that went through so far. */
  bytes(): number;
}

/** Thrown by a digest stream with an expectation when the bytes differ from what was expected. */
export class DigestMismatchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DigestMismatchError';
  }
}

/**
 * A pass-through that hashes and counts the bytes, calling `onBytes` with the running total. With `expected`, it
 * fails at the end (before signalling end to its reader) when the bytes differ: whoever consumes it never sees a
 * clean end of the wrong bytes.
 */
export function createDigestStream(
  options: {
    readonly expected?: DigestResult;
    readonly describe?: string;
    readonly onBytes?: (total: number) => void;
  } = {},
): DigestStream {
  const hash = createHash('sha256');
  let size = 0;
  let result: DigestResult | undefined;
  const stream = new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      hash.update(chunk);
      size += chunk.length;
      options.onBytes?.(size);
      callback(null, chunk);
    },
    flush(callback: TransformCallback) {
      result = { sha256: hash.digest('hex'), size };
      const expected = options.expected;
      if (expected && (expected.sha256 !== result.sha256 || expected.size !== result.size)) {
        callback(
          new DigestMismatchError(
            `${options.describe ?? 'the data'} changed while it was being read: expected ${expected.size} bytes ` +
              `with SHA-256 ${expected.sha256}, read ${result.size} bytes with SHA-256 ${result.sha256}`,
          ),
        );
        return;
      }
      callback();
    },
  });
  return {
    stream,
    result() {
      if (!result) throw new Error('the digest stream has not ended');
      return result;
    },
    bytes() {
      return size;
    },
  };
}
