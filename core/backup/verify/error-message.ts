import { describeS3Error } from '../../aws/s3-errors';

/**
 * A failure of the backup verifier's S3 reads for its report and messages: an S3 service error as its code, the
 * code's meaning and the HTTP status (describeS3Error), never a bare "UnknownError"; anything else as
 * describeError.
 */
export function describeVerifyError(error: unknown): string {
  return describeS3Error(error) ?? describeError(error);
}

/**
 * `Name: message` of a thrown value. Read by shape rather than `instanceof Error`, because errors raised inside
 * Node (zlib, fs, streams) come from another realm when code runs in a sandbox such as Jest's.
 */
export function describeError(error: unknown): string {
  if (typeof error === 'object' && error !== null) {
    const { name, message } = error as { name?: unknown; message?: unknown };
    if (typeof message === 'string')
      return typeof name === 'string' && name !== '' ? `${name}: ${message}` : message;
  }
  return String(error);
}
