import { KmsKeyError } from '../../../core/backup/kms-key-resolver';
import { S3_ERROR_MEANINGS } from '../../../core/aws/s3-errors';
import { BackupFailure } from './backup-io';

/** An error answered by an AWS (or S3-compatible) service: the SDK gives it `$metadata`. */
export function isServiceError(error: unknown): error is Error & { $metadata: { httpStatusCode?: number } } {
  return error instanceof Error && '$metadata' in error;
}

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
 * Turns the failures a user can act on (service answers, KMS refusals, missing credentials) into a BackupFailure
 * naming the operation; returns undefined for anything else, which the caller rethrows.
 */
export function toBackupFailure(operation: string, error: unknown): BackupFailure | undefined {
  if (error instanceof BackupFailure) return error;
  if (error instanceof KmsKeyError)
    return new BackupFailure(`${operation}: ${error.message}`, { cause: error });
  if (isServiceError(error) || (error instanceof Error && error.name === 'CredentialsProviderError')) {
    const name = error.name === 'Error' ? 'error' : error.name;
    const status = isServiceError(error) ? error.$metadata.httpStatusCode : undefined;
    const hint = HINTS[name] ? ` (${HINTS[name]})` : '';
    const meaning = S3_ERROR_MEANINGS[name];
    const detail = isEmptyMessage(error.message, name)
      ? meaning
        ? `: ${meaning}`
        : ''
      : `: ${error.message}`;
    return new BackupFailure(
      `${operation} failed: ${name}${status ? ` [HTTP ${status}]` : ''}${detail}${hint}`,
      {
        cause: error,
      },
    );
  }
  return undefined;
}

/**
 * The `code` of a Node system error (ENOENT, EEXIST, ECONNRESET, …). Duck-typed: errors raised inside Node's
 * own modules may come from another realm (test runners), where `instanceof Error` is false.
 */
export function systemErrorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof error === 'object' && typeof code === 'string' ? code : undefined;
}
