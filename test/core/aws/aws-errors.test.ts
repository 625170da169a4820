import { S3ServiceException } from '@aws-sdk/client-s3';
import {
  awsErrorCode,
  classifyAwsError,
  httpStatusOf,
  isAccessDenied,
  isBadCredentials,
  isMissingCredentials,
  isNotFound,
  isServiceError,
  isTransientAwsError,
  systemErrorCode,
} from '../../../core/aws/aws-errors';

/** What the SDK raises for a modelled (or body-named) service error: the code is the name. */
const named = (name: string, httpStatusCode: number): S3ServiceException =>
  new S3ServiceException({ name, $fault: 'client', $metadata: { httpStatusCode }, message: name });

/** What the SDK raises for an answer it has no model for: a placeholder name, the service's code in `Code`. */
const coded = (name: string, Code: string | undefined, httpStatusCode: number): Error =>
  Object.assign(new Error('UnknownError'), { name, Code, $metadata: { httpStatusCode } });

/** A Node connection error (no service answered). */
const system = (code: string): Error => Object.assign(new Error(`connect ${code}`), { code });

describe('awsErrorCode', () => {
  it('reads the name when it is a code', () => {
    // Arrange / Act / Assert
    expect(awsErrorCode(named('NoSuchKey', 404))).toBe('NoSuchKey');
    expect(awsErrorCode(Object.assign(new Error('x'), { name: 'AccessDenied', Code: 'Other' }))).toBe(
      'AccessDenied',
    );
  });

  it('falls back to Code when the name is a placeholder (Error, UnknownError, Unknown)', () => {
    expect(awsErrorCode(coded('Error', 'AccessDenied', 403))).toBe('AccessDenied');
    expect(awsErrorCode(coded('UnknownError', 'NoSuchBucket', 404))).toBe('NoSuchBucket');
    expect(awsErrorCode(coded('Unknown', 'SlowDown', 503))).toBe('SlowDown');
    expect(awsErrorCode({ name: 'Error', Code: 'XAmzContentSHA256Mismatch' })).toBe(
      'XAmzContentSHA256Mismatch',
    );
  });

  it('keeps UnknownError/Unknown when there is no Code, and says nothing for a bare Error or a non-error', () => {
    expect(awsErrorCode(coded('UnknownError', undefined, 400))).toBe('UnknownError');
    expect(awsErrorCode(coded('Unknown', undefined, 400))).toBe('Unknown');
    expect(awsErrorCode(new Error('plain'))).toBeUndefined();
    expect(awsErrorCode(undefined)).toBeUndefined();
    expect(awsErrorCode('AccessDenied')).toBeUndefined();
  });
});

describe('classifyAwsError', () => {
  it.each([
    ['access-denied', named('AccessDenied', 403)],
    ['access-denied', coded('Error', 'AccessDenied', 403)],
    ['access-denied', coded('UnknownError', 'AccessDenied', 403)],
    ['access-denied', named('AccessDeniedException', 400)],
    ['access-denied', named('Forbidden', 403)],
    ['access-denied', coded('UnknownError', undefined, 403)],
    ['not-found', named('NoSuchKey', 404)],
    ['not-found', coded('Error', 'NoSuchBucket', 404)],
    ['not-found', named('NotFound', 404)],
    ['not-found', coded('UnknownError', undefined, 404)],
    ['throttling', named('SlowDown', 503)],
    ['throttling', coded('Unknown', 'ThrottlingException', 400)],
    ['throttling', coded('UnknownError', undefined, 429)],
    ['timeout', Object.assign(new Error('timed out'), { name: 'TimeoutError' })],
    ['timeout', coded('Error', 'RequestTimeout', 400)],
    ['timeout', coded('UnknownError', undefined, 408)],
    ['network', system('ECONNRESET')],
    ['network', system('ENOTFOUND')],
    ['server-error', named('InternalError', 500)],
    ['server-error', coded('UnknownError', undefined, 502)],
    ['bad-credentials', named('InvalidAccessKeyId', 403)],
    ['bad-credentials', coded('Error', 'SignatureDoesNotMatch', 403)],
    ['bad-credentials', named('ExpiredToken', 400)],
    [
      'missing-credentials',
      Object.assign(new Error('Could not load credentials from any providers'), {
        name: 'CredentialsProviderError',
      }),
    ],
    ['missing-credentials', new Error('The profile "x" could not be found')],
    ['other', named('InvalidArgument', 400)],
    ['other', coded('UnknownError', 'PreconditionFailed', 412)],
    ['other', system('ENOENT')],
    ['other', new Error('a bug')],
    ['other', 'not an error'],
    ['other', null],
  ])('%s: %p', (kind, error) => {
    expect(classifyAwsError(error)).toBe(kind);
  });

  it('lets the code win over the status (a 403 that is a credentials problem, a 404 that is a named one)', () => {
    expect(classifyAwsError(named('SignatureDoesNotMatch', 403))).toBe('bad-credentials');
    expect(classifyAwsError(coded('UnknownError', 'InvalidAccessKeyId', 403))).toBe('bad-credentials');
  });

  it('answers the same through the predicates', () => {
    expect(isAccessDenied(coded('Error', 'AccessDenied', 403))).toBe(true);
    expect(isAccessDenied(named('NoSuchKey', 404))).toBe(false);
    expect(isNotFound(coded('UnknownError', 'NoSuchUpload', 404))).toBe(true);
    expect(isBadCredentials(coded('UnknownError', 'ExpiredTokenException', 400))).toBe(true);
    expect(isBadCredentials(named('AccessDenied', 403))).toBe(false);
    expect(isMissingCredentials(named('AccessDenied', 403))).toBe(false);
  });
});

describe('isTransientAwsError', () => {
  it('retries network failures, timeouts, throttling and 5xx, by name or by Code', () => {
    expect(isTransientAwsError(system('ETIMEDOUT'))).toBe(true);
    expect(isTransientAwsError(named('SlowDown', 503))).toBe(true);
    expect(isTransientAwsError(coded('UnknownError', 'SlowDown', 400))).toBe(true);
    expect(isTransientAwsError(coded('Error', 'RequestTimeout', 400))).toBe(true);
    expect(isTransientAwsError(coded('UnknownError', undefined, 429))).toBe(true);
    // A 5xx is worth another attempt whatever its code says.
    expect(isTransientAwsError(named('NotImplemented', 501))).toBe(true);
    expect(isTransientAwsError(Object.assign(new Error('x'), { $retryable: {} }))).toBe(true);
  });

  it('does not retry access, missing things, bad input or non-errors', () => {
    expect(isTransientAwsError(named('AccessDenied', 403))).toBe(false);
    expect(isTransientAwsError(coded('UnknownError', 'NoSuchBucket', 404))).toBe(false);
    expect(isTransientAwsError(named('InvalidArgument', 400))).toBe(false);
    expect(isTransientAwsError(system('ENOENT'))).toBe(false);
    expect(isTransientAwsError('nope')).toBe(false);
  });
});

describe('shape helpers', () => {
  it('read the status, the service-error mark and a system code', () => {
    expect(httpStatusOf(named('NoSuchKey', 404))).toBe(404);
    expect(httpStatusOf(new Error('x'))).toBeUndefined();
    expect(isServiceError(coded('Error', 'AccessDenied', 403))).toBe(true);
    expect(isServiceError({ $metadata: {} })).toBe(false);
    expect(systemErrorCode(system('ENOENT'))).toBe('ENOENT');
    expect(systemErrorCode({ code: 3 })).toBeUndefined();
  });
});
