import { S3ServiceException } from '@aws-sdk/client-s3';
import {
  isInvalidArgument,
  isNotImplemented,
  isObjectMissing,
  isPayloadHashMismatch,
} from '../../../core/aws/s3-errors';

const serviceError = (name: string, httpStatusCode: number): S3ServiceException =>
  new S3ServiceException({ name, $fault: 'client', $metadata: { httpStatusCode }, message: name });

describe('S3 error predicates', () => {
  it('recognise each error by its code, from the SDK name or a plain Code', () => {
    expect(isPayloadHashMismatch(serviceError('XAmzContentSHA256Mismatch', 400))).toBe(true);
    expect(isPayloadHashMismatch({ name: 'Error', Code: 'XAmzContentSHA256Mismatch' })).toBe(true);
    expect(isInvalidArgument(serviceError('InvalidArgument', 400))).toBe(true);
    expect(isNotImplemented(serviceError('NotImplemented', 501))).toBe(true);
    expect(isObjectMissing(serviceError('NoSuchKey', 404))).toBe(true);
  });

  it('do not mistake one 400 for another, or a non-error for any', () => {
    const badDigest = serviceError('BadDigest', 400);
    expect(isPayloadHashMismatch(badDigest)).toBe(false);
    expect(isInvalidArgument(badDigest)).toBe(false);
    expect(isPayloadHashMismatch(serviceError('InvalidArgument', 400))).toBe(false);
    expect(isInvalidArgument(undefined)).toBe(false);
    expect(isPayloadHashMismatch('XAmzContentSHA256Mismatch')).toBe(false);
  });
});
