/**
 * The envelope header: its byte layout (magic, version, body length, then key source, segment size, nonce prefix,
 * key check and the key source's own fields), the writer and the incremental parser a decrypt stream feeds, and the
 * size arithmetic of a whole envelope.
 */
import { createHmac } from 'crypto';
import { Reader, Writer } from './binary';
import {
  DEFAULT_SEGMENT_SIZE,
  ENVELOPE_MAGIC,
  ENVELOPE_VERSION,
  EnvelopeFormatError,
  KEY_CHECK_LENGTH,
  KEY_SOURCE_CODE,
  MAX_HEADER_BODY,
  MAX_SCRYPT,
  MAX_SEGMENT_SIZE,
  NONCE_PREFIX_LENGTH,
  TAG_LENGTH,
  type DataKey,
  type EnvelopeHeader,
  type KeySourceDescriptor,
} from './format';

/** HMAC-SHA256(key, label), truncated: tells a wrong key or passphrase apart from modified data. */
export function keyCheckOf(key: Buffer): Buffer {
  return createHmac('sha256', key)
    .update('stowage-envelope-key-check-v1')
    .digest()
    .subarray(0, KEY_CHECK_LENGTH);
}

export function encodeHeader(dataKey: DataKey, segmentSize: number, noncePrefix: Buffer): Buffer {
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
