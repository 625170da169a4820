/** Narrowing helpers for S3 service errors (SDK v3 `S3ServiceException` and plain `$metadata` errors). */

interface ServiceErrorShape {
  readonly name?: unknown;
  readonly Code?: unknown;
  readonly $metadata?: { readonly httpStatusCode?: number };
}

function shape(error: unknown): ServiceErrorShape | undefined {
  return typeof error === 'object' && error !== null ? (error as ServiceErrorShape) : undefined;
}

function codeOf(error: unknown): string | undefined {
  const value = shape(error);
  if (!value) return undefined;
  if (typeof value.name === 'string' && value.name !== 'Error') return value.name;
  return typeof value.Code === 'string' ? value.Code : undefined;
}

/** The object or the version no longer exists (NoSuchKey, NoSuchVersion, HeadObject's bare 404). */
export function isObjectMissing(error: unknown): boolean {
  const code = codeOf(error);
  return (
    code === 'NoSuchKey' ||
    code === 'NoSuchVersion' ||
    code === 'NotFound' ||
    shape(error)?.$metadata?.httpStatusCode === 404
  );
}

/** The server does not implement the request (Ceph RGW: CopyObject of an SSE-KMS source answers 501). */
export function isNotImplemented(error: unknown): boolean {
  return codeOf(error) === 'NotImplemented' || shape(error)?.$metadata?.httpStatusCode === 501;
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
 * 412 PreconditionFailed: a conditional write (`IfNoneMatch: '*'`) found the key already there (S3 and Ceph RGW,
 * measured), or a conditional read did not match.
 */
export function isPreconditionFailed(error: unknown): boolean {
  return codeOf(error) === 'PreconditionFailed' || shape(error)?.$metadata?.httpStatusCode === 412;
}
