import { createHash, randomBytes } from 'crypto';
import { appendFileSync, mkdtempSync, writeFileSync } from 'fs';
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
import { BackupFailure } from '../../../../cli/commands/backup/backup-io';
import { DigestMismatchError } from '../../../../cli/commands/backup/stream-digest';

const s3 = mockClient(S3Client);
const dir = mkdtempSync(join(tmpdir(), 'stowage-file-parts-'));
const MiB = 1024 * 1024;
const PART = 5 * MiB;
const params = { Bucket: 'b', Key: 'backups/files/20261123/files_20261123_040000.bin' };
const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

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

  it('fails a file changed after it was hashed, aborts the upload and never completes it', async () => {
    // Arrange: the third part is overwritten once the upload has started.
    const bytes = randomBytes(3 * PART);
    const path = file('changed.bin', bytes);
    const plan = await measureFileParts(path, PART);
    s3.on(CreateMultipartUploadCommand).callsFake(() => {
      const changed = Buffer.from(bytes);
      changed[2 * PART + 10] ^= 0xff;
      writeFileSync(path, changed);
      return { UploadId: 'u1' };
    });
    // Act
    const upload = uploadFileParts({ s3: s3 as unknown as S3Client, params, plan, concurrency: 1 });
    // Assert
    await expect(upload).rejects.toThrow(DigestMismatchError);
    await expect(upload).rejects.toThrow(
      /changed while it was being read: part 3 \(bytes 10485760-15728639\)/,
    );
    expect(s3.commandCalls(UploadPartCommand).map((c) => c.args[0].input.PartNumber)).toEqual([1, 2]);
    expect(s3.commandCalls(CompleteMultipartUploadCommand)).toHaveLength(0);
    expect(s3.commandCalls(AbortMultipartUploadCommand)[0]!.args[0].input.UploadId).toBe('u1');
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
    await expect(upload).rejects.toThrow(BackupFailure);
    await expect(upload).rejects.toThrow(
      'InternalError: boom; aborting multipart upload u1 of s3://b/' +
        `${params.Key} failed too (AccessDenied: nope): abort it by hand`,
    );
  });
});
