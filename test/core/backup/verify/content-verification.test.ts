import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { gzipSync } from 'node:zlib';

import { DecryptCommand, GenerateDataKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';

import {
  createEncryptStream,
  createPassphraseKeyResolver,
} from '../../../../core/backup/envelope-encryption';
import type { KeyResolver } from '../../../../core/backup/envelope-encryption';
import { createKmsKeyResolver } from '../../../../core/backup/kms-key-resolver';
import type { BackupDecryptor } from '../../../../core/backup/verify/backup-decryptor';
import { describeBackup } from '../../../../core/backup/verify/backup-object';
import {
  OFF_THREAD_HASH_MIN_BYTES,
  verifyContent,
} from '../../../../core/backup/verify/content-verification';
import { ObjectReadError } from '../../../../core/backup/verify/object-read-error';
import { createEnvelopeDecryptor } from '../../../../core/backup/verify/envelope-decryptor';
import { readObjectInOrder } from '../../../../core/backup/verify/ranged-object-reader';
import { bodyStream, gzipOf } from './fake-backups-bucket';

const kmsMock = mockClient(KMSClient);
const KEY = 'backups/db/20261123/db_20261123_040000.dump';
const DUMP = readFileSync(join(__dirname, '../../../fixtures/backups/shop.dump'));
const DATA_KEY = Buffer.alloc(32, 9);
const MiB = 1024 * 1024;
const WRAPPED = Buffer.from('wrapped-data-key');

let resolver: KeyResolver;

beforeEach(() => {
  kmsMock.reset();
  kmsMock
    .on(GenerateDataKeyCommand)
    .resolves({ Plaintext: DATA_KEY, CiphertextBlob: WRAPPED, KeyId: 'arn:key' });
  kmsMock.on(DecryptCommand).resolves({ Plaintext: DATA_KEY });
  resolver = createKmsKeyResolver({ kms: new KMSClient({ region: 'eu-west-1' }), keyId: 'arn:key' });
});

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

async function encrypt(plain: Buffer, keyResolver: KeyResolver, key = KEY): Promise<Buffer> {
  const dataKey = await keyResolver.generateDataKey({ source: 'db', key });
  const stream = createEncryptStream(dataKey, { segmentSize: 1024 });
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise((resolve) => stream.on('end', resolve));
  stream.end(plain);
  await done;
  return Buffer.concat(chunks);
}

/** A backup as `stowage backup push --encrypt` stores it. */
function encryptedObject(plain: Buffer, stored: Buffer, keySource: 'kms' | 'passphrase') {
  return describeBackup(KEY, {
    $metadata: {},
    ContentLength: stored.length,
    Metadata: {
      sha256: sha256(plain),
      'stored-sha256': sha256(stored),
      'original-size': String(plain.length),
      encryption: 'stowage-aes256gcm-v1',
      'key-source': keySource,
      source: 'db',
    },
  });
}

async function* chunksOf(bytes: Buffer, size = 500) {
  for (let offset = 0; offset < bytes.length; offset += size) yield bytes.subarray(offset, offset + size);
}

function checksOf(outcome: Awaited<ReturnType<typeof verifyContent>>) {
  return Object.fromEntries(outcome.checks.map((check) => [check.name, check]));
}

describe('verifyContent with client-side encryption', () => {
  it('decrypts a KMS-encrypted dump, checks its format and that the plaintext matches the sha256 metadata', async () => {
    // Arrange
    const stored = await encrypt(DUMP, resolver);

    // Act
    const outcome = await verifyContent({
      stored: chunksOf(stored),
      object: encryptedObject(DUMP, stored, 'kms'),
      format: 'pg-dump',
      decryptor: createEnvelopeDecryptor(resolver),
    });

    // Assert
    const checks = checksOf(outcome);
    expect(checks.checksum).toMatchObject({
      ok: true,
      detail: `sha256 of ${stored.length} stored bytes matches stored-sha256`,
    });
    expect(checks.decryption).toMatchObject({
      ok: true,
      detail: `stowage-aes256gcm-v1 (KMS): ${DUMP.length} bytes, sha256 matches`,
    });
    expect(checks.format).toMatchObject({ ok: true });
    expect(outcome.summary?.entries).toBe(24);
    expect(kmsMock.commandCalls(DecryptCommand)[0]!.args[0].input.EncryptionContext).toEqual({
      source: 'db',
      key: KEY,
    });
  });

  it('fails decryption of tampered ciphertext but still verifies (and fails) the stored checksum', async () => {
    // Arrange
    const stored = await encrypt(gzipOf(5000), resolver);
    const object = encryptedObject(gzipOf(5000), stored, 'kms');
    const tampered = Buffer.from(stored);
    tampered[tampered.length - 100] ^= 1;

    // Act
    const outcome = await verifyContent({
      stored: chunksOf(tampered),
      object,
      format: 'gzip',
      decryptor: createEnvelopeDecryptor(resolver),
    });

    // Assert
    const checks = checksOf(outcome);
    expect(checks.checksum?.ok).toBe(false);
    expect(checks.decryption).toMatchObject({
      ok: false,
      detail: expect.stringContaining('failed authentication'),
    });
    expect(checks.format).toMatchObject({ ok: true, skipped: true, detail: 'skipped: not decrypted' });
  });

  it('checks the envelope of a passphrase-encrypted backup without the passphrase, and reports its content unverified', async () => {
    // Arrange
    const passphrase = createPassphraseKeyResolver('correct horse', { cost: { log2N: 10, r: 8, p: 1 } });
    const stored = await encrypt(DUMP, passphrase);

    // Act
    const outcome = await verifyContent({
      stored: chunksOf(stored),
      object: encryptedObject(DUMP, stored, 'passphrase'),
      format: 'pg-dump',
      decryptor: createEnvelopeDecryptor(resolver),
    });

    // Assert
    const header = stored.length - DUMP.length - Math.ceil(DUMP.length / 1024) * 16;
    expect(outcome.checks).toEqual([
      { name: 'checksum', ok: true, detail: `sha256 of ${stored.length} stored bytes matches stored-sha256` },
      {
        name: 'container',
        ok: true,
        detail:
          `passphrase envelope v1: ${header}-byte header + ${DUMP.length} original bytes in ` +
          `${Math.ceil(DUMP.length / 1024)} segments of 1024 bytes + 16-byte tag = ${stored.length} bytes`,
      },
      {
        name: 'decryption',
        ok: false,
        unverified: true,
        detail: 'unverified: passphrase-encrypted and no passphrase given (--passphrase-env VAR)',
      },
      { name: 'format', ok: true, skipped: true, detail: 'skipped: not decrypted' },
    ]);
  });

  it('fails the envelope of a passphrase-encrypted backup cut short, padded or without its header', async () => {
    // Arrange
    const passphrase = createPassphraseKeyResolver('correct horse', { cost: { log2N: 10, r: 8, p: 1 } });
    const stored = await encrypt(DUMP, passphrase);
    const object = encryptedObject(DUMP, stored, 'passphrase');
    const variants = {
      cut: stored.subarray(0, stored.length - 1040),
      padded: Buffer.concat([stored, Buffer.alloc(16)]),
      headless: stored.subarray(10),
    };

    // Act
    const container = async (bytes: Buffer) =>
      checksOf(
        await verifyContent({
          stored: chunksOf(bytes),
          object: { ...object, storedBytes: bytes.length },
          format: 'pg-dump',
        }),
      ).container;

    // Assert
    expect(await container(variants.cut)).toMatchObject({
      ok: false,
      detail: expect.stringMatching(/^\d+ stored bytes, but .* make \d+: the envelope was cut short/),
    });
    expect(await container(variants.padded)).toMatchObject({ ok: false });
    expect(await container(variants.headless)).toMatchObject({
      ok: false,
      detail: 'not a readable envelope: not a Stowage encrypted stream (bad magic)',
    });
  });

  it('decrypts a passphrase-encrypted backup with the passphrase and checks its format, or fails a wrong one', async () => {
    // Arrange
    const cost = { log2N: 10, r: 8, p: 1 };
    const stored = await encrypt(DUMP, createPassphraseKeyResolver('correct horse', { cost }));
    const object = encryptedObject(DUMP, stored, 'passphrase');
    const withPassphrase = (passphrase: string) =>
      verifyContent({
        stored: chunksOf(stored),
        object,
        format: 'pg-dump',
        passphraseDecryptor: createEnvelopeDecryptor(createPassphraseKeyResolver(passphrase)),
      });

    // Act
    const right = checksOf(await withPassphrase('correct horse'));
    const wrong = checksOf(await withPassphrase('battery staple'));

    // Assert
    expect(right.decryption).toMatchObject({
      ok: true,
      detail: `stowage-aes256gcm-v1 (passphrase): ${DUMP.length} bytes, sha256 matches`,
    });
    expect(right.format).toMatchObject({ ok: true, detail: expect.stringContaining('custom format') });
    expect(wrong.decryption).toMatchObject({
      ok: false,
      detail: expect.stringContaining('wrong passphrase'),
    });
  });

  it('fails a KMS-encrypted backup when no decryptor is available, and rethrows KMS errors', async () => {
    // Arrange
    const stored = await encrypt(DUMP, resolver);
    const object = encryptedObject(DUMP, stored, 'kms');
    kmsMock
      .on(DecryptCommand)
      .rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException', $metadata: {} }));

    // Act
    const without = await verifyContent({ stored: chunksOf(stored), object, format: 'pg-dump' });
    const denied = verifyContent({
      stored: chunksOf(stored),
      object,
      format: 'pg-dump',
      decryptor: createEnvelopeDecryptor(resolver),
    });

    // Assert
    expect(checksOf(without).decryption).toMatchObject({
      ok: false,
      detail: expect.stringContaining('no decryptor'),
    });
    await expect(denied).rejects.toMatchObject({ name: 'KmsKeyError' });
  });

  it('passes decrypted bytes through a decryptor stream in order (a custom BackupDecryptor)', async () => {
    // Arrange: an identity "decryption" proves the plumbing independently of the envelope format.
    const plain = gzipOf(4000);
    const identity: BackupDecryptor = {
      createDecryptStream: async () => new PassThrough(),
      isDataError: () => false,
    };
    const object = encryptedObject(plain, plain, 'kms');

    // Act
    const outcome = await verifyContent({
      stored: chunksOf(plain, 77),
      object,
      format: 'gzip',
      decryptor: identity,
    });

    // Assert
    expect(outcome.checks.map((check) => [check.name, check.ok])).toEqual([
      ['checksum', true],
      ['decryption', true],
      ['format', true],
    ]);
  });
});

describe('verifyContent of a large plain gzip (hashed and inflated on a worker thread)', () => {
  const plain = randomBytes(OFF_THREAD_HASH_MIN_BYTES + 123_457);
  const gzip = gzipSync(plain, { level: 1 });

  function gzipObject(stored: Buffer, recordedSha256: string) {
    return describeBackup('backups/files/20261123/files_20261123_040000.gz', {
      $metadata: {},
      ContentLength: stored.length,
      Metadata: { sha256: recordedSha256, 'original-size': String(stored.length), source: 'files' },
    });
  }

  it('passes checksum and format and counts the inflated bytes', async () => {
    // Arrange
    const object = gzipObject(gzip, sha256(gzip));

    // Act
    const outcome = await verifyContent({ stored: chunksOf(gzip, 300_000), object, format: 'gzip' });

    // Assert
    expect(checksOf(outcome)).toEqual({
      checksum: expect.objectContaining({ ok: true }),
      format: expect.objectContaining({
        ok: true,
        detail: `gzip: ${gzip.length} bytes decompress to ${plain.length} bytes`,
      }),
    });
    expect(outcome.summary).toEqual({ uncompressedBytes: plain.length });
  });

  it('fails the format of a truncated gzip while its checksum is still verified over every byte read', async () => {
    // Arrange
    const truncated = gzip.subarray(0, gzip.length - 1000);
    const object = gzipObject(truncated, sha256(truncated));

    // Act
    const outcome = await verifyContent({ stored: chunksOf(truncated, 300_000), object, format: 'gzip' });

    // Assert
    const checks = checksOf(outcome);
    expect(checks.checksum).toEqual(expect.objectContaining({ ok: true }));
    expect(checks.format).toEqual(
      expect.objectContaining({ ok: false, detail: 'gzip: unexpected end of file (Z_BUF_ERROR)' }),
    );
  });

  it('fails the checksum when one stored byte differs from what was recorded', async () => {
    // Arrange
    const tampered = Buffer.from(gzip);
    tampered[tampered.length - 30] = tampered[tampered.length - 30]! ^ 0xff;
    const object = gzipObject(tampered, sha256(gzip));

    // Act
    const outcome = await verifyContent({ stored: chunksOf(tampered, 300_000), object, format: 'gzip' });

    // Assert
    expect(checksOf(outcome).checksum).toEqual(
      expect.objectContaining({ ok: false, detail: expect.stringContaining('sha256 mismatch') }),
    );
  });

  it('rethrows a read error from the middle of the object', async () => {
    // Arrange
    const object = gzipObject(gzip, sha256(gzip));
    async function* failing() {
      yield gzip.subarray(0, 5_000_000);
      throw new ObjectReadError('reading bytes 5000000-... failed: socket hang up', { cause: undefined });
    }

    // Act
    const outcome = verifyContent({ stored: failing(), object, format: 'gzip' });

    // Assert
    await expect(outcome).rejects.toThrow(ObjectReadError);
  });
});

describe('verifyContent of a large plain gzip read with ranged GETs', () => {
  const s3Mock = mockClient(S3Client);
  const s3 = new S3Client({ region: 'eu-west-1' });
  const KEY_GZ = 'backups/files/20261123/files_20261123_040000.gz';
  const plain = randomBytes(OFF_THREAD_HASH_MIN_BYTES + 654_321);
  const gzip = gzipSync(plain, { level: 1 });

  beforeEach(() => s3Mock.reset());

  /** The object `stored` in a bucket answering ranged GETs, read as verify-source reads it. */
  function storedAs(stored: Buffer, recordedSha256: string) {
    s3Mock.on(GetObjectCommand).callsFake((input) => {
      const [, start, end] = /^bytes=(\d+)-(\d+)$/.exec(input.Range)!.map(Number) as [number, number, number];
      return { Body: bodyStream(stored.subarray(start, end + 1), 64 * 1024) };
    });
    const object = describeBackup(KEY_GZ, {
      $metadata: {},
      ContentLength: stored.length,
      Metadata: { sha256: recordedSha256, 'original-size': String(stored.length), source: 'files' },
    });
    const bytes = readObjectInOrder(
      s3,
      { bucket: 'b', key: KEY_GZ, size: stored.length },
      { rangeBytes: MiB },
    );
    return { object, bytes, transient: jest.spyOn(bytes, 'transientChunks') };
  }

  it('hands the worker the reader’s reused shared ranges and passes checksum and format', async () => {
    // Arrange
    const { object, bytes, transient } = storedAs(gzip, sha256(gzip));

    // Act
    const outcome = await verifyContent({ stored: bytes, object, format: 'gzip' });

    // Assert
    expect(transient).toHaveBeenCalledTimes(1);
    expect(checksOf(outcome)).toEqual({
      checksum: expect.objectContaining({ ok: true }),
      format: expect.objectContaining({
        ok: true,
        detail: `gzip: ${gzip.length} bytes decompress to ${plain.length} bytes`,
      }),
    });
    expect(s3Mock.commandCalls(GetObjectCommand).length).toBe(Math.ceil(gzip.length / MiB));
  });

  it('fails a truncated gzip with the same message, and a checksum mismatch, over every stored byte', async () => {
    // Arrange
    const truncated = gzip.subarray(0, gzip.length - 2 * MiB);
    const { object, bytes } = storedAs(truncated, sha256(gzip));

    // Act
    const outcome = await verifyContent({ stored: bytes, object, format: 'gzip' });

    // Assert
    expect(checksOf(outcome)).toEqual({
      checksum: expect.objectContaining({
        ok: false,
        detail: `sha256 mismatch: stored bytes hash to ${sha256(truncated)}, sha256 says ${sha256(gzip)}`,
      }),
      format: expect.objectContaining({ ok: false, detail: 'gzip: unexpected end of file (Z_BUF_ERROR)' }),
    });
  });

  it('rethrows a failed range as ObjectReadError', async () => {
    // Arrange
    const { object, bytes } = storedAs(gzip, sha256(gzip));
    s3Mock
      .on(GetObjectCommand, { Range: `bytes=${2 * MiB}-${3 * MiB - 1}` })
      .rejects(new Error('socket hang up'));

    // Act
    const outcome = verifyContent({ stored: bytes, object, format: 'gzip' });

    // Assert
    await expect(outcome).rejects.toThrow(ObjectReadError);
  });
});
