/**
 * Stowage client-side envelope encryption, format `stowage-aes256gcm-v1` (docs/backup-encryption.md).
 *
 * A stream is one header followed by segments. Each segment seals up to `segmentSize` plaintext bytes with
 * AES-256-GCM under a per-object data key; nonce = 8-byte random prefix (header) || 4-byte big-endian segment
 * index; AAD = SHA-256(header) || index (u32 BE) || final flag (u8). Truncation, reordering, dropping, duplicating
 * segments and swapping headers all fail authentication. The data key comes from KMS (GenerateDataKey, wrapped
 * key stored in the header, bound to an encryption context naming the object) or from a passphrase (scrypt with a
 * random salt and the cost parameters stored in the header).
 *
 * Both directions are Node Transforms with bounded memory (about two segments).
 *
 * This file is the public face of the format; the implementation lives in envelope/: format.ts (constants, types,
 * errors), header.ts (header layout and parser), segment.ts (seal and open one segment), encrypt-stream.ts,
 * decrypt-stream.ts, passphrase-key-resolver.ts and binary.ts (byte queue, header writer and reader).
 */
export {
  DEFAULT_SCRYPT_COST,
  DEFAULT_SEGMENT_SIZE,
  ENVELOPE_MAGIC,
  ENVELOPE_SCHEME,
  ENVELOPE_VERSION,
  EnvelopeAuthenticationError,
  EnvelopeFormatError,
  NO_ENCRYPTION,
  TAG_LENGTH,
  type DataKey,
  type EnvelopeHeader,
  type KeyResolver,
  type KeySourceDescriptor,
  type KeySourceKind,
  type ScryptCost,
} from './envelope/format';
export { envelopeSize, parseEnvelopeHeader } from './envelope/header';
export {
  createPassphraseKeyResolver,
  type PassphraseKeyResolverOptions,
} from './envelope/passphrase-key-resolver';
export { createEncryptStream, envelopeHeaderFor, type EncryptStreamOptions } from './envelope/encrypt-stream';
export { createDecryptStream, type DecryptStreamOptions } from './envelope/decrypt-stream';
