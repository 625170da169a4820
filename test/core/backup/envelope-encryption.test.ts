import { randomBytes } from 'crypto';
import { Readable } from 'stream';
import { DecryptCommand, GenerateDataKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';
import {
  createDecryptStream,
  createEncryptStream,
  createPassphraseKeyResolver,
  envelopeHeaderFor,
  envelopeSize,
  parseEnvelopeHeader,
  TAG_LENGTH,
  type DataKey,
  type KeyResolver,
} from '../../../core/backup/envelope-encryption';
import { createKmsKeyResolver, KmsKeyError } from '../../../core/backup/kms-key-resolver';

const FAST = { cost: { log2N: 10, r: 8, p: 1 } };
const SEGMENT = 1024;

async function collect(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Feeds `bytes` in uneven pieces, so segment and header boundaries fall inside chunks. */
function pieces(bytes: Buffer): Readable {
  const parts: Buffer[] = [];
  for (let offset = 0, n = 1; offset < bytes.length; offset += n, n = (n * 7) % 1500 || 1) {
    parts.push(bytes.subarray(offset, offset + n));
  }
  return Readable.from(parts);
}

async function encrypt(plain: Buffer, key: DataKey, segmentSize = SEGMENT): Promise<Buffer> {
  return collect(pieces(plain).pipe(createEncryptStream(key, { segmentSize })));
}

async function decrypt(
  envelope: Buffer,
  resolver: KeyResolver,
  context?: Record<string, string>,
): Promise<Buffer> {
  return collect(pieces(envelope).pipe(createDecryptStream(resolver, { expectedContext: context })));
}

describe('envelope encryption (passphrase)', () => {
  const resolver = createPassphraseKeyResolver('correct horse battery staple', FAST);

  it.each([0, 1, SEGMENT - 1, SEGMENT, SEGMENT + 1, 5 * SEGMENT, 5 * SEGMENT + 17])(
    'round-trips %i bytes and has the documented size',
    async (size) => {
      // Arrange
      const plain = randomBytes(size);
      const key = await resolver.generateDataKey({});
      // Act
      const envelope = await encrypt(plain, key);
      const back = await decrypt(envelope, resolver);
      // Assert
      expect(back.equals(plain)).toBe(true);
      const headerSize = parseEnvelopeHeader(envelope)!.raw.length;
      expect(envelope.length).toBe(envelopeSize(size, headerSize, SEGMENT));
    },
  );

  it('records the scrypt parameters and a random salt in the header', async () => {
    const a = await resolver.generateDataKey({});
    const b = await resolver.generateDataKey({});
    const header = parseEnvelopeHeader(envelopeHeaderFor(a))!;
    expect(header.source).toEqual({ kind: 'passphrase', salt: expect.any(Buffer), cost: FAST.cost });
    expect(a.key.equals(b.key)).toBe(false);
  });

  it('refuses a wrong passphrase with a clear message', async () => {
    // Arrange
    const envelope = await encrypt(randomBytes(3000), await resolver.generateDataKey({}));
    // Act / Assert
    await expect(decrypt(envelope, createPassphraseKeyResolver('wrong', FAST))).rejects.toThrow(
      'wrong passphrase: it does not open this object',
    );
  });

  describe('detects modified data', () => {
    let envelope: Buffer;
    let headerSize: number;
    const sealed = SEGMENT + TAG_LENGTH;
    beforeAll(async () => {
      envelope = await encrypt(randomBytes(4 * SEGMENT + 100), await resolver.generateDataKey({}));
      headerSize = parseEnvelopeHeader(envelope)!.raw.length;
    });

    it('a flipped bit in a segment', async () => {
      const tampered = Buffer.from(envelope);
      tampered[headerSize + sealed + 10] ^= 0x01;
      await expect(decrypt(tampered, resolver)).rejects.toThrow('segment 1 failed authentication');
    });

    it('truncation at a segment boundary (the last segment must carry the final flag)', async () => {
      const truncated = envelope.subarray(0, headerSize + 3 * sealed);
      await expect(decrypt(truncated, resolver)).rejects.toThrow('segment 2 (last) failed authentication');
    });

    it('truncation inside a segment and a missing tag', async () => {
      await expect(decrypt(envelope.subarray(0, envelope.length - 5), resolver)).rejects.toThrow(
        'failed authentication',
      );
      await expect(decrypt(envelope.subarray(0, headerSize + 4 * sealed + 3), resolver)).rejects.toThrow(
        'encrypted stream truncated',
      );
    });

    it('reordered segments', async () => {
      const body = envelope.subarray(headerSize);
      const swapped = Buffer.concat([
        envelope.subarray(0, headerSize),
        body.subarray(sealed, 2 * sealed),
        body.subarray(0, sealed),
        body.subarray(2 * sealed),
      ]);
      await expect(decrypt(swapped, resolver)).rejects.toThrow('segment 0 failed authentication');
    });

    it('a header swapped in from another object under the same passphrase', async () => {
      const other = await encrypt(randomBytes(100), await resolver.generateDataKey({}));
      const otherHeader = other.subarray(0, parseEnvelopeHeader(other)!.raw.length);
      const swapped = Buffer.concat([otherHeader, envelope.subarray(headerSize)]);
      await expect(decrypt(swapped, resolver)).rejects.toThrow('failed authentication');
    });

    it('bytes that are not an envelope, an unknown version, an empty stream', async () => {
      await expect(decrypt(Buffer.from('PK\x03\x04 not an envelope'), resolver)).rejects.toThrow('bad magic');
      const future = Buffer.from(envelope);
      future[6] = 9;
      await expect(decrypt(future, resolver)).rejects.toThrow('unsupported envelope version 9');
      await expect(decrypt(Buffer.alloc(0), resolver)).rejects.toThrow('empty stream');
    });
  });
});

describe('envelope encryption (KMS)', () => {
  const kms = mockClient(KMSClient);
  const dataKey = randomBytes(32);
  const wrapped = randomBytes(184);
  const context = { source: 'db', key: 'backups/db/20260101/db_20260101_000000.dump' };
  const keyArn = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';

  beforeEach(() => {
    kms.reset();
    kms.on(GenerateDataKeyCommand).resolves({ Plaintext: dataKey, CiphertextBlob: wrapped, KeyId: keyArn });
    kms.on(DecryptCommand).resolves({ Plaintext: dataKey, KeyId: keyArn });
  });

  it('wraps the data key under the KMS key with the object as encryption context and round-trips', async () => {
    // Arrange
    const resolver = createKmsKeyResolver({ kms: new KMSClient({}), keyId: 'alias/stowage/dev/backups' });
    const plain = randomBytes(10_000);
    // Act
    const envelope = await encrypt(plain, await resolver.generateDataKey(context));
    const back = await decrypt(envelope, createKmsKeyResolver({ kms: new KMSClient({}) }), context);
    // Assert
    expect(back.equals(plain)).toBe(true);
    expect(kms.commandCalls(GenerateDataKeyCommand)[0]!.args[0].input).toEqual({
      KeyId: 'alias/stowage/dev/backups',
      KeySpec: 'AES_256',
      EncryptionContext: context,
    });
    expect(kms.commandCalls(DecryptCommand)[0]!.args[0].input).toEqual({
      CiphertextBlob: wrapped,
      KeyId: keyArn,
      EncryptionContext: context,
    });
    expect(parseEnvelopeHeader(envelope)!.source).toMatchObject({ kind: 'kms', keyId: keyArn });
  });

  it('refuses an envelope made for another object', async () => {
    const resolver = createKmsKeyResolver({ kms: new KMSClient({}), keyId: 'k' });
    const envelope = await encrypt(randomBytes(10), await resolver.generateDataKey(context));
    await expect(decrypt(envelope, resolver, { ...context, key: 'backups/db/other' })).rejects.toThrow(
      'the data key was made for',
    );
  });

  it('names the operation, key and error code when KMS refuses', async () => {
    // Arrange
    kms.on(GenerateDataKeyCommand).rejects(
      Object.assign(new Error('User is not authorized to perform kms:GenerateDataKey'), {
        name: 'AccessDeniedException',
        $metadata: { httpStatusCode: 400 },
      }),
    );
    const resolver = createKmsKeyResolver({ kms: new KMSClient({}), keyId: 'alias/x' });
    // Act
    const result = resolver.generateDataKey(context);
    // Assert
    await expect(result).rejects.toBeInstanceOf(KmsKeyError);
    await expect(result).rejects.toThrow(
      /^KMS GenerateDataKey with key alias\/x failed: AccessDeniedException: User is not authorized.*key policy/,
    );
  });
});
