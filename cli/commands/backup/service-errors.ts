/** How `stowage backup` words the failures a user can act on: `operation failed: Code [HTTP status]: message (hint)`. */

import { awsErrorCode, httpStatusOf, isServiceError } from '../../../core/aws/aws-errors';
import { KmsKeyError } from '../../../core/backup/kms-key-resolver';
import { S3_ERROR_MEANINGS } from '../../../core/aws/s3-errors';
import { CommandFailure } from '../../shared/command-io';

const HINTS: Record<string, string> = {
  NoSuchBucket: 'check --bucket / STOWAGE_BACKUPS_BUCKET and --region',
  AccessDenied: 'check your credentials (--profile / AWS_PROFILE) and their permissions on the bucket',
  InvalidAccessKeyId: 'check your credentials (--profile / AWS_PROFILE, AWS_ACCESS_KEY_ID)',
  SignatureDoesNotMatch: 'check your credentials (AWS_SECRET_ACCESS_KEY) and --region',
  CredentialsProviderError:
    'no AWS credentials found: set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY',
};

/** `Code (meaning)`, or the code alone when it has no entry. */
export function describeS3Code(code: string): string {
  const meaning = S3_ERROR_MEANINGS[code];
  return meaning ? `${code} (${meaning})` : code;
}

/** Messages that say nothing: the SDK's placeholder for an error body without one, or the code repeated. */
function isEmptyMessage(message: string | undefined, code: string): boolean {
  return !message || message === code || message === 'UnknownError' || message === 'Unknown';
}

/**
 * Turns the failures a user can act on (service answers, KMS refusals, missing credentials) into a CommandFailure
 * naming the operation; returns undefined for anything else, which the caller rethrows.
 */
export function toBackupFailure(operation: string, error: unknown): CommandFailure | undefined {
  if (error instanceof CommandFailure) return error;
  if (error instanceof KmsKeyError)
    return new CommandFailure(`${operation}: ${error.message}`, { cause: error });
  const code = awsErrorCode(error);
  if (isServiceError(error) || (error instanceof Error && code === 'CredentialsProviderError')) {
    const name = code ?? 'error';
    const status = httpStatusOf(error);
    const hint = HINTS[name] ? ` (${HINTS[name]})` : '';
    const meaning = S3_ERROR_MEANINGS[name];
    const detail = isEmptyMessage(error.message, name)
      ? meaning
        ? `: ${meaning}`
        : ''
      : `: ${error.message}`;
    return new CommandFailure(
      `${operation} failed: ${name}${status ? ` [HTTP ${status}]` : ''}${detail}${hint}`,
      {
        cause: error,
      },
    );
  }
  return undefined;
}
