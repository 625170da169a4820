import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  UploadPartCommand,
  type CompletedPart,
  type CreateMultipartUploadCommandInput,
  type S3Client,
} from '@aws-sdk/client-s3';
import { CommandFailure } from '../../shared/command-io';
import { sha256Hex, signWithPayloadSha256 } from './file-parts-upload';
import { InterruptedError, throwIfInterrupted } from './interrupt';
import { abortMultipartUpload } from './multipart-abort';
import { isTransientError, retryDelayMs, type RetryPolicy } from './retry';

export interface StreamPartsUploadInput {
  readonly s3: S3Client;
  /** CreateMultipartUpload's (or the single PutObject's) input: bucket, key, metadata, storage class, SSE. */
  readonly params: CreateMultipartUploadCommandInput;
  /** The bytes to store, in order (already hashed, encrypted, throttled by the caller's stages). */
  readonly body: AsyncIterable<Uint8Array>;
  readonly partSize: number;
  /** Parts in flight at once; memory is (concurrency + 1) × partSize. */
  readonly concurrency: number;
  /** Retries of one part (from its buffer) after a transient failure, and their waits. */
  readonly partRetry: RetryPolicy;
  readonly sleep: (ms: number) => Promise<void>;
  /** SIGINT/SIGTERM: stops reading, cancels the requests in flight and aborts the upload. */
  readonly signal?: AbortSignal;
  /** Create only if the key does not exist (If-None-Match: *): a 412 then means another push took the key. */
  readonly ifNoneMatch?: boolean;
  /** Called with the bytes the server acknowledged (parts completed) after each part. */
  readonly onAcknowledged?: (bytes: number) => void;
  /** Called with the first part's bytes before any of them is sent; throw to refuse the upload. */
  readonly beforeFirstPart?: (head: Buffer) => Promise<void> | void;
  /** Called when the body ended, before completing; throw to abort the upload instead. */
  readonly beforeComplete?: () => Promise<void> | void;
  /**
   * Metadata for a body that fits in one part (sent as one PutObject after the whole body was read), replacing
   * params.Metadata: what a stream learns only at its end can then still go into the metadata.
   */
  readonly singlePutMetadata?: () => Record<string, string>;
  /** Base64 SHA-256 of the whole body for a single PutObject (S3 checks and stores it; not for RGW). */
  readonly singlePutChecksumSHA256?: string;
  /** Called with the upload id as soon as the server created the upload. */
  readonly onUploadId?: (uploadId: string) => void;
  /** Called when a part is tried again. */
  readonly onPartRetry?: (part: number, retry: number, error: unknown, delayMs: number) => void;
}

export interface StreamPartsUploadResult {
  readonly VersionId?: string;
  /** Parts uploaded; 0 for a single PutObject. */
  readonly parts: number;
  /** Bytes stored. */
  readonly size: number;
}

/**
 * Uploads a stream of unknown length: fills part-size buffers from `body` and uploads up to `concurrency` of them
 * at once, each retried from its own buffer on a transient failure (a stream cannot be read twice), so memory stays
 * at (concurrency + 1) buffers whatever the size. A body that fits in one part goes in a single PutObject. Any
 * failure, a refused `beforeFirstPart`/`beforeComplete` or an interrupt aborts the multipart upload before the error
 * is thrown: nothing is left behind (if the abort fails too, the error says so and names the upload).
 */
export async function uploadStreamParts(input: StreamPartsUploadInput): Promise<StreamPartsUploadResult> {
  const { s3, params, partSize } = input;
  const free: Buffer[] = [];
  const takeBuffer = (): Buffer => free.pop() ?? Buffer.allocUnsafeSlow(partSize);

  let uploadId: string | undefined;
  const parts: CompletedPart[] = [];
  const inFlight = new Set<Promise<void>>();
  let failure: { error: unknown } | undefined;
  /** Throws the first part failure (set inside the part tasks, hence a function: narrowing cannot see it). */
  const rethrowPartFailure = (): void => {
    const failed = failure as { error: unknown } | undefined;
    if (failed) throw failed.error;
  };
  let acknowledged = 0;
  let size = 0;
  let partNumber = 0;
  let first = true;

  const sendPart = async (number: number, buffer: Buffer, length: number): Promise<void> => {
    const body = buffer.subarray(0, length);
    // Hashed once on the libuv thread pool and signed as the payload hash: the SDK does not hash the part again on
    // the JavaScript thread (for every try), and the server refuses bytes damaged on the way.
    const sha256 = await sha256Hex(body);
    for (let retry = 0; ; retry++) {
      try {
        const command = new UploadPartCommand({
          Bucket: params.Bucket,
          Key: params.Key,
          UploadId: uploadId,
          PartNumber: number,
          Body: body,
          ContentLength: length,
        });
        signWithPayloadSha256(command, sha256);
        const result = await s3.send(command, { abortSignal: input.signal });
        parts.push({ PartNumber: number, ETag: result.ETag });
        acknowledged += length;
        input.onAcknowledged?.(acknowledged);
        free.push(buffer);
        return;
      } catch (error) {
        throwIfInterrupted(input.signal);
        if (retry >= input.partRetry.retries || !isTransientError(error) || failure) throw error;
        const delayMs = retryDelayMs(input.partRetry, retry + 1);
        input.onPartRetry?.(number, retry + 1, error, delayMs);
        await sleepUnlessInterrupted(input.sleep, delayMs, input.signal);
      }
    }
  };
  const dispatch = async (buffer: Buffer, length: number): Promise<void> => {
    if (!uploadId) {
      const created = await s3.send(new CreateMultipartUploadCommand(params), { abortSignal: input.signal });
      if (!created.UploadId) throw new Error('CreateMultipartUpload returned no UploadId');
      uploadId = created.UploadId;
      input.onUploadId?.(uploadId);
    }
    const task = sendPart(++partNumber, buffer, length).catch((error: unknown) => {
      failure ??= { error };
    });
    inFlight.add(task);
    void task.finally(() => inFlight.delete(task));
    while (inFlight.size >= input.concurrency && !failure) await Promise.race(inFlight);
  };

  let current: Buffer | undefined;
  let filled = 0;
  try {
    for await (const chunk of untilInterrupted(input.body, input.signal)) {
      rethrowPartFailure();
      let offset = 0;
      while (offset < chunk.length) {
        current ??= takeBuffer();
        const n = Math.min(chunk.length - offset, partSize - filled);
        current.set(chunk.subarray(offset, offset + n), filled);
        filled += n;
        offset += n;
        size += n;
        if (filled === partSize) {
          if (first) await input.beforeFirstPart?.(current);
          first = false;
          const full = current;
          current = undefined;
          filled = 0;
          await dispatch(full, partSize);
          rethrowPartFailure();
        }
      }
    }
    throwIfInterrupted(input.signal);
    if (!uploadId) {
      // The whole body fits in one part: one PutObject, with metadata that may depend on the whole body.
      const body = (current ?? Buffer.alloc(0)).subarray(0, filled);
      if (first) await input.beforeFirstPart?.(body);
      await input.beforeComplete?.();
      const result = await s3.send(
        new PutObjectCommand({
          ...params,
          ...(input.singlePutMetadata ? { Metadata: input.singlePutMetadata() } : {}),
          ...(input.singlePutChecksumSHA256 ? { ChecksumSHA256: input.singlePutChecksumSHA256 } : {}),
          Body: body,
          ContentLength: body.length,
          ...(input.ifNoneMatch ? { IfNoneMatch: '*' } : {}),
        }),
        { abortSignal: input.signal },
      );
      input.onAcknowledged?.(body.length);
      return { VersionId: result.VersionId, parts: 0, size };
    }
    if (filled > 0 && current) {
      await dispatch(current, filled);
      current = undefined;
    }
    await Promise.all(inFlight);
    rethrowPartFailure();
    throwIfInterrupted(input.signal);
    await input.beforeComplete?.();
    parts.sort((a, b) => a.PartNumber! - b.PartNumber!);
    const result = await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: params.Bucket,
        Key: params.Key,
        UploadId: uploadId,
        MultipartUpload: { Parts: parts },
        ...(input.ifNoneMatch ? { IfNoneMatch: '*' } : {}),
      }),
      { abortSignal: input.signal },
    );
    return { VersionId: result.VersionId, parts: parts.length, size };
  } catch (error) {
    failure ??= { error };
    await Promise.allSettled([...inFlight]);
    const cause =
      input.signal?.aborted && input.signal.reason instanceof InterruptedError ? input.signal.reason : error;
    if (uploadId) {
      const aborted = await abortMultipartUpload(s3, {
        Bucket: params.Bucket!,
        Key: params.Key!,
        UploadId: uploadId,
      });
      if (aborted !== true) {
        throw new CommandFailure(
          `${messageOf(cause)}; aborting multipart upload ${uploadId} of s3://${params.Bucket}/${params.Key} ` +
            `failed too (${aborted}): abort it by hand (aws s3api abort-multipart-upload)`,
          { cause },
        );
      }
    }
    throw cause;
  }
}

/**
 * The chunks of `body`, ending with the interrupt as soon as `signal` aborts, also while the next chunk is awaited:
 * a dump tool that stalls (or a pipe nobody writes) must not keep a SIGINT/SIGTERM from aborting the upload. On an
 * interrupt the body is destroyed, which releases the stream it reads (stdin, through the caller's pipeline).
 */
async function* untilInterrupted(
  body: AsyncIterable<Uint8Array>,
  signal: AbortSignal | undefined,
): AsyncGenerator<Uint8Array> {
  if (!signal) {
    yield* body;
    return;
  }
  const iterator = body[Symbol.asyncIterator]();
  let onAbort: (() => void) | undefined;
  const interrupted = new Promise<never>((_resolve, reject) => {
    onAbort = () => reject(signal.reason);
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  // The race below observes it; this keeps an interrupt after the last chunk from counting as unhandled.
  interrupted.catch(() => undefined);
  try {
    for (;;) {
      const next = await Promise.race([iterator.next(), interrupted]);
      if (next.done) return;
      yield next.value;
    }
  } finally {
    signal.removeEventListener('abort', onAbort!);
    if (signal.aborted) (body as { destroy?: () => void }).destroy?.();
  }
}

/** Waits `ms`, or throws the interrupt as soon as `signal` aborts. */
export async function sleepUnlessInterrupted(
  sleep: (ms: number) => Promise<void>,
  ms: number,
  signal: AbortSignal | undefined,
): Promise<void> {
  if (!signal) return sleep(ms);
  throwIfInterrupted(signal);
  let onAbort: (() => void) | undefined;
  const interrupted = new Promise<never>((_resolve, reject) => {
    onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    await Promise.race([sleep(ms), interrupted]);
  } finally {
    signal.removeEventListener('abort', onAbort!);
  }
}

function messageOf(error: unknown): string {
  const { name, message } = (error ?? {}) as { name?: unknown; message?: unknown };
  return [name, message].filter((part) => typeof part === 'string' && part).join(': ') || String(error);
}
