/**
 * Envelope → plaintext: a Transform that parses the header as its bytes arrive, checks the key source against the
 * resolver and the expected encryption context, resolves and checks the data key, then opens one segment at a time
 * (the last one must carry the final flag).
 */
import { createHash, timingSafeEqual } from 'crypto';
import { Transform, type TransformCallback } from 'stream';
import { ByteQueue } from './binary';
import {
  EnvelopeAuthenticationError,
  EnvelopeFormatError,
  KEY_LENGTH,
  TAG_LENGTH,
  type EnvelopeHeader,
  type KeyResolver,
} from './format';
import { keyCheckOf, parseEnvelopeHeader } from './header';
import { openSegment } from './segment';

export interface DecryptStreamOptions {
  /**
   * With a KMS key source: the encryption context the object must have been encrypted for (e.g. its own
   * {source, key}). A header copied from another object fails with EnvelopeAuthenticationError.
   */
  readonly expectedContext?: Readonly<Record<string, string>>;
  /** Called once with the parsed header, before any plaintext is released. */
  readonly onHeader?: (header: EnvelopeHeader) => void;
}

/**
 * A Transform that turns an envelope back into plaintext. Every segment is authenticated before its plaintext is
 * released; a stream cut at a segment boundary is only detected at the end (the last segment must carry the final
 * flag), so write the output somewhere temporary and keep it only when the stream ends without error.
 */
export function createDecryptStream(resolver: KeyResolver, options: DecryptStreamOptions = {}): Transform {
  const pending = new ByteQueue();
  let state: { header: EnvelopeHeader; key: Buffer; headerHash: Buffer } | undefined;
  let index = 0;

  const open = (segment: Buffer, final: boolean): Buffer => {
    const { header, key, headerHash } = state!;
    const plain = openSegment(key, { headerHash, noncePrefix: header.noncePrefix, index, final }, segment);
    index += 1;
    return plain;
  };

  const start = async (): Promise<void> => {
    const header = parseEnvelopeHeader(pending.peek())!;
    pending.take(header.raw.length);
    if (header.source.kind === 'kms' && options.expectedContext) {
      const actual = header.source.encryptionContext;
      const expected = options.expectedContext;
      const same =
        Object.keys(actual).length === Object.keys(expected).length &&
        Object.entries(expected).every(([name, value]) => actual[name] === value);
      if (!same) {
        throw new EnvelopeAuthenticationError(
          `the data key was made for ${JSON.stringify(actual)}, not for ${JSON.stringify(expected)}`,
        );
      }
    }
    if (header.source.kind !== resolver.kind) {
      throw new EnvelopeFormatError(
        `this object was encrypted with a ${header.source.kind} key, but a ${resolver.kind} key was given`,
      );
    }
    const key = await resolver.resolveDataKey(header.source);
    if (key.length !== KEY_LENGTH || !timingSafeEqual(keyCheckOf(key), header.keyCheck)) {
      throw new EnvelopeAuthenticationError(
        header.source.kind === 'passphrase'
          ? 'wrong passphrase: it does not open this object'
          : 'the KMS data key does not match this object',
      );
    }
    options.onHeader?.(header);
    state = { header, key, headerHash: createHash('sha256').update(header.raw).digest() };
  };

  const drain = (stream: Transform): void => {
    const sealedSize = state!.header.segmentSize + TAG_LENGTH;
    while (pending.length > sealedSize) stream.push(open(pending.take(sealedSize), false));
  };

  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      pending.push(chunk);
      if (state) {
        try {
          drain(this);
          callback();
        } catch (error) {
          callback(error as Error);
        }
        return;
      }
      let ready: boolean;
      try {
        ready = parseEnvelopeHeader(pending.peek()) !== undefined;
      } catch (error) {
        callback(error as Error);
        return;
      }
      if (!ready) {
        callback();
        return;
      }
      start().then(
        () => {
          try {
            drain(this);
            callback();
          } catch (error) {
            callback(error as Error);
          }
        },
        (error: Error) => callback(error),
      );
    },
    flush(callback: TransformCallback) {
      try {
        if (!state) {
          throw new EnvelopeFormatError(
            pending.length === 0
              ? 'empty stream: no envelope header'
              : 'stream ends inside the envelope header',
          );
        }
        this.push(open(pending.take(pending.length), true));
        state.key.fill(0);
        callback();
      } catch (error) {
        callback(error as Error);
      }
    },
  });
}
