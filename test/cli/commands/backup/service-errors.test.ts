import { describeS3Code, toBackupFailure } from '../../../../cli/commands/backup/service-errors';
import { serviceError } from './fake-backup-io';

describe('S3 errors in messages', () => {
  it('names the code and its meaning when the server sent no message (never "UnknownError")', () => {
    const failure = toBackupFailure('push', serviceError('InvalidArgument', 400, 'UnknownError'));
    expect(failure?.message).toBe(
      'push failed: InvalidArgument [HTTP 400]: the server refused an argument of the request (e.g. a storage ' +
        'class it does not define)',
    );
  });

  it("keeps the server's own message when it sent one", () => {
    const failure = toBackupFailure(
      'pull',
      serviceError('NoSuchKey', 404, 'The specified key does not exist.'),
    );
    expect(failure?.message).toBe('pull failed: NoSuchKey [HTTP 404]: The specified key does not exist.');
  });

  it('describes a code with its meaning, an unknown one by itself', () => {
    expect(describeS3Code('NoSuchUpload')).toBe(
      'NoSuchUpload (the multipart upload does not exist (completed or aborted))',
    );
    expect(describeS3Code('SomethingNew')).toBe('SomethingNew');
  });
});
