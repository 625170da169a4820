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
 */
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  randomBytes,
  scrypt,
  timingSafeEqual,
} from 'crypto';
import { Transform, type TransformCallback } from 'stream';

/** Scheme id stored in the `encryption` metadata of an encrypted backup. */
export const ENVELOPE_SCHEME = 'stowage-aes256gcm-v1';
/** The `encryption` metadata value of an object stored as is. */
export const NO_ENCRYPTION = 'none';

export const ENVELOPE_MAGIC = Buffer.from('STWENC', 'ascii');
export const ENVELOPE_VERSION = 1;
/** Plaintext bytes per segment (64 KiB). */
export const DEFAULT_SEGMENT_SIZE = 64 * 1024;
export const TAG_LENGTH = 16;
const NONCE_PREFIX_LENGTH = 8;
const KEY_LENGTH = 32;
const KEY_CHECK_LENGTH = 16;
const MAX_SEGMENT_SIZE = 16 * 1024 * 1024;
const MAX_HEADER_BODY = 64 * 1024;
const MAX_SEGMENTS = 2 ** 32;
const KEY_SOURCE_CODE = { kms: 1, passphrase: 2 } as const;

/** Where the data key comes from: the `key-source` metadata value. */
export type KeySourceKind = keyof typeof KEY_SOURCE_CODE;

/** Scrypt cost of new passphrase-encrypted objects: N = 2^15, r = 8, p = 1 (32 MiB, ~0.1 s). */
export const DEFAULT_SCRYPT_COST: ScryptCost = { log2N: 15, r: 8, p: 1 };
/** Upper bounds accepted from a header, so a hostile header cannot make a reader allocate without limit. */
const MAX_SCRYPT = { log2N: 20, r: 32, p: 16 } as const;

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
 * Implementations: createKmsKeyResolver (kms-key-resolver.ts), createPassphraseKeyResolver (here).
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

// ---------------------------------------------------------------------------------------------------------------
// Passphrase key source

export interface PassphraseKeyResolverOptions {
  /** Cost of new keys. Default DEFAULT_SCRYPT_COST. */
  readonly cost?: ScryptCost;
}

export function createPassphraseKeyResolver(
  passphrase: string,
  options: PassphraseKeyResolverOptions = {},
): KeyResolver {
  if (passphrase.length === 0) throw new Error('the passphrase is empty');
  const cost = options.cost ?? DEFAULT_SCRYPT_COST;
  return {
    kind: 'passphrase',
    async generateDataKey() {
      const salt = randomBytes(16);
      return { key: await deriveKey(passphrase, salt, cost), source: { kind: 'passphrase', salt, cost } };
    },
    async resolveDataKey(source) {
      if (source.kind !== 'passphrase') {
        throw new Error(`this object's data key comes from ${source.kind}, not from a passphrase`);
      }
      return deriveKey(passphrase, source.salt, source.cost);
    },
  };
}

function deriveKey(passphrase: string, salt: Buffer, cost: ScryptCost): Promise<Buffer> {
  const N = 2 ** cost.log2N;
  return new Promise((resolve, reject) => {
    scrypt(
      passphrase.normalize('NFC'),
      salt,
      KEY_LENGTH,
      { N, r: cost.r, p: cost.p, maxmem: 256 * N * cost.r },
      (error, key) => (error ? reject(error) : resolve(key)),
    );
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Header

/** HMAC-SHA256(key, label), truncated: tells a wrong key or passphrase apart from modified data. */
function keyCheckOf(key: Buffer): Buffer {
  return createHmac('sha256', key)
    .update('stowage-envelope-key-check-v1')
    .digest()
    .subarray(0, KEY_CHECK_LENGTH);
}

function encodeHeader(dataKey: DataKey, segmentSize: number, noncePrefix: Buffer): Buffer {
  const body = new Writer();
  body.u8(KEY_SOURCE_CODE[dataKey.source.kind]);
  body.u32(segmentSize);
  body.bytes(noncePrefix);
  body.bytes(keyCheckOf(dataKey.key));
  const source = dataKey.source;
  if (source.kind === 'kms') {
    body.string(source.keyId);
    body.blob(source.wrappedKey);
    const entries = Object.entries(source.encryptionContext).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    body.u16(entries.length);
    for (const [name, value] of entries) {
      body.string(name);
      body.string(value);
    }
  } else {
    body.u8(source.salt.length);
    body.bytes(source.salt);
    body.u8(source.cost.log2N);
    body.u32(source.cost.r);
    body.u32(source.cost.p);
  }
  const bodyBytes = body.toBuffer();
  const prefix = Buffer.alloc(ENVELOPE_MAGIC.length + 1 + 4);
  ENVELOPE_MAGIC.copy(prefix, 0);
  prefix.writeUInt8(ENVELOPE_VERSION, ENVELOPE_MAGIC.length);
  prefix.writeUInt32BE(bodyBytes.length, ENVELOPE_MAGIC.length + 1);
  return Buffer.concat([prefix, bodyBytes]);
}

const FIXED_PREFIX_LENGTH = ENVELOPE_MAGIC.length + 1 + 4;

/**
 * Parses a header from the start of `bytes`. Returns undefined while more bytes are needed; throws
 * EnvelopeFormatError when the bytes cannot be a header this version reads.
 */
export function parseEnvelopeHeader(bytes: Buffer): EnvelopeHeader | undefined {
  const magicSeen = bytes.subarray(0, Math.min(bytes.length, ENVELOPE_MAGIC.length));
  if (!ENVELOPE_MAGIC.subarray(0, magicSeen.length).equals(magicSeen)) {
    throw new EnvelopeFormatError('not a Stowage encrypted stream (bad magic)');
  }
  if (bytes.length < FIXED_PREFIX_LENGTH) return undefined;
  const version = bytes.readUInt8(ENVELOPE_MAGIC.length);
  if (version !== ENVELOPE_VERSION) {
    throw new EnvelopeFormatError(
      `unsupported envelope version ${version} (this build reads ${ENVELOPE_VERSION})`,
    );
  }
  const bodyLength = bytes.readUInt32BE(ENVELOPE_MAGIC.length + 1);
  if (bodyLength > MAX_HEADER_BODY) throw new EnvelopeFormatError(`header too long (${bodyLength} bytes)`);
  if (bytes.length < FIXED_PREFIX_LENGTH + bodyLength) return undefined;
  const raw = Buffer.from(bytes.subarray(0, FIXED_PREFIX_LENGTH + bodyLength));
  const reader = new Reader(raw.subarray(FIXED_PREFIX_LENGTH));
  const code = reader.u8();
  const segmentSize = reader.u32();
  if (segmentSize < 1 || segmentSize > MAX_SEGMENT_SIZE) {
    throw new EnvelopeFormatError(`invalid segment size ${segmentSize}`);
  }
  const noncePrefix = reader.bytes(NONCE_PREFIX_LENGTH);
  const keyCheck = reader.bytes(KEY_CHECK_LENGTH);
  let source: KeySourceDescriptor;
  if (code === KEY_SOURCE_CODE.kms) {
    const keyId = reader.string();
    const wrappedKey = reader.blob();
    const count = reader.u16();
    const encryptionContext: Record<string, string> = {};
    for (let i = 0; i < count; i++) encryptionContext[reader.string()] = reader.string();
    source = { kind: 'kms', keyId, wrappedKey, encryptionContext };
  } else if (code === KEY_SOURCE_CODE.passphrase) {
    const salt = reader.bytes(reader.u8());
    const cost = { log2N: reader.u8(), r: reader.u32(), p: reader.u32() };
    if (
      salt.length < 16 ||
      cost.log2N < 1 ||
      cost.log2N > MAX_SCRYPT.log2N ||
      cost.r < 1 ||
      cost.r > MAX_SCRYPT.r ||
      cost.p < 1 ||
      cost.p > MAX_SCRYPT.p
    ) {
      throw new EnvelopeFormatError('passphrase parameters out of range');
    }
    source = { kind: 'passphrase', salt, cost };
  } else {
    throw new EnvelopeFormatError(`unknown key source ${code}`);
  }
  reader.end();
  return { version, segmentSize, noncePrefix, keyCheck, source, raw };
}

/** Byte size of the envelope of `plaintextSize` bytes with a header of `headerSize` bytes. */
export function envelopeSize(
  plaintextSize: number,
  headerSize: number,
  segmentSize = DEFAULT_SEGMENT_SIZE,
): number {
  const segments = Math.max(1, Math.ceil(plaintextSize / segmentSize));
  return headerSize + plaintextSize + segments * TAG_LENGTH;
}

// ---------------------------------------------------------------------------------------------------------------
// Segments

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

interface SegmentPosition {
  readonly headerHash: Buffer;
  readonly noncePrefix: Buffer;
  readonly index: number;
  readonly final: boolean;
}

function sealSegment(key: Buffer, at: SegmentPosition, plain: Buffer): Buffer {
  const cipher = createCipheriv('aes-256-gcm', key, nonceOf(at.noncePrefix, at.index), {
    authTagLength: TAG_LENGTH,
  });
  cipher.setAAD(aadOf(at.headerHash, at.index, at.final));
  return Buffer.concat([cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
}

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
    if (segment.length < TAG_LENGTH) throw new EnvelopeAuthenticationError('encrypted stream truncated');
    const decipher = createDecipheriv('aes-256-gcm', key, nonceOf(header.noncePrefix, index), {
      authTagLength: TAG_LENGTH,
    });
    decipher.setAAD(aadOf(headerHash, index, final));
    decipher.setAuthTag(segment.subarray(segment.length - TAG_LENGTH));
    const plain = decipher.update(segment.subarray(0, segment.length - TAG_LENGTH));
    try {
      decipher.final();
    } catch (error) {
      // Duck-typed: OpenSSL errors may come from another realm (test runners), where instanceof Error fails.
      const message = (error as { message?: unknown } | null)?.message;
      if (typeof message === 'string' && /unable to authenticate/i.test(message)) {
        throw new EnvelopeAuthenticationError(
          `segment ${index}${final ? ' (last)' : ''} failed authentication: the data was modified, truncated or ` +
            'reordered',
        );
      }
      throw error;
    }
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

// ---------------------------------------------------------------------------------------------------------------
// Small binary helpers

/** FIFO of buffers that copies only what it hands out. */
class ByteQueue {
  private chunks: Buffer[] = [];
  length = 0;

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.length += chunk.length;
  }

  /** Everything queued, as one buffer (compacts the queue). */
  peek(): Buffer {
    if (this.chunks.length > 1) this.chunks = [Buffer.concat(this.chunks)];
    return this.chunks[0] ?? Buffer.alloc(0);
  }

  take(count: number): Buffer {
    const out = Buffer.allocUnsafe(count);
    let filled = 0;
    while (filled < count) {
      const head = this.chunks[0]!;
      const used = Math.min(head.length, count - filled);
      head.copy(out, filled, 0, used);
      filled += used;
      if (used === head.length) this.chunks.shift();
      else this.chunks[0] = head.subarray(used);
    }
    this.length -= count;
    return out;
  }
}

class Writer {
  private readonly parts: Buffer[] = [];
  u8(value: number): void {
    const b = Buffer.alloc(1);
    b.writeUInt8(value);
    this.parts.push(b);
  }
  u16(value: number): void {
    const b = Buffer.alloc(2);
    b.writeUInt16BE(value);
    this.parts.push(b);
  }
  u32(value: number): void {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(value);
    this.parts.push(b);
  }
  bytes(value: Buffer): void {
    this.parts.push(value);
  }
  blob(value: Buffer): void {
    this.u16(value.length);
    this.bytes(value);
  }
  string(value: string): void {
    this.blob(Buffer.from(value, 'utf8'));
  }
  toBuffer(): Buffer {
    return Buffer.concat(this.parts);
  }
}

class Reader {
  private offset = 0;
  constructor(private readonly buffer: Buffer) {}
  private need(count: number): void {
    if (this.offset + count > this.buffer.length) throw new EnvelopeFormatError('envelope header truncated');
  }
  u8(): number {
    this.need(1);
    return this.buffer.readUInt8(this.offset++);
  }
  u16(): number {
    this.need(2);
    const value = this.buffer.readUInt16BE(this.offset);
    this.offset += 2;
    return value;
  }
  u32(): number {
    this.need(4);
    const value = this.buffer.readUInt32BE(this.offset);
    this.offset += 4;
    return value;
  }
  bytes(count: number): Buffer {
    this.need(count);
    const value = Buffer.from(this.buffer.subarray(this.offset, this.offset + count));
    this.offset += count;
    return value;
  }
  blob(): Buffer {
    return this.bytes(this.u16());
  }
  string(): string {
    return this.blob().toString('utf8');
  }
  end(): void {
    if (this.offset !== this.buffer.length)
      throw new EnvelopeFormatError('unexpected bytes after the envelope header');
  }
}
