import { webcrypto, createHash } from 'crypto';
import { open, type FileHandle } from 'fs/promises';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  UploadPartCommand,
  type CompletedPart,
  type CreateMultipartUploadCommandInput,
  type S3Client,
} from '@aws-sdk/client-s3';
import { BackupFailure } from './backup-io';
import { DigestMismatchError, type DigestResult } from './stream-digest';

/** SigV4's payload hash header: set to the part's SHA-256, the SDK signs it instead of hashing the part again. */
const PAYLOAD_SHA256_HEADER = 'x-amz-content-sha256';

/** What the first pass over an unencrypted file found: its SHA-256 and size, and the SHA-256 of every part. */
export interface FilePartsPlan {
  readonly file: string;
  readonly partSize: number;
  readonly original: DigestResult;
  /** Lower-case hex SHA-256 of part i + 1 (bytes `i × partSize` up to the next part). */
  readonly partSha256: readonly string[];
}

/**
 * The first pass: reads the file once, in parts of `partSize` into one reused buffer, and hashes each part's bytes
 * twice at the same time: into the whole-file SHA-256 on this thread, and as the part's own SHA-256 on the libuv
 * thread pool (WebCrypto digest), so both cost about one hash of wall time on two cores. Both hashes see the same
 * buffer: the part hashes are hashes of exactly the bytes the whole-file hash covers.
 */
export async function measureFileParts(file: string, partSize: number): Promise<FilePartsPlan> {
  const whole = createHash('sha256');
  const partSha256: string[] = [];
  const buffer = Buffer.allocUnsafeSlow(partSize);
  let size = 0;
  const handle = await open(file, 'r');
  try {
    for (;;) {
      const length = await readFully(handle, buffer, size);
      if (length === 0) break;
      const part = buffer.subarray(0, length);
      const partDigest = sha256Hex(part);
      whole.update(part);
      partSha256.push(await partDigest);
      size += length;
      if (length < partSize) break;
    }
  } finally {
    await handle.close();
  }
  return { file, partSize, original: { sha256: whole.digest('hex'), size }, partSha256 };
}

export interface FilePartsUploadInput {
  readonly s3: S3Client;
  /** CreateMultipartUpload's input: bucket, key, metadata, storage class, SSE (no body, no checksum). */
  readonly params: CreateMultipartUploadCommandInput;
  readonly plan: FilePartsPlan;
  /** Parts read and uploaded at once; each holds one part-size buffer. */
  readonly concurrency: number;
  /** Called with the total bytes uploaded so far after each part. */
  readonly onBytes?: (done: number) => void;
}

/**
 * The upload pass of an unencrypted multipart push, straight from file ranges: `concurrency` slots each read one
 * part into their own reused buffer, hash it (thread pool), and upload it only when its SHA-256 equals the first
 * pass's hash of that part; the same hash is the signed payload hash, so the server checks the received bytes
 * against it too. Before completing, the file must still have the planned size. A part that changed since the first
 * pass fails with DigestMismatchError; any failure aborts the multipart upload (no parts are left behind).
 *
 * Equivalent to re-hashing the whole file in the upload pass: every uploaded part has the SHA-256 the first pass
 * computed from the very bytes it fed into the whole-file hash, and the parts cover exactly the planned size, so
 * (SHA-256 being collision resistant) the uploaded object is the first pass's bytes and `sha256` is their hash.
 */
export async function uploadFileParts(input: FilePartsUploadInput): Promise<{ VersionId?: string }> {
  const { s3, params, plan } = input;
  const created = await s3.send(new CreateMultipartUploadCommand(params));
  const uploadId = created.UploadId;
  if (!uploadId) throw new Error('CreateMultipartUpload returned no UploadId');
  const handle = await open(plan.file, 'r');
  try {
    const parts = await uploadParts(input, handle, uploadId);
    const now = (await handle.stat()).size;
    if (now !== plan.original.size) {
      throw new DigestMismatchError(
        `${plan.file} changed while it was being read: ${plan.original.size} bytes when hashed, ${now} now`,
      );
    }
    return await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: params.Bucket,
        Key: params.Key,
        UploadId: uploadId,
        MultipartUpload: { Parts: parts },
      }),
    );
  } catch (error) {
    await abortOrExplain(s3, params, uploadId, error);
    throw error;
  } finally {
    await handle.close();
  }
}

async function uploadParts(
  input: FilePartsUploadInput,
  handle: FileHandle,
  uploadId: string,
): Promise<CompletedPart[]> {
  const { s3, params, plan } = input;
  const count = plan.partSha256.length;
  const parts: CompletedPart[] = new Array<CompletedPart>(count);
  let next = 0;
  let done = 0;
  let failure: { error: unknown } | undefined;
  const slot = async (): Promise<void> => {
    const buffer = Buffer.allocUnsafeSlow(plan.partSize);
    while (!failure && next < count) {
      const index = next++;
      const start = index * plan.partSize;
      const expectedLength = Math.min(plan.partSize, plan.original.size - start);
      const length = await readFully(handle, buffer.subarray(0, expectedLength), start);
      const body = buffer.subarray(0, length);
      // On this thread: a thread-pool digest copies the part first (one more part-size block per slot).
      const sha256 = createHash('sha256').update(body).digest('hex');
      if (length !== expectedLength || sha256 !== plan.partSha256[index]) {
        throw new DigestMismatchError(
          `${plan.file} changed while it was being read: part ${index + 1} (bytes ${start}-` +
            `${start + expectedLength - 1}) had SHA-256 ${plan.partSha256[index]} when hashed, now ${length} ` +
            `bytes with SHA-256 ${sha256}`,
        );
      }
      if (failure) return;
      const command = new UploadPartCommand({
        Bucket: params.Bucket,
        Key: params.Key,
        UploadId: uploadId,
        PartNumber: index + 1,
        Body: body,
        ContentLength: length,
      });
      command.middlewareStack.add(
        (nextHandler) => async (args) => {
          const request = args.request as { headers?: Record<string, string> };
          if (request.headers) request.headers[PAYLOAD_SHA256_HEADER] = sha256;
          return nextHandler(args);
        },
        { step: 'build', name: 'stowagePartPayloadSha256' },
      );
      const result = await s3.send(command);
      parts[index] = { PartNumber: index + 1, ETag: result.ETag };
      done += length;
      input.onBytes?.(done);
    }
  };
  const slots = Array.from({ length: Math.min(input.concurrency, count) }, () =>
    slot().catch((error: unknown) => {
      failure ??= { error };
    }),
  );
  await Promise.all(slots);
  if (failure) throw failure.error;
  return parts;
}

/** Aborts the upload; when that fails too, the caller's error is replaced by one that names both. */
async function abortOrExplain(
  s3: S3Client,
  params: CreateMultipartUploadCommandInput,
  uploadId: string,
  error: unknown,
): Promise<void> {
  try {
    await s3.send(
      new AbortMultipartUploadCommand({ Bucket: params.Bucket, Key: params.Key, UploadId: uploadId }),
    );
  } catch (abortError) {
    throw new BackupFailure(
      `${messageOf(error)}; aborting multipart upload ${uploadId} of s3://${params.Bucket}/${params.Key} failed ` +
        `too (${messageOf(abortError)}): abort it by hand`,
      { cause: error },
    );
  }
}

/** Reads until `buffer` is full or the file ends; returns the bytes read. */
async function readFully(handle: FileHandle, buffer: Buffer, position: number): Promise<number> {
  let filled = 0;
  while (filled < buffer.length) {
    const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, position + filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return filled;
}

/** SHA-256 on the libuv thread pool (WebCrypto digest), off the JavaScript thread. */
async function sha256Hex(bytes: Buffer): Promise<string> {
  return Buffer.from(await webcrypto.subtle.digest('SHA-256', bytes)).toString('hex');
}

function messageOf(error: unknown): string {
  const { name, message } = (error ?? {}) as { name?: unknown; message?: unknown };
  return [name, message].filter((part) => typeof part === 'string' && part).join(': ') || String(error);
}
