/** How the commands word the AWS errors core/aws/aws-errors classifies: `Code [HTTP status]: message`, and hints. */

import { awsErrorCode, httpStatusOf, isMissingCredentials, isServiceError } from '../../core/aws/aws-errors';

/** The error code (core/aws/aws-errors: the name, else `Code`), or `Error` when nothing names it. */
export function errorCode(error: unknown): string {
  return (error instanceof Error ? awsErrorCode(error) : undefined) ?? 'Error';
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
