/** Narrowing helpers for S3 service errors (SDK v3 `S3ServiceException` and plain `$metadata` errors). */

import { awsErrorCode as codeOf, httpStatusOf } from './aws-errors';

/** The object or the version no longer exists (NoSuchKey, NoSuchVersion, HeadObject's bare 404). */
export function isObjectMissing(error: unknown): boolean {
  const code = codeOf(error);
  return (
    code === 'NoSuchKey' || code === 'NoSuchVersion' || code === 'NotFound' || httpStatusOf(error) === 404
  );
}

/** The server does not implement the request (Ceph RGW: CopyObject of an SSE-KMS source answers 501). */
export function isNotImplemented(error: unknown): boolean {
  return codeOf(error) === 'NotImplemented' || httpStatusOf(error) === 501;
}

/** The error S3 (and Ceph RGW, measured) answer when a body's SHA-256 differs from its signed x-amz-content-sha256. */
export const PAYLOAD_HASH_MISMATCH = 'XAmzContentSHA256Mismatch';

/** The server refused a body whose bytes are not the ones whose SHA-256 the request was signed with (400). */
export function isPayloadHashMismatch(error: unknown): boolean {
  return codeOf(error) === PAYLOAD_HASH_MISMATCH;
}

/** 400 InvalidArgument (Ceph RGW: among others, a storage class its zone placement does not define). */
export function isInvalidArgument(error: unknown): boolean {
  return codeOf(error) === 'InvalidArgument';
}

/**
 * 412 PreconditionFailed: a conditional write (`IfNoneMatch: '*'`) found the key already there, or a conditional
 * read did not match. S3 enforces `IfNoneMatch: '*'` on every bucket; Ceph RGW 16 only on unversioned ones (measured:
 * on a versioned bucket the second conditional PUT is stored as a new version), so callers on versioned buckets
 * also look before they write.
 */
export function isPreconditionFailed(error: unknown): boolean {
  return codeOf(error) === 'PreconditionFailed' || httpStatusOf(error) === 412;
}

/**
 * What each S3 error code means, for messages. Servers (Ceph RGW, and S3 for some codes) often answer without a
 * message, which the SDK then reports as "UnknownError": the code and this meaning are what a reader gets instead.
 */
export const S3_ERROR_MEANINGS: Readonly<Record<string, string>> = {
  AccessDenied: 'access denied',
  BucketAlreadyExists: 'the bucket name is taken',
  EntityTooLarge: 'the upload is larger than the server allows',
  EntityTooSmall: 'a multipart part is smaller than the 5 MiB minimum',
  InvalidArgument: 'the server refused an argument of the request (e.g. a storage class it does not define)',
  InvalidBucketName: 'the bucket name is not valid',
  InvalidObjectState: 'the object is archived (restore it first) or locked',
  InvalidPart: 'a multipart part is missing or its ETag does not match',
  InvalidPartOrder: 'multipart parts were not listed in ascending order',
  InvalidRange: 'the requested byte range is outside the object',
  InvalidRequest: 'the server refused the request as malformed',
  InvalidStorageClass: 'the storage class is not valid',
  KMS_Disabled: 'the KMS key is disabled',
  KMSKeyNotFound: 'the KMS key does not exist or is not usable',
  MethodNotAllowed: 'the operation is not allowed on this resource',
  MissingContentLength: 'the request had no Content-Length',
  NoSuchBucket: 'the bucket does not exist',
  NoSuchKey: 'the object does not exist',
  NoSuchUpload: 'the multipart upload does not exist (completed or aborted)',
  NoSuchVersion: 'the object version does not exist',
  NotFound: 'the object does not exist (HEAD answers without a code)',
  NotImplemented: 'the server does not implement this request',
  ObjectLockConfigurationNotFoundError: 'the bucket has no Object Lock configuration',
  PreconditionFailed: 'a precondition failed (the object exists already, or changed)',
  RequestTimeTooSkewed: "this machine's clock differs too much from the server's",
  RequestTimeout: 'the server timed out waiting for the request body',
  ServiceUnavailable: 'the service is unavailable',
  SlowDown: 'the server asks to slow down',
  XAmzContentSHA256Mismatch: "the body's SHA-256 differs from the signed one (damaged on the way)",
};

/**
 * An S3 service error as `Code (meaning) [HTTP status]: message`, the message left out when it says nothing (the
 * SDK's "UnknownError" for a body without one, or the code repeated); undefined for errors that are not S3's.
 */
export function describeS3Error(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('$metadata' in error)) return undefined;
  const code = codeOf(error) ?? 'UnknownCode';
  const status = httpStatusOf(error);
  const meaning = S3_ERROR_MEANINGS[code];
  const message = (error as { message?: unknown }).message;
  const empty =
    typeof message !== 'string' || message === '' || message === code || /^Unknown(Error)?$/.test(message);
  return (
    `${code}${meaning ? ` (${meaning})` : ''}${status ? ` [HTTP ${status}]` : ''}` +
    `${empty ? '' : `: ${message as string}`}`
  );
}
