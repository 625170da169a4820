/**
 * The one reading of the errors the AWS SDK v3 raises (and S3-compatible servers such as Ceph RGW through it), for
 * every host: the Lambda handlers, local mode and the CLI ask this module what an error is instead of reading its
 * fields themselves.
 *
 * The SDK names a service error after the service's code (`AccessDenied`, `NoSuchKey`), and its own failures too
 * (`CredentialsProviderError`, `TimeoutError`). An answer it has no model for comes back with a placeholder name
 * (`Error`, `UnknownError`, `Unknown`) and the service's code in `Code`; an answer without a body (HEAD) has only its
 * HTTP status. So the code is read from `name`, then `Code`, and a kind falls back to the status.
 */

/** The SDK's service error shape: a name (the service's error code), `$metadata`, and sometimes `Code`. */
export interface ServiceErrorLike extends Error {
  readonly $metadata: { readonly httpStatusCode?: number };
  readonly Code?: string;
}

/** An error a service (or an S3-compatible server) answered: the SDK gives it `$metadata`. */
export function isServiceError(error: unknown): error is ServiceErrorLike {
  return error instanceof Error && '$metadata' in error;
}

/** Names the SDK gives an error whose code it did not model: the code, if any, is in `Code`. */
const PLACEHOLDER_NAMES: ReadonlySet<string> = new Set(['Error', 'UnknownError', 'Unknown']);

interface AwsErrorFields {
  readonly name?: unknown;
  readonly Code?: unknown;
  readonly code?: unknown;
  readonly message?: unknown;
  readonly $metadata?: { readonly httpStatusCode?: unknown };
  readonly $retryable?: unknown;
}

function fieldsOf(error: unknown): AwsErrorFields | undefined {
  return typeof error === 'object' && error !== null ? (error as AwsErrorFields) : undefined;
}

/**
 * The error's code: its `name` unless that is a placeholder, else its `Code`, else the placeholder
 * `UnknownError`/`Unknown` itself; undefined when nothing names it (no name, or only `Error`, and no `Code`).
 */
export function awsErrorCode(error: unknown): string | undefined {
  const fields = fieldsOf(error);
  if (!fields) return undefined;
  const { name, Code } = fields;
  if (typeof name === 'string' && name !== '' && !PLACEHOLDER_NAMES.has(name)) return name;
  if (typeof Code === 'string' && Code !== '') return Code;
  return typeof name === 'string' && name !== 'Error' && name !== '' ? name : undefined;
}

/** The HTTP status the service answered with, when the error carries one. */
export function httpStatusOf(error: unknown): number | undefined {
  const status = fieldsOf(error)?.$metadata?.httpStatusCode;
  return typeof status === 'number' ? status : undefined;
}

/**
 * The `code` of a Node system error (ENOENT, EEXIST, ECONNRESET, …). Duck-typed: errors raised inside Node's
 * own modules may come from another realm (test runners), where `instanceof Error` is false.
 */
export function systemErrorCode(error: unknown): string | undefined {
  const code = fieldsOf(error)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** What went wrong, as far as a caller decides on it. */
export type AwsErrorKind =
  /** No credentials anywhere in the default chain (or the named profile is missing). */
  | 'missing-credentials'
  /** The service refused the credentials as such: unknown key, bad secret, expired session. */
  | 'bad-credentials'
  /** The credentials are known but not allowed (403). */
  | 'access-denied'
  /** The bucket, object, version, upload or resource does not exist (404). */
  | 'not-found'
  /** The service asks to slow down (429). */
  | 'throttling'
  /** No answer, or no request body, in time (408). */
  | 'timeout'
  /** The connection failed: reset, refused, name not resolved, host unreachable. */
  | 'network'
  /** The service failed on its side (5xx). */
  | 'server-error'
  /** Anything else: bad input, a conflict, a bug. */
  | 'other';

/** Node system error codes of a connection that failed. */
const NETWORK_CODES: ReadonlySet<string> = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

const KIND_BY_CODE: Readonly<Record<string, AwsErrorKind>> = {
  CredentialsProviderError: 'missing-credentials',
  InvalidAccessKeyId: 'bad-credentials',
  InvalidClientTokenId: 'bad-credentials',
  SignatureDoesNotMatch: 'bad-credentials',
  ExpiredToken: 'bad-credentials',
  ExpiredTokenException: 'bad-credentials',
  UnrecognizedClientException: 'bad-credentials',
  AccessDenied: 'access-denied',
  AccessDeniedException: 'access-denied',
  // HeadObject's bare 403: no body, so no code.
  Forbidden: 'access-denied',
  NoSuchBucket: 'not-found',
  NoSuchKey: 'not-found',
  NoSuchVersion: 'not-found',
  NoSuchUpload: 'not-found',
  // HeadObject's bare 404.
  NotFound: 'not-found',
  ResourceNotFoundException: 'not-found',
  SlowDown: 'throttling',
  Throttling: 'throttling',
  ThrottlingException: 'throttling',
  TimeoutError: 'timeout',
  RequestTimeout: 'timeout',
  RequestTimeoutException: 'timeout',
  InternalError: 'server-error',
  ServiceUnavailable: 'server-error',
};

const MISSING_CREDENTIALS_MESSAGE =
  /could not load credentials|credential is missing|profile .* could not be found/i;

/**
 * What kind of failure `error` is: by its code (awsErrorCode), else a Node connection error's `code`, else the HTTP
 * status (403, 404, 408, 429, 5xx); `other` for anything else, including values that are not errors.
 */
export function classifyAwsError(error: unknown): AwsErrorKind {
  if (isMissingCredentials(error)) return 'missing-credentials';
  const code = awsErrorCode(error);
  const byCode = code === undefined ? undefined : KIND_BY_CODE[code];
  if (byCode) return byCode;
  const system = systemErrorCode(error);
  if (system !== undefined && NETWORK_CODES.has(system)) return 'network';
  return kindOfStatus(httpStatusOf(error));
}

function kindOfStatus(status: number | undefined): AwsErrorKind {
  if (status === undefined) return 'other';
  if (status >= 500) return 'server-error';
  switch (status) {
    case 403:
      return 'access-denied';
    case 404:
      return 'not-found';
    case 408:
      return 'timeout';
    case 429:
      return 'throttling';
    default:
      return 'other';
  }
}

/** No credentials anywhere in the default chain (or the named profile is missing). */
export function isMissingCredentials(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  return error.name === 'CredentialsProviderError' || MISSING_CREDENTIALS_MESSAGE.test(error.message);
}

/** Credentials the service refused as credentials (unknown key, bad secret, expired session). */
export function isBadCredentials(error: unknown): boolean {
  const code = awsErrorCode(error);
  return code !== undefined && KIND_BY_CODE[code] === 'bad-credentials';
}

/** The service answered access denied (by code, or a bare 403 without one). */
export function isAccessDenied(error: unknown): boolean {
  return classifyAwsError(error) === 'access-denied';
}

/** What does not exist (by code, or a bare 404 without one). */
export function isNotFound(error: unknown): boolean {
  return classifyAwsError(error) === 'not-found';
}

const TRANSIENT_KINDS: ReadonlySet<AwsErrorKind> = new Set([
  'throttling',
  'timeout',
  'network',
  'server-error',
]);

/**
 * Worth another attempt: network failures, timeouts, throttling and server-side (5xx, whatever the code) errors, and
 * whatever the SDK marked `$retryable`; not access, missing buckets or bad input.
 */
export function isTransientAwsError(error: unknown): boolean {
  const fields = fieldsOf(error);
  if (!fields) return false;
  if (fields.$retryable !== undefined) return true;
  const code = awsErrorCode(error);
  const byCode = code === undefined ? undefined : KIND_BY_CODE[code];
  if (byCode && TRANSIENT_KINDS.has(byCode)) return true;
  const system = systemErrorCode(error);
  if (system !== undefined && NETWORK_CODES.has(system)) return true;
  return TRANSIENT_KINDS.has(kindOfStatus(httpStatusOf(error)));
}
