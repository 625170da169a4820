import { S3ServiceException } from '@aws-sdk/client-s3';

import { describeError, describeVerifyError } from '../../../../core/backup/verify/error-message';

function s3Error(name: string, status: number, message: string): S3ServiceException {
  return new S3ServiceException({ name, $fault: 'client', $metadata: { httpStatusCode: status }, message });
}

describe('describeVerifyError', () => {
  it('names the S3 code, its meaning and the HTTP status instead of "UnknownError"', () => {
    // Act / Assert
    expect(describeVerifyError(s3Error('InvalidArgument', 400, 'UnknownError'))).toBe(
      'InvalidArgument (the server refused an argument of the request (e.g. a storage class it does not define)) ' +
        '[HTTP 400]',
    );
    expect(describeVerifyError(s3Error('NoSuchBucket', 404, 'The specified bucket does not exist'))).toBe(
      'NoSuchBucket (the bucket does not exist) [HTTP 404]: The specified bucket does not exist',
    );
    expect(describeVerifyError(s3Error('NotFound', 404, 'NotFound'))).toBe(
      'NotFound (the object does not exist (HEAD answers without a code)) [HTTP 404]',
    );
  });

  it('keeps a code it has no meaning for, and describes other errors as Name: message', () => {
    // Act / Assert
    expect(describeVerifyError(s3Error('Teapot', 418, 'UnknownError'))).toBe('Teapot [HTTP 418]');
    expect(describeVerifyError(new RangeError('out of range'))).toBe('RangeError: out of range');
    expect(describeVerifyError('plain')).toBe(describeError('plain'));
  });
});
