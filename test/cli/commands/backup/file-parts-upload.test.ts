import { createHash, randomBytes } from 'crypto';
import { appendFileSync, mkdtempSync, renameSync, statSync, utimesSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import {
  measureFileParts,
  uploadFileParts,
  type FilePartsPlan,
} from '../../../../cli/commands/backup/file-parts-upload';
import { CommandFailure } from '../../../../cli/shared/command-io';
import { DigestMismatchError } from '../../../../cli/commands/backup/stream-digest';

const s3 = mockClient(S3Client);
const dir = mkdtempSync(join(tmpdir(), 'stowage-file-parts-'));
const MiB = 1024 * 1024;
const PART = 5 * MiB;
const params = { Bucket: 'b', Key: 'backups/files/20261123/files_20261123_040000.bin' };
const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** What S3 answers when a body's SHA-256 differs from the signed x-amz-content-sha256. */
const payloadMismatch = (): Error =>
  Object.assign(new Error('The provided x-amz-content-sha256 header does not match what was computed.'), {
    name: 'XAmzContentSHA256Mismatch',
    $metadata: { httpStatusCode: 400 },
  });

/**
 * UploadPart as S3 does it: refused when the body is not the bytes whose SHA-256 the part was signed with (the mock
 * sits before the signer, so the signed hash is taken from the plan, which is what the uploader signs with).
 */
function serverCheckingPayloads(plan: FilePartsPlan): void {
  s3.on(UploadPartCommand).callsFake((input: { PartNumber: number; Body: Uint8Array }) => {
    if (sha256(input.Body) !== plan.partSha256[input.PartNumber - 1]) throw payloadMismatch();
    sentParts.set(input.PartNumber, Buffer.from(input.Body));
    return { ETag: `"e${input.PartNumber}"` };
  });
}

function file(name: string, bytes: Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

/** A copy of every UploadPart body when it was sent (the uploader reuses its part buffers afterwards). */
const sentParts = new Map<number, Buffer>();
function uploadedBytes(): Buffer {
  return Buffer.concat([...sentParts].sort(([a], [b]) => a - b).map(([, body]) => body));
}

beforeEach(() => {
  s3.reset();
  sentParts.clear();
  s3.on(CreateMultipartUploadCommand).resolves({ UploadId: 'u1' });
  s3.on(UploadPartCommand).callsFake((input: { PartNumber: number; Body: Uint8Array }) => {
    sentParts.set(input.PartNumber, Buffer.from(input.Body));
    return { ETag: `"e${input.PartNumber}"` };
  });
  s3.on(CompleteMultipartUploadCommand).resolves({ VersionId: 'v1' });
});

describe('measureFileParts', () => {
  it('hashes the whole file and each part of it, the last part short', async () => {
    // Arrange
    const bytes = randomBytes(2 * PART + 123);
    const path = file('measure.bin', bytes);
    // Act
    const plan = await measureFileParts(path, PART);
    // Assert
    expect(plan.original).toEqual({ sha256: sha256(bytes), size: bytes.length });
    expect(plan.partSha256).toEqual([
      sha256(bytes.subarray(0, PART)),
      sha256(bytes.subarray(PART, 2 * PART)),
      sha256(bytes.subarray(2 * PART)),
    ]);
  });

  it('records which file it read: size, inode and modification times', async () => {
    const path = file('identity.bin', randomBytes(PART + 1));
    const stats = statSync(path);
    const plan = await measureFileParts(path, PART);
    expect(plan.identity).toEqual({
      dev: stats.dev,
      ino: stats.ino,
      size: PART + 1,
      mtimeMs: stats.mtimeMs,
      ctimeMs: stats.ctimeMs,
    });
  });

  it('has no empty last part for a file of whole parts', async () => {
    const bytes = randomBytes(2 * PART);
    const plan = await measureFileParts(file('whole.bin', bytes), PART);
    expect(plan.partSha256).toHaveLength(2);
    expect(plan.original.size).toBe(2 * PART);
  });
});

describe('uploadFileParts', () => {
  it('uploads the file byte-exact in numbered parts, each signed with its SHA-256, and completes', async () => {
    // Arrange
    const bytes = randomBytes(3 * PART + 7);
    const plan = await measureFileParts(file('good.bin', bytes), PART);
    const progress: number[] = [];
    // Act
    const result = await uploadFileParts({
      s3: s3 as unknown as S3Client,
      params: { ...params, Metadata: { sha256: plan.original.sha256 } },
      plan,
      concurrency: 3,
      onBytes: (done) => progress.push(done),
    });
    // Assert
    expect(result.VersionId).toBe('v1');
    expect(s3.commandCalls(CreateMultipartUploadCommand)[0]!.args[0].input.Metadata).toEqual({
      sha256: sha256(bytes),
    });
    expect(uploadedBytes().equals(bytes)).toBe(true);
    const complete = s3.commandCalls(CompleteMultipartUploadCommand)[0]!.args[0].input;
    expect(complete.MultipartUpload!.Parts).toEqual(
      [1, 2, 3, 4].map((n) => ({ PartNumber: n, ETag: `"e${n}"` })),
    );
    expect(progress.at(-1)).toBe(bytes.length);
    expect(s3.commandCalls(AbortMultipartUploadCommand)).toHaveLength(0);
  });

  it('fails a file changed after it was hashed when the server refuses its part, aborting the upload', async () => {
    // Arrange: the third part is overwritten once the upload has started; the server checks every part's bytes.
    const bytes = randomBytes(3 * PART);
    const path = file('changed.bin', bytes);
    const plan = await measureFileParts(path, PART);
    serverCheckingPayloads(plan);
    const changed = Buffer.from(bytes);
    changed[2 * PART + 10] ^= 0xff;
    s3.on(CreateMultipartUploadCommand).callsFake(() => {
      writeFileSync(path, changed);
      return { UploadId: 'u1' };
    });
    // Act
    const upload = uploadFileParts({ s3: s3 as unknown as S3Client, params, plan, concurrency: 1 });
    // Assert: named as a changed file (the part was re-hashed after the refusal), never completed.
    await expect(upload).rejects.toThrow(DigestMismatchError);
    await expect(upload).rejects.toThrow(
      `${path} changed while it was being read: part 3 (bytes 10485760-15728639) had SHA-256 ` +
        `${plan.partSha256[2]} when hashed, now ${sha256(changed.subarray(2 * PART))}`,
    );
    expect([...sentParts.keys()]).toEqual([1, 2]);
    expect(s3.commandCalls(CompleteMultipartUploadCommand)).toHaveLength(0);
    expect(s3.commandCalls(AbortMultipartUploadCommand)[0]!.args[0].input.UploadId).toBe('u1');
  });

  it('rethrows the server refusal of a part whose bytes did not change (damaged on the way), aborting', async () => {
    // Arrange: the server refuses part 2 although the file is as hashed.
    const plan = await measureFileParts(file('damaged.bin', randomBytes(3 * PART)), PART);
    const refusal = payloadMismatch();
    s3.on(UploadPartCommand, { PartNumber: 2 }).rejects(refusal);
    // Act
    const upload = uploadFileParts({ s3: s3 as unknown as S3Client, params, plan, concurrency: 1 });
    // Assert: the server's error itself (the push retries it), not a changed file.
    await expect(upload).rejects.toBe(refusal);
    expect(s3.commandCalls(CompleteMultipartUploadCommand)).toHaveLength(0);
    expect(s3.commandCalls(AbortMultipartUploadCommand)).toHaveLength(1);
  });

  it('fails a file rewritten in place (same size) before completing, even when the server checks nothing', async () => {
    // Arrange: every part is accepted as sent; the rewrite moves the modification time.
    const bytes = randomBytes(2 * PART + 3);
    const path = file('rewritten.bin', bytes);
    const plan = await measureFileParts(path, PART);
    s3.on(CreateMultipartUploadCommand).callsFake(() => {
      writeFileSync(path, randomBytes(bytes.length));
      return { UploadId: 'u1' };
    });
    // Act
    const upload = uploadFileParts({ s3: s3 as unknown as S3Client, params, plan, concurrency: 2 });
    // Assert
    await expect(upload).rejects.toThrow(DigestMismatchError);
    await expect(upload).rejects.toThrow(`${path} changed while it was being read: it was modified (mtime `);
    expect(s3.commandCalls(CompleteMultipartUploadCommand)).toHaveLength(0);
    expect(s3.commandCalls(AbortMultipartUploadCommand)).toHaveLength(1);
  });

  it('fails a file replaced by another one with the same bytes and times before completing', async () => {
    // Arrange: an identical copy, times and all, renamed over the original after the first pass.
    const bytes = randomBytes(2 * PART);
    const path = file('replaced.bin', bytes);
    const plan = await measureFileParts(path, PART);
    const copy = file('replacement.bin', bytes);
    const { atime, mtime } = statSync(path);
    utimesSync(copy, atime, mtime);
    renameSync(copy, path);
    // Act
    const upload = uploadFileParts({ s3: s3 as unknown as S3Client, params, plan, concurrency: 2 });
    // Assert
    await expect(upload).rejects.toThrow(`${path} changed while it was being read: it was replaced`);
    expect(s3.commandCalls(CompleteMultipartUploadCommand)).toHaveLength(0);
    expect(s3.commandCalls(AbortMultipartUploadCommand)).toHaveLength(1);
  });

  it('fails a file that grew after it was hashed (its parts unchanged), aborting the upload', async () => {
    const bytes = randomBytes(2 * PART + 5);
    const path = file('grown.bin', bytes);
    const plan = await measureFileParts(path, PART);
    appendFileSync(path, 'more');
    const upload = uploadFileParts({ s3: s3 as unknown as S3Client, params, plan, concurrency: 2 });
    await expect(upload).rejects.toThrow(
      `${path} changed while it was being read: 10485765 bytes when hashed`,
    );
    expect(s3.commandCalls(CompleteMultipartUploadCommand)).toHaveLength(0);
    expect(s3.commandCalls(AbortMultipartUploadCommand)).toHaveLength(1);
  });

  it('fails a file that shrank after it was hashed', async () => {
    const bytes = randomBytes(2 * PART + 5);
    const path = file('shrunk.bin', bytes);
    const plan = await measureFileParts(path, PART);
    writeFileSync(path, bytes.subarray(0, 2 * PART));
    const upload = uploadFileParts({ s3: s3 as unknown as S3Client, params, plan, concurrency: 1 });
    await expect(upload).rejects.toThrow(/part 3 .* now 0 bytes/);
    expect(s3.commandCalls(AbortMultipartUploadCommand)).toHaveLength(1);
  });

  it('aborts on a failed part and rethrows that failure unchanged', async () => {
    const plan = await measureFileParts(file('fails.bin', randomBytes(3 * PART)), PART);
    const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    s3.on(UploadPartCommand).resolvesOnce({ ETag: '"1"' }).rejects(reset);
    const upload = uploadFileParts({ s3: s3 as unknown as S3Client, params, plan, concurrency: 2 });
    await expect(upload).rejects.toBe(reset);
    expect(s3.commandCalls(AbortMultipartUploadCommand)).toHaveLength(1);
    expect(s3.commandCalls(CompleteMultipartUploadCommand)).toHaveLength(0);
  });

  it('names both failures when the abort fails too', async () => {
    const plan: FilePartsPlan = await measureFileParts(file('both.bin', randomBytes(2 * PART)), PART);
    s3.on(UploadPartCommand).rejects(Object.assign(new Error('boom'), { name: 'InternalError' }));
    s3.on(AbortMultipartUploadCommand).rejects(Object.assign(new Error('nope'), { name: 'AccessDenied' }));
    const upload = uploadFileParts({ s3: s3 as unknown as S3Client, params, plan, concurrency: 1 });
    await expect(upload).rejects.toThrow(CommandFailure);
    await expect(upload).rejects.toThrow(
      'InternalError: boom; aborting multipart upload u1 of s3://b/' +
        `${params.Key} failed too (AccessDenied: nope): abort it by hand`,
    );
  });
});
