import { webcrypto, createHash } from 'crypto';
import { open, type FileHandle } from 'fs/promises';
import type { Stats } from 'fs';
import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  UploadPartCommand,
  type CompletedPart,
  type CreateMultipartUploadCommandInput,
  type S3Client,
} from '@aws-sdk/client-s3';
import { isPayloadHashMismatch } from '../../../core/aws/s3-errors';
import { CommandFailure } from '../../shared/command-io';
import { abortMultipartUpload } from './multipart-abort';
import { DigestMismatchError, type DigestResult } from './stream-digest';

/** SigV4's payload hash header: set to the part's SHA-256, the SDK signs it instead of hashing the part again. */
const PAYLOAD_SHA256_HEADER = 'x-amz-content-sha256';

/** What identifies one state of a file: any write, truncation, replacement or metadata change moves one of these. */
export interface FileIdentity {
  readonly dev: number;
  readonly ino: number;
  readonly size: number;
  readonly mtimeMs: number;
  readonly ctimeMs: number;
}

/** What the first pass over an unencrypted file found: its SHA-256 and size, and the SHA-256 of every part. */
export interface FilePartsPlan {
  readonly file: string;
  readonly partSize: number;
  readonly original: DigestResult;
  /** Lower-case hex SHA-256 of part i + 1 (bytes `i × partSize` up to the next part). */
  readonly partSha256: readonly string[];
  /** The file as it was when the first pass opened it. */
  readonly identity: FileIdentity;
}

/**
 * The first pass: reads the file once, in parts of `partSize`, and hashes each part's bytes twice at the same time:
 * into the whole-file SHA-256 on this thread, and as the part's own SHA-256 on the libuv thread pool (WebCrypto
 * digest), so both cost about one hash of wall time on two cores. Both hashes see the same buffer: the part hashes
 * are hashes of exactly the bytes the whole-file hash covers. Two buffers alternate, so the next part is read while
 * this one is hashed.
 */
export async function measureFileParts(file: string, partSize: number): Promise<FilePartsPlan> {
  const whole = createHash('sha256');
  const partSha256: string[] = [];
  const buffers = [Buffer.allocUnsafeSlow(partSize), Buffer.allocUnsafeSlow(partSize)] as const;
  let size = 0;
  const handle = await open(file, 'r');
  try {
    const identity = identityOf(await handle.stat());
    let reading = readFully(handle, buffers[0], 0);
    for (let index = 0; ; index++) {
      const length = await reading;
      if (length === 0) break;
      const part = buffers[index % 2]!.subarray(0, length);
      const last = length < partSize;
      // The other buffer is free: its part's digest was awaited in the previous round.
      if (!last) reading = readFully(handle, buffers[(index + 1) % 2]!, size + length);
      const partDigest = sha256Hex(part);
      whole.update(part);
      partSha256.push(await partDigest);
      size += length;
      if (last) break;
    }
    return { file, partSize, original: { sha256: whole.digest('hex'), size }, partSha256, identity };
  } finally {
    await handle.close();
  }
}

export interface FilePartsUploadInput {
  readonly s3: S3Client;
  /** CreateMultipartUpload's input: bucket, key, metadata, storage class, SSE (no body, no checksum). */
  readonly params: CreateMultipartUploadCommandInput;
  readonly plan: FilePartsPlan;
  /** Parts read and uploaded at once; each holds one part-size buffer. */
  readonly concurrency: number;
  /** Called with the total bytes the server acknowledged so far after each part. */
  readonly onBytes?: (done: number) => void;
  /** SIGINT/SIGTERM: cancels the requests in flight and aborts the upload. */
  readonly signal?: AbortSignal;
  /** Complete only if the key does not exist (If-None-Match: *). */
  readonly ifNoneMatch?: boolean;
  /** Called with the upload id as soon as the server created the upload. */
  readonly onUploadId?: (uploadId: string) => void;
}

/**
 * The upload pass of an unencrypted multipart push, straight from file ranges: `concurrency` slots each read one
 * part into their own reused buffer and upload it signed with the first pass's SHA-256 of that part as
 * `x-amz-content-sha256`. The server hashes what it receives and refuses a part whose bytes differ
 * (XAmzContentSHA256Mismatch: S3, and Ceph RGW, measured), so no part is hashed twice on this machine. On such a
 * refusal the part still in the slot's buffer is hashed here, to tell a file changed since the first pass
 * (DigestMismatchError, final) from bytes damaged on the way (the server's error, retried by the caller).
 * Before completing, the file must still be the one the first pass read: same size, inode, mtime and ctime, which
 * also catches a rewrite on a server that ignores the signed payload hash. Any failure aborts the multipart upload
 * (no parts are left behind).
 *
 * Equivalent to re-hashing the whole file in the upload pass: every part the server accepted has the SHA-256 the
 * first pass computed from the very bytes it fed into the whole-file hash, and the parts cover exactly the planned
 * size, so (SHA-256 being collision resistant) the uploaded object is the first pass's bytes and `sha256` is their
 * hash.
 */
export async function uploadFileParts(input: FilePartsUploadInput): Promise<{ VersionId?: string }> {
  const { s3, params, plan } = input;
  const created = await s3.send(new CreateMultipartUploadCommand(params), { abortSignal: input.signal });
  const uploadId = created.UploadId;
  if (!uploadId) throw new Error('CreateMultipartUpload returned no UploadId');
  input.onUploadId?.(uploadId);
  const handle = await open(plan.file, 'r');
  try {
    const parts = await uploadParts(input, handle, uploadId);
    const change = identityChange(plan.identity, identityOf(await handle.stat()));
    if (change) throw new DigestMismatchError(`${plan.file} changed while it was being read: ${change}`);
    return await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: params.Bucket,
        Key: params.Key,
        UploadId: uploadId,
        MultipartUpload: { Parts: parts },
        ...(input.ifNoneMatch ? { IfNoneMatch: '*' } : {}),
      }),
      { abortSignal: input.signal },
    );
  } catch (error) {
    const cause = input.signal?.aborted && input.signal.reason instanceof Error ? input.signal.reason : error;
    await abortOrExplain(s3, params, uploadId, cause);
    throw cause;
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
    while (!failure && next < count && !input.signal?.aborted) {
      const index = next++;
      const start = index * plan.partSize;
      const expectedLength = Math.min(plan.partSize, plan.original.size - start);
      const length = await readFully(handle, buffer.subarray(0, expectedLength), start);
      const body = buffer.subarray(0, length);
      if (length !== expectedLength) {
        throw new DigestMismatchError(
          `${plan.file} changed while it was being read: part ${index + 1} (bytes ${start}-` +
            `${start + expectedLength - 1}) is now ${length} bytes`,
        );
      }
      if (failure) return;
      const sha256 = plan.partSha256[index]!;
      const command = new UploadPartCommand({
        Bucket: params.Bucket,
        Key: params.Key,
        UploadId: uploadId,
        PartNumber: index + 1,
        Body: body,
        ContentLength: length,
      });
      signWithPayloadSha256(command, sha256);
      let result;
      try {
        result = await s3.send(command, { abortSignal: input.signal });
      } catch (error) {
        if (!isPayloadHashMismatch(error)) throw error;
        // The buffer still holds what was sent: did the file change, or were the bytes damaged on the way?
        const now = createHash('sha256').update(body).digest('hex');
        if (now === sha256) throw error;
        throw new DigestMismatchError(
          `${plan.file} changed while it was being read: part ${index + 1} (bytes ${start}-` +
            `${start + expectedLength - 1}) had SHA-256 ${sha256} when hashed, now ${now}`,
        );
      }
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
  if (input.signal?.aborted) throw input.signal.reason;
  return parts;
}

/** Aborts the upload; when that fails too, the caller's error is replaced by one that names both. */
async function abortOrExplain(
  s3: S3Client,
  params: CreateMultipartUploadCommandInput,
  uploadId: string,
  error: unknown,
): Promise<void> {
  const aborted = await abortMultipartUpload(s3, {
    Bucket: params.Bucket!,
    Key: params.Key!,
    UploadId: uploadId,
  });
  if (aborted !== true) {
    throw new CommandFailure(
      `${messageOf(error)}; aborting multipart upload ${uploadId} of s3://${params.Bucket}/${params.Key} failed ` +
        `too (${aborted}): abort it by hand (aws s3api abort-multipart-upload)`,
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

/**
 * Sets SigV4's payload hash header of an UploadPart to the part's known SHA-256: the SDK signs it instead of hashing
 * the body again on the JavaScript thread, and the server refuses a body that does not match it.
 */
export function signWithPayloadSha256(command: UploadPartCommand, sha256: string): void {
  command.middlewareStack.add(
    (nextHandler) => async (args) => {
      const request = args.request as { headers?: Record<string, string> };
      if (request.headers) request.headers[PAYLOAD_SHA256_HEADER] = sha256;
      return nextHandler(args);
    },
    { step: 'build', name: 'stowagePartPayloadSha256' },
  );
}

/** SHA-256 on the libuv thread pool (WebCrypto digest), off the JavaScript thread. */
export async function sha256Hex(bytes: Buffer): Promise<string> {
  return Buffer.from(await webcrypto.subtle.digest('SHA-256', bytes)).toString('hex');
}

function identityOf(stats: Stats): FileIdentity {
  const { dev, ino, size, mtimeMs, ctimeMs } = stats;
  return { dev, ino, size, mtimeMs, ctimeMs };
}

/** How the file differs from the one the first pass read, or undefined when it is the same. */
function identityChange(before: FileIdentity, now: FileIdentity): string | undefined {
  if (before.size !== now.size) return `${before.size} bytes when hashed, ${now.size} now`;
  if (before.dev !== now.dev || before.ino !== now.ino) return 'it was replaced by another file';
  if (before.mtimeMs !== now.mtimeMs || before.ctimeMs !== now.ctimeMs) {
    return `it was modified (mtime ${new Date(before.mtimeMs).toISOString()} when hashed, ${new Date(
      now.mtimeMs,
    ).toISOString()} now)`;
  }
  return undefined;
}

function messageOf(error: unknown): string {
  const { name, message } = (error ?? {}) as { name?: unknown; message?: unknown };
  return [name, message].filter((part) => typeof part === 'string' && part).join(': ') || String(error);
}
