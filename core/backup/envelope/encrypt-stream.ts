/**
 * Plaintext → envelope: a Transform that writes the header, then seals the input in segments of `segmentSize`
 * bytes, holding back at least one byte so that only the flush seals the segment flagged final.
 */
import { createHash, randomBytes } from 'crypto';
import { Transform, type TransformCallback } from 'stream';
import { ByteQueue } from './binary';
import {
  DEFAULT_SEGMENT_SIZE,
  KEY_LENGTH,
  MAX_SEGMENT_SIZE,
  MAX_SEGMENTS,
  NONCE_PREFIX_LENGTH,
  type DataKey,
} from './format';
import { encodeHeader } from './header';
import { sealSegment } from './segment';

export interface EncryptStreamOptions {
  /** Plaintext bytes per segment. Default DEFAULT_SEGMENT_SIZE (64 KiB). */
  readonly segmentSize?: number;
  /**
   * Nonce prefix; default 8 random bytes. Only pass one to reproduce the SAME ciphertext of the SAME plaintext
   * (e.g. to hash an envelope before uploading it); never to encrypt different data under the same key.
   */
  readonly noncePrefix?: Buffer;
}

/** The header an encrypt stream with these settings writes (its size gives envelopeSize). */
export function envelopeHeaderFor(dataKey: DataKey, options: EncryptStreamOptions = {}): Buffer {
  const segmentSize = options.segmentSize ?? DEFAULT_SEGMENT_SIZE;
  if (!Number.isInteger(segmentSize) || segmentSize < 1 || segmentSize > MAX_SEGMENT_SIZE) {
    throw new RangeError(`segment size must be 1..${MAX_SEGMENT_SIZE}, got ${segmentSize}`);
  }
  const noncePrefix = options.noncePrefix ?? randomBytes(NONCE_PREFIX_LENGTH);
  if (noncePrefix.length !== NONCE_PREFIX_LENGTH) throw new RangeError('the nonce prefix must be 8 bytes');
  if (dataKey.key.length !== KEY_LENGTH) throw new RangeError('the data key must be 32 bytes (AES-256)');
  return encodeHeader(dataKey, segmentSize, noncePrefix);
}

/** A Transform that turns plaintext into a `stowage-aes256gcm-v1` envelope. */
export function createEncryptStream(dataKey: DataKey, options: EncryptStreamOptions = {}): Transform {
  const noncePrefix = options.noncePrefix ?? randomBytes(NONCE_PREFIX_LENGTH);
  const header = envelopeHeaderFor(dataKey, { ...options, noncePrefix });
  const segmentSize = options.segmentSize ?? DEFAULT_SEGMENT_SIZE;
  const headerHash = createHash('sha256').update(header).digest();
  const key = Buffer.from(dataKey.key);
  const pending = new ByteQueue();
  let index = 0;
  let headerSent = false;

  const seal = (stream: Transform, plain: Buffer, final: boolean): void => {
    if (index >= MAX_SEGMENTS) throw new RangeError('stream too long for one envelope (2^32 segments)');
    if (!headerSent) {
      stream.push(header);
      headerSent = true;
    }
    stream.push(sealSegment(key, { headerHash, noncePrefix, index, final }, plain));
    index += 1;
  };

  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      try {
        pending.push(chunk);
        // Keep at least one byte back: only the flush knows which segment is the final one.
        while (pending.length > segmentSize) seal(this, pending.take(segmentSize), false);
        callback();
      } catch (error) {
        callback(error as Error);
      }
    },
    flush(callback: TransformCallback) {
      try {
        seal(this, pending.take(pending.length), true);
        key.fill(0);
        callback();
      } catch (error) {
        callback(error as Error);
      }
    },
  });
}
