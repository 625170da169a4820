/** Reading the errors the AWS SDK (and S3-compatible servers through it) raise. */

/** The SDK's service error shape: a name (the service's error code) and `$metadata`. */
export interface ServiceErrorLike extends Error {
  readonly $metadata: { readonly httpStatusCode?: number };
  readonly Code?: string;
}

export function isServiceError(error: unknown): error is ServiceErrorLike {
  return error instanceof Error && '$metadata' in error;
}

/**
 * The error code: the service's (`AccessDenied`, `NoSuchBucket`, …) or the SDK's own (`CredentialsProviderError`).
 * RGW's errors without a modelled shape come back named `UnknownError`/`Unknown` with the code in `Code`.
 */
export function errorCode(error: unknown): string {
  if (!(error instanceof Error)) return 'Error';
  const code = (error as { Code?: unknown }).Code;
  if ((error.name === 'UnknownError' || error.name === 'Unknown') && typeof code === 'string') return code;
  return error.name;
}

export function httpStatusOf(error: unknown): number | undefined {
  return isServiceError(error) ? error.$metadata.httpStatusCode : undefined;
}

/** `AccessDenied [HTTP 403]: message` (the message only when it says more than the code). */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = errorCode(error);
  const status = httpStatusOf(error);
  const message =
    error.message && error.message !== code && error.message !== 'UnknownError' ? error.message : '';
  return `${code}${status ? ` [HTTP ${status}]` : ''}${message ? `: ${message}` : ''}`;
}

/** No credentials anywhere in the default chain (or the named profile is missing). */
export function isMissingCredentials(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  return (
    error.name === 'CredentialsProviderError' ||
    /could not load credentials|credential is missing|profile .* could not be found/i.test(error.message)
  );
}

/** Credentials the service refused as credentials (unknown key, bad secret, expired session). */
export function isBadCredentials(error: unknown): boolean {
  return [
    'InvalidAccessKeyId',
    'InvalidClientTokenId',
    'SignatureDoesNotMatch',
    'ExpiredToken',
    'ExpiredTokenException',
    'UnrecognizedClientException',
  ].includes(errorCode(error));
}

/** A failure the user can act on (the service answered, or no credentials); anything else is a bug to rethrow. */
export function isActionable(error: unknown): boolean {
  return isServiceError(error) || isMissingCredentials(error);
}

/** The hint for credential problems shared by every command. */
export const CREDENTIALS_HINT =
  'set AWS_PROFILE (or --profile; run `aws sso login` for SSO profiles) or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY';

const HINTS: Readonly<Record<string, string>> = {
  AccessDenied: 'check the permissions of your credentials and the bucket policy',
  NoSuchBucket: 'the bucket does not exist here: check the bucket name and --region',
  InvalidAccessKeyId: CREDENTIALS_HINT,
  SignatureDoesNotMatch: `check AWS_SECRET_ACCESS_KEY and --region; ${CREDENTIALS_HINT}`,
  ExpiredToken: `the session expired: ${CREDENTIALS_HINT}`,
  PermanentRedirect: 'the bucket is in another region: pass --region',
};

/** A hint for an error the user can act on, or undefined. */
export function hintFor(error: unknown): string | undefined {
  if (isMissingCredentials(error)) return `no AWS credentials found: ${CREDENTIALS_HINT}`;
  return HINTS[errorCode(error)];
}
