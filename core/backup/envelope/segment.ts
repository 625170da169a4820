/**
 * One segment of the envelope, both ways: nonce = nonce prefix || index (u32 BE), AAD = SHA-256(header) || index
 * (u32 BE) || final flag (u8), AES-256-GCM with a 16-byte tag after the ciphertext. A segment opened at the wrong
 * index, with the wrong final flag or under another header fails authentication.
 */
import { createCipheriv, createDecipheriv } from 'crypto';
import { EnvelopeAuthenticationError, NONCE_PREFIX_LENGTH, TAG_LENGTH } from './format';

function nonceOf(prefix: Buffer, index: number): Buffer {
  const nonce = Buffer.alloc(NONCE_PREFIX_LENGTH + 4);
  prefix.copy(nonce, 0);
  nonce.writeUInt32BE(index, NONCE_PREFIX_LENGTH);
  return nonce;
}

function aadOf(headerHash: Buffer, index: number, final: boolean): Buffer {
  const aad = Buffer.alloc(headerHash.length + 5);
  headerHash.copy(aad, 0);
  aad.writeUInt32BE(index, headerHash.length);
  aad.writeUInt8(final ? 1 : 0, headerHash.length + 4);
  return aad;
}

export interface SegmentPosition {
  readonly headerHash: Buffer;
  readonly noncePrefix: Buffer;
  readonly index: number;
  readonly final: boolean;
}

/** Seals one segment: ciphertext || tag. */
export function sealSegment(key: Buffer, at: SegmentPosition, plain: Buffer): Buffer {
  const cipher = createCipheriv('aes-256-gcm', key, nonceOf(at.noncePrefix, at.index), {
    authTagLength: TAG_LENGTH,
  });
  cipher.setAAD(aadOf(at.headerHash, at.index, at.final));
  return Buffer.concat([cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
}

/** Opens one sealed segment (ciphertext || tag); a segment that does not authenticate is EnvelopeAuthenticationError. */
export function openSegment(key: Buffer, at: SegmentPosition, sealed: Buffer): Buffer {
  if (sealed.length < TAG_LENGTH) throw new EnvelopeAuthenticationError('encrypted stream truncated');
  const decipher = createDecipheriv('aes-256-gcm', key, nonceOf(at.noncePrefix, at.index), {
    authTagLength: TAG_LENGTH,
  });
  decipher.setAAD(aadOf(at.headerHash, at.index, at.final));
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG_LENGTH));
  const plain = decipher.update(sealed.subarray(0, sealed.length - TAG_LENGTH));
  try {
    decipher.final();
  } catch (error) {
    // Duck-typed: OpenSSL errors may come from another realm (test runners), where instanceof Error fails.
    const message = (error as { message?: unknown } | null)?.message;
    if (typeof message === 'string' && /unable to authenticate/i.test(message)) {
      throw new EnvelopeAuthenticationError(
        `segment ${at.index}${at.final ? ' (last)' : ''} failed authentication: the data was modified, truncated or ` +
          'reordered',
      );
    }
    throw error;
  }
  return plain;
}
