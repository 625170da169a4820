import { GetBucketTaggingCommand, ListBucketsCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { CommandFailure } from '../../../cli/shared/command-io';
import { discoverEnvBuckets, requireBuckets } from '../../../cli/shared/env-buckets';
import { missingCredentials, serviceError } from './fake-command-io';

const s3 = mockClient(S3Client);
const client = new S3Client({ region: 'eu-west-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });

function tags(env: string, purpose: string) {
  return {
    TagSet: [
      { Key: 'stowage:env', Value: env },
      { Key: 'stowage:bucket', Value: purpose },
      { Key: 'stowage:app', Value: 'stowage' },
    ],
  };
}

beforeEach(() => {
  s3.reset();
});

describe('discoverEnvBuckets', () => {
  it('uses explicit names without listing anything', async () => {
    // Act
    const found = await discoverEnvBuckets(client, {
      envName: 'dev',
      purposes: ['uploads', 'backups'],
      explicit: { uploads: 'my-uploads', backups: 'my-backups' },
    });
    // Assert
    expect(found.buckets).toEqual({ uploads: 'my-uploads', backups: 'my-backups' });
    expect(found.foundBy).toEqual({ uploads: 'flag', backups: 'flag' });
    expect(s3.calls()).toHaveLength(0);
  });

  it("finds the env's buckets by their tags across pages, ignoring other envs, untagged and vanished buckets", async () => {
    // Arrange
    s3.on(ListBucketsCommand)
      .resolvesOnce({
        Buckets: [{ Name: 'dev-up' }, { Name: 'prod-up' }, { Name: 'plain' }],
        ContinuationToken: 'next',
      })
      .resolves({ Buckets: [{ Name: 'dev-proc' }, { Name: 'gone' }] });
    s3.on(GetBucketTaggingCommand, { Bucket: 'dev-up' }).resolves(tags('dev', 'uploads'));
    s3.on(GetBucketTaggingCommand, { Bucket: 'prod-up' }).resolves(tags('prod', 'uploads'));
    s3.on(GetBucketTaggingCommand, { Bucket: 'plain' }).rejects(serviceError('NoSuchTagSet', 404));
    s3.on(GetBucketTaggingCommand, { Bucket: 'dev-proc' }).resolves(tags('dev', 'processed'));
    s3.on(GetBucketTaggingCommand, { Bucket: 'gone' }).rejects(serviceError('NoSuchBucket', 404));
    // Act
    const found = await discoverEnvBuckets(client, {
      envName: 'dev',
      purposes: ['uploads', 'processed'],
      explicit: {},
    });
    // Assert
    expect(found.buckets).toEqual({ uploads: 'dev-up', processed: 'dev-proc' });
    expect(found.foundBy).toEqual({ uploads: 'tags', processed: 'tags' });
    expect(found.problems).toEqual({});
    expect(s3.commandCalls(ListBucketsCommand)[1]!.args[0].input.ContinuationToken).toBe('next');
  });

  it('lets an explicit name win over a tagged bucket', async () => {
    s3.on(ListBucketsCommand).resolves({ Buckets: [{ Name: 'tagged-up' }, { Name: 'tagged-proc' }] });
    s3.on(GetBucketTaggingCommand, { Bucket: 'tagged-up' }).resolves(tags('dev', 'uploads'));
    s3.on(GetBucketTaggingCommand, { Bucket: 'tagged-proc' }).resolves(tags('dev', 'processed'));
    const found = await discoverEnvBuckets(client, {
      envName: 'dev',
      purposes: ['uploads', 'processed'],
      explicit: { uploads: 'chosen' },
    });
    expect(found.buckets).toEqual({ uploads: 'chosen', processed: 'tagged-proc' });
  });

  it('names both buckets when two claim the same env and purpose', async () => {
    // Arrange
    s3.on(ListBucketsCommand).resolves({ Buckets: [{ Name: 'first' }, { Name: 'second' }] });
    s3.on(GetBucketTaggingCommand).resolves(tags('dev', 'uploads'));
    // Act
    const found = await discoverEnvBuckets(client, { envName: 'dev', purposes: ['uploads'] });
    // Assert
    expect(found.buckets.uploads).toBeUndefined();
    expect(found.problems.uploads).toMatch(
      /buckets first and second are both tagged stowage:env=dev, stowage:bucket=uploads/,
    );
    expect(found.problems.uploads).toMatch(/--uploads-bucket NAME or set STOWAGE_UPLOADS_BUCKET/);
    expect(() => requireBuckets(found, ['uploads'])).toThrow(/first and second/);
  });

  it('says how to pass a bucket it cannot find, naming an untagged local bucket and unreadable ones', async () => {
    // Arrange
    s3.on(ListBucketsCommand).resolves({ Buckets: [{ Name: 'stowage-dev-quarantine' }, { Name: 'secret' }] });
    s3.on(GetBucketTaggingCommand, { Bucket: 'stowage-dev-quarantine' }).rejects(
      serviceError('NoSuchTagSet', 404),
    );
    s3.on(GetBucketTaggingCommand, { Bucket: 'secret' }).rejects(serviceError('AccessDenied', 403));
    // Act
    const found = await discoverEnvBuckets(client, { envName: 'dev', purposes: ['quarantine', 'backups'] });
    // Assert
    expect(found.problems.quarantine).toMatch(
      /no quarantine bucket for env 'dev'.*bucket stowage-dev-quarantine exists but lacks these tags.*--quarantine-bucket stowage-dev-quarantine/,
    );
    expect(found.problems.quarantine).toMatch(/the tags of secret \(AccessDenied\) could not be read/);
    expect(found.problems.backups).toMatch(/pass --backups-bucket NAME or set STOWAGE_BACKUPS_BUCKET/);
    expect(() => requireBuckets(found, ['quarantine', 'backups'])).toThrow(
      expect.objectContaining({ message: expect.stringMatching(/quarantine[\s\S]*\n[\s\S]*backups/) }),
    );
  });

  it('skips buckets in other regions (replicas) without reading their tags', async () => {
    // Arrange
    s3.on(ListBucketsCommand).resolves({
      Buckets: [
        { Name: 'replica', BucketRegion: 'eu-central-1' },
        { Name: 'primary', BucketRegion: 'eu-west-1' },
        { Name: 'moved' },
      ],
    });
    s3.on(GetBucketTaggingCommand, { Bucket: 'primary' }).resolves(tags('prod', 'backups'));
    s3.on(GetBucketTaggingCommand, { Bucket: 'moved' }).rejects(serviceError('PermanentRedirect', 301));
    // Act
    const found = await discoverEnvBuckets(client, {
      envName: 'prod',
      purposes: ['backups'],
      region: 'eu-west-1',
    });
    // Assert
    expect(found.buckets).toEqual({ backups: 'primary' });
    const asked = s3.commandCalls(GetBucketTaggingCommand).map((c) => c.args[0].input.Bucket);
    expect(asked).not.toContain('replica');
  });

  it('fails with what to pass instead when ListBuckets is denied or there are no credentials', async () => {
    s3.on(ListBucketsCommand)
      .rejectsOnce(serviceError('AccessDenied', 403))
      .rejectsOnce(missingCredentials());
    const denied = discoverEnvBuckets(client, { envName: 'dev', purposes: ['uploads'] });
    await expect(denied).rejects.toBeInstanceOf(CommandFailure);
    await expect(discoverEnvBuckets(client, { envName: 'dev', purposes: ['uploads'] })).rejects.toThrow(
      /no AWS credentials found \(set AWS_PROFILE/,
    );
  });

  it('lets an unexpected error through', async () => {
    s3.on(ListBucketsCommand).resolves({ Buckets: [{ Name: 'b' }] });
    s3.on(GetBucketTaggingCommand).rejects(new TypeError('bug'));
    await expect(discoverEnvBuckets(client, { envName: 'dev', purposes: ['uploads'] })).rejects.toThrow(
      'bug',
    );
  });
});
