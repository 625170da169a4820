/**
 * The vocabulary of the `stowage-aes256gcm-v1` envelope (docs/backup-encryption.md): its constants and size limits,
 * the key-source types the header records, the KeyResolver port both key sources implement, the parsed header and
 * the two errors a reader can raise. No logic lives here; header.ts, segment.ts and the streams build on it.
 */

/** Scheme id stored in the `encryption` metadata of an encrypted backup. */
export const ENVELOPE_SCHEME = 'stowage-aes256gcm-v1';
/** The `encryption` metadata value of an object stored as is. */
export const NO_ENCRYPTION = 'none';

export const ENVELOPE_MAGIC = Buffer.from('STWENC', 'ascii');
export const ENVELOPE_VERSION = 1;
/** Plaintext bytes per segment (64 KiB). */
export const DEFAULT_SEGMENT_SIZE = 64 * 1024;
export const TAG_LENGTH = 16;
export const NONCE_PREFIX_LENGTH = 8;
export const KEY_LENGTH = 32;
export const KEY_CHECK_LENGTH = 16;
export const MAX_SEGMENT_SIZE = 16 * 1024 * 1024;
export const MAX_HEADER_BODY = 64 * 1024;
export const MAX_SEGMENTS = 2 ** 32;
export const KEY_SOURCE_CODE = { kms: 1, passphrase: 2 } as const;

/** Where the data key comes from: the `key-source` metadata value. */
export type KeySourceKind = keyof typeof KEY_SOURCE_CODE;

/** Scrypt cost of new passphrase-encrypted objects: N = 2^15, r = 8, p = 1 (32 MiB, ~0.1 s). */
export const DEFAULT_SCRYPT_COST: ScryptCost = { log2N: 15, r: 8, p: 1 };
/** Upper bounds accepted from a header, so a hostile header cannot make a reader allocate without limit. */
export const MAX_SCRYPT = { log2N: 20, r: 32, p: 16 } as const;

export interface ScryptCost {
  readonly log2N: number;
  readonly r: number;
  readonly p: number;
}

/** What the header records about the data key: enough to get it back with the right secret. */
export type KeySourceDescriptor =
  | {
      readonly kind: 'kms';
      /** The KMS key that wrapped the data key (as KMS reported it, usually the key ARN). */
      readonly keyId: string;
      /** CiphertextBlob of GenerateDataKey. */
      readonly wrappedKey: Buffer;
      /** The encryption context the data key is bound to, e.g. {source, key}. */
      readonly encryptionContext: Readonly<Record<string, string>>;
    }
  | { readonly kind: 'passphrase'; readonly salt: Buffer; readonly cost: ScryptCost };

/** A data key ready for encryption: the plaintext key and how a reader will get it back. */
export interface DataKey {
  readonly key: Buffer;
  readonly source: KeySourceDescriptor;
}

/**
 * Supplies data keys: a fresh one to encrypt an object, and the one a header describes to decrypt it.
 * Implementations: createKmsKeyResolver (kms-key-resolver.ts), createPassphraseKeyResolver (envelope/passphrase-key-resolver.ts).
 */
export interface KeyResolver {
  readonly kind: KeySourceKind;
  /** A fresh data key for one object; `context` names it (KMS encryption context). */
  generateDataKey(context: Readonly<Record<string, string>>): Promise<DataKey>;
  /** The plaintext data key of a header's key source. */
  resolveDataKey(source: KeySourceDescriptor): Promise<Buffer>;
}

/** The bytes are not an envelope of a version this code reads, or the header is damaged. */
export class EnvelopeFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EnvelopeFormatError';
  }
}

/** The data does not authenticate: wrong key or passphrase, or modified, truncated or reordered data. */
export class EnvelopeAuthenticationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EnvelopeAuthenticationError';
  }
}

export interface EnvelopeHeader {
  readonly version: number;
  readonly segmentSize: number;
  readonly noncePrefix: Buffer;
  readonly keyCheck: Buffer;
  readonly source: KeySourceDescriptor;
  /** The header bytes as stored (hashed into every segment's AAD). */
  readonly raw: Buffer;
}
