import { AbortMultipartUploadCommand, ListMultipartUploadsCommand, type S3Client } from '@aws-sdk/client-s3';
import { awsErrorCode } from '../../../core/aws/aws-errors';
import { isTransientError } from './retry';

/** One multipart upload: where, and its id. */
export interface MultipartUploadRef {
  readonly Bucket: string;
  readonly Key: string;
  readonly UploadId: string;
}

/** Tries of AbortMultipartUpload (a connection reset may hit the abort as well) and the waits between them. */
const ABORT_WAITS_MS = [0, 1_000, 3_000];

/**
 * Aborts a multipart upload, trying again on a transient failure; NoSuchUpload counts as done. Returns true, or
 * what the last failure was.
 */
export async function abortMultipartUpload(
  s3: S3Client,
  upload: MultipartUploadRef,
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
): Promise<true | string> {
  let last = '';
  for (const wait of ABORT_WAITS_MS) {
    if (wait) await sleep(wait);
    try {
      await s3.send(new AbortMultipartUploadCommand(upload));
      return true;
    } catch (error) {
      if (awsErrorCode(error) === 'NoSuchUpload') return true;
      last = describeError(error);
      if (!isTransientError(error)) break;
    }
  }
  return last;
}

/**
 * Aborts every multipart upload of exactly `key` initiated at or after `since`: the uploads a failed attempt may
 * have created without learning their id (a connection reset after the server created the upload). Returns the ids
 * aborted and the failures.
 */
export async function abortUploadsOfKey(
  s3: S3Client,
  bucket: string,
  key: string,
  since: Date,
  sleep?: (ms: number) => Promise<void>,
): Promise<{ aborted: string[]; failed: string[] }> {
  const aborted: string[] = [];
  const failed: string[] = [];
  const listed = await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: key }));
  for (const upload of listed.Uploads ?? []) {
    if (upload.Key !== key || !upload.UploadId) continue;
    // A little slack for the server's clock.
    if (upload.Initiated && upload.Initiated.getTime() < since.getTime() - 5_000) continue;
    const result = await abortMultipartUpload(
      s3,
      { Bucket: bucket, Key: key, UploadId: upload.UploadId },
      sleep,
    );
    if (result === true) aborted.push(upload.UploadId);
    else failed.push(`${upload.UploadId}: ${result}`);
  }
  return { aborted, failed };
}

function describeError(error: unknown): string {
  const { name, code, message } = (error ?? {}) as { name?: unknown; code?: unknown; message?: unknown };
  const label = typeof code === 'string' ? code : typeof name === 'string' ? name : 'Error';
  return typeof message === 'string' && message && message !== label ? `${label}: ${message}` : label;
}
