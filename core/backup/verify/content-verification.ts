import { createHash, type Hash } from 'node:crypto';
import { Readable, type Duplex } from 'node:stream';

import { BACKUP_METADATA } from '../backup-layout';
import type { BackupSourceConfig } from '../backup-source';
import { DecryptionError, type BackupDecryptor } from './backup-decryptor';
import type { BackupObject } from './backup-object';
import { checkEnvelopeContainer } from './envelope-container-check';
import { FormatError, UnverifiableError } from './format-error';
import { FORMAT_VALIDATORS, GUNZIP_CHUNK_BYTES, gzipOutcome, type FormatOutcome } from './format-validators';
import { ObjectReadError } from './object-read-error';
import { OffThreadSha256 } from './off-thread-sha256';
import { hasTransientChunks } from './ranged-object-reader';
import {
  failed,
  passed,
  skipped,
  unverified,
  type CheckResult,
  type ContentSummary,
} from './verification-report';
import { describeError } from './error-message';

export interface ContentInput {
  /** The stored bytes, in order (readObjectInOrder: a large plain gzip is read through its transient chunks). */
  readonly stored: AsyncIterable<Uint8Array>;
  readonly object: BackupObject;
  readonly format: BackupSourceConfig['format'];
  /** Opens KMS-encrypted backups; without it their content cannot be checked (a failure, never a silent pass). */
  readonly decryptor?: BackupDecryptor;
  /**
   * Opens passphrase-encrypted backups (`stowage backup verify --passphrase-env`). Without it their envelope is
   * checked (container) and their content is `unverified`.
   */
  readonly passphraseDecryptor?: BackupDecryptor;
}

export interface ContentOutcome {
  /** `checksum`, then `decryption` for client-side encrypted backups, then `format`. */
  readonly checks: readonly CheckResult[];
  readonly summary?: ContentSummary;
}

const SHA256_HEX = /^[0-9a-f]{64}$/;

/**
 * Stored bytes from which their SHA-256 runs on a worker thread (OffThreadSha256), in parallel with reading and
 * inflating; below it, starting a worker costs more than it saves and the hash runs inline.
 */
export const OFF_THREAD_HASH_MIN_BYTES = 8 * 1024 * 1024;

/**
 * Reads the stored bytes exactly once, streaming: their SHA-256 is compared with metadata `stored-sha256` (or
 * `sha256` when not encrypted), and the same bytes, decrypted when the data key is KMS-wrapped, go through the
 * format check. A format check that fails early does not stop the checksum: the rest is read and hashed.
 * Passphrase-encrypted backups are opened with `passphraseDecryptor` when given; without it their envelope's
 * framing and lengths are checked (container) and decryption is `unverified`. Content the format check cannot
 * open is `unverified`, never passed. Read failures (ObjectReadError) and key resolution failures are thrown.
 */
export async function verifyContent(input: ContentInput): Promise<ContentOutcome> {
  if (input.object.storedBytes < OFF_THREAD_HASH_MIN_BYTES) {
    return verifyContentWith(input, createHash('sha256'));
  }
  // A large plain gzip is hashed AND inflated on the worker, which reads the reader's reused shared range buffers in
  // place and inflates into one reused output buffer: neither leaves garbage for a collector on either thread
  // (measured on 1 GiB: collecting the inflated bytes took 2.4 of 7 CPU seconds inline; see BENCHMARKS.md).
  const gunzipOnWorker = input.format === 'gzip' && input.object.encryption.kind === 'none';
  const worker = new OffThreadSha256(gunzipOnWorker ? { gunzipChunkBytes: GUNZIP_CHUNK_BYTES } : {});
  try {
    return gunzipOnWorker ? await verifyGzipOnWorker(input, worker) : await verifyContentWith(input, worker);
  } finally {
    await worker.destroy();
  }
}

/** Plain gzip: every stored byte goes to the worker, which hashes it and inflates it to the end, in order. */
async function verifyGzipOnWorker(input: ContentInput, worker: OffThreadSha256): Promise<ContentOutcome> {
  let storedBytes = 0;
  // `update` resolves once the worker is done with a chunk (or has copied it), so the reader may reuse its buffers.
  const stored = hasTransientChunks(input.stored) ? input.stored.transientChunks() : input.stored;
  for await (const chunk of stored) {
    await worker.update(chunk);
    storedBytes += chunk.length;
  }
  const result = await worker.finish();
  if (!result.gunzip) throw new Error('the SHA-256 worker did not inflate the gzip it was asked to');
  const checksum = checkStoredChecksum(input.object, result.digest, storedBytes);
  let format: { check: CheckResult; summary?: ContentSummary };
  try {
    const outcome = gzipOutcome(storedBytes, result.gunzip.inflatedBytes, result.gunzip.error);
    format = { check: passed('format', outcome.detail), summary: outcome.summary };
  } catch (error) {
    if (!(error instanceof FormatError)) throw error;
    format = { check: failed('format', error.message) };
  }
  return { checks: [checksum, format.check], ...(format.summary ? { summary: format.summary } : {}) };
}

async function verifyContentWith(input: ContentInput, storedHash: StreamHash): Promise<ContentOutcome> {
  const { object } = input;
  let storedBytes = 0;
  const source = hashing(input.stored, storedHash, (length) => (storedBytes += length));
  // Consumers get a view without return(): one that stops early leaves the rest for the drain below.
  const view: AsyncIterable<Uint8Array> = { [Symbol.asyncIterator]: () => ({ next: () => source.next() }) };

  const contentChecks: CheckResult[] = [];
  let summary: ContentSummary | undefined;
  const encryption = object.encryption;
  if (encryption.kind === 'none') {
    const format = await checkFormat(input.format, view);
    contentChecks.push(format.check);
    summary = format.summary;
  } else if (encryption.kind === 'passphrase' && input.passphraseDecryptor) {
    const decryptor = input.passphraseDecryptor;
    const decrypt = await decryptor.createDecryptStream({ key: object.key, metadata: object.metadata });
    const decrypted = await checkDecrypted(input, decryptor, decrypt, view);
    contentChecks.push(...decrypted.checks);
    summary = decrypted.summary;
  } else if (encryption.kind === 'passphrase') {
    const container = await checkEnvelopeContainer(view, object, 'passphrase');
    contentChecks.push(
      container,
      container.ok
        ? unverified('decryption', 'passphrase-encrypted and no passphrase given (--passphrase-env VAR)')
        : skipped('decryption', 'the envelope is damaged'),
      skipped('format', 'not decrypted'),
    );
  } else if (encryption.kind === 'unknown') {
    contentChecks.push(
      failed(
        'decryption',
        `unknown client-side encryption '${encryption.scheme}' (key source '${encryption.keySource}')`,
      ),
      skipped('format', 'not decrypted'),
    );
  } else if (!input.decryptor) {
    contentChecks.push(
      failed('decryption', `KMS-encrypted (${encryption.scheme}) and this verifier has no decryptor`),
      skipped('format', 'not decrypted'),
    );
  } else {
    const decrypt = await input.decryptor.createDecryptStream({ key: object.key, metadata: object.metadata });
    const decrypted = await checkDecrypted(input, input.decryptor, decrypt, view);
    contentChecks.push(...decrypted.checks);
    summary = decrypted.summary;
  }

  for (;;) {
    if ((await source.next()).done) break;
  }
  const digest = storedHash instanceof OffThreadSha256 ? await storedHash.digest() : storedHash.digest('hex');
  const checksum = checkStoredChecksum(object, digest, storedBytes);
  return { checks: [checksum, ...contentChecks], ...(summary ? { summary } : {}) };
}

async function checkFormat(
  format: BackupSourceConfig['format'],
  content: AsyncIterable<Uint8Array>,
): Promise<{ check: CheckResult; summary?: ContentSummary }> {
  if (format === 'raw') return { check: skipped('format', 'raw backups have no format to check') };
  let outcome: FormatOutcome;
  try {
    outcome = await FORMAT_VALIDATORS[format](content);
  } catch (error) {
    if (error instanceof FormatError) return { check: failed('format', error.message) };
    if (error instanceof UnverifiableError) return { check: unverified('format', error.message) };
    throw error;
  }
  return { check: passed('format', outcome.detail), summary: outcome.summary };
}

async function checkDecrypted(
  input: ContentInput,
  decryptor: BackupDecryptor,
  decrypt: Duplex,
  view: AsyncIterable<Uint8Array>,
): Promise<{ checks: CheckResult[]; summary?: ContentSummary }> {
  const plainHash = createHash('sha256');
  let plainBytes = 0;
  const encrypted = Readable.from(view);
  encrypted.once('error', (error) => decrypt.destroy(error));
  encrypted.pipe(decrypt);
  const plain = hashing(decrypting(decrypt, decryptor), plainHash, (length) => (plainBytes += length));
  const plainView: AsyncIterable<Uint8Array> = {
    [Symbol.asyncIterator]: () => ({ next: () => plain.next() }),
  };
  try {
    const format = await checkFormat(input.format, plainView);
    if (!format.check.ok && !format.check.unverified) return { checks: [decryptionUnproven(), format.check] };
    for (;;) {
      if ((await plain.next()).done) break;
    }
    const expected = input.object.metadata[BACKUP_METADATA.SHA256];
    const { encryption } = input.object;
    const scheme = encryption.kind === 'kms' || encryption.kind === 'passphrase' ? encryption.scheme : 'kms';
    const keySource = encryption.kind === 'passphrase' ? 'passphrase' : 'KMS';
    const decryption =
      expected === undefined
        ? failed('decryption', 'no sha256 metadata to compare the decrypted bytes with')
        : plainHash.digest('hex') !== expected.toLowerCase()
          ? failed('decryption', `decrypted bytes do not match the sha256 metadata (${plainBytes} bytes)`)
          : plainBytes !== input.object.originalBytes
            ? failed(
                'decryption',
                `decrypted ${plainBytes} bytes, original-size says ${input.object.originalBytes}`,
              )
            : passed('decryption', `${scheme} (${keySource}): ${plainBytes} bytes, sha256 matches`);
    return { checks: [decryption, format.check], ...(format.summary ? { summary: format.summary } : {}) };
  } catch (error) {
    if (error instanceof DecryptionError) {
      return { checks: [failed('decryption', error.message), skipped('format', 'not decrypted')] };
    }
    throw error;
  } finally {
    encrypted.unpipe(decrypt);
    decrypt.destroy();
    encrypted.destroy();
  }
}

/** The format failed before decryption reached the end: decryption is neither proven nor disproven. */
function decryptionUnproven(): CheckResult {
  return skipped('decryption', 'not read to the end (the format check failed first)');
}

function checkStoredChecksum(object: BackupObject, actual: string, bytes: number): CheckResult {
  const stored = object.metadata[BACKUP_METADATA.STORED_SHA256];
  const original = object.metadata[BACKUP_METADATA.SHA256];
  const expected = stored ?? (object.encryption.kind === 'none' ? original : undefined);
  const name = stored !== undefined ? BACKUP_METADATA.STORED_SHA256 : BACKUP_METADATA.SHA256;
  if (expected === undefined) {
    return failed(
      'checksum',
      `no ${BACKUP_METADATA.STORED_SHA256} metadata to compare the stored bytes with`,
    );
  }
  if (!SHA256_HEX.test(expected.toLowerCase()))
    return failed('checksum', `${name} metadata is not a SHA-256`);
  if (bytes !== object.storedBytes) {
    return failed('checksum', `read ${bytes} bytes, the object has ${object.storedBytes}`);
  }
  return actual === expected.toLowerCase()
    ? passed('checksum', `sha256 of ${bytes} stored bytes matches ${name}`)
    : failed('checksum', `sha256 mismatch: stored bytes hash to ${actual}, ${name} says ${expected}`);
}

/** An inline hash, or one on a worker thread whose `update` waits while its ring is full. */
type StreamHash = Hash | OffThreadSha256;

async function* hashing(
  chunks: AsyncIterable<Uint8Array>,
  hash: StreamHash,
  count: (length: number) => void,
): AsyncGenerator<Uint8Array, void, undefined> {
  for await (const chunk of chunks) {
    if (hash instanceof OffThreadSha256) await hash.update(chunk);
    else hash.update(chunk);
    count(chunk.length);
    yield chunk;
  }
}

async function* decrypting(decrypt: Duplex, decryptor: BackupDecryptor): AsyncGenerator<Uint8Array> {
  try {
    for await (const chunk of decrypt) yield chunk as Uint8Array;
  } catch (error) {
    if (error instanceof ObjectReadError || !decryptor.isDataError(error)) throw error;
    throw new DecryptionError(`decryption failed: ${describeError(error)}`, {
      cause: error,
    });
  }
}
