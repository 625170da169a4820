import {
  BucketAlreadyExists,
  BucketAlreadyOwnedByYou,
  CreateBucketCommand,
  GetBucketLifecycleConfigurationCommand,
  ListObjectsV2Command,
  PutBucketCorsCommand,
  PutBucketEncryptionCommand,
  PutBucketLifecycleConfigurationCommand,
  PutBucketTaggingCommand,
  PutBucketVersioningCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';

import { loadConfig } from '../../../lib/config';
import { BUCKET_PURPOSES } from '../../../lib/config/naming';
import {
  bucketTags,
  ensureLocalBuckets,
  localKmsKeyIds,
  localLifecycleRules,
  sameLifecycleRules,
} from '../../../local/runtime/local-buckets';
import { requeueLeftoverUploads } from '../../../local/runtime/local-mode';

const s3Mock = mockClient(S3Client);
const dev = loadConfig('dev', { environment: {} });
const prod = loadConfig('prod', { environment: {} });

function serviceError(name: string, httpStatusCode: number): S3ServiceException {
  return new S3ServiceException({ name, $fault: 'client', $metadata: { httpStatusCode }, message: name });
}

function invalidArgument(): S3ServiceException {
  return serviceError('InvalidArgument', 400);
}

/** The inputs every call of `command` got, by bucket. */
function inputsByBucket<T>(command: Parameters<typeof s3Mock.commandCalls>[0]): Map<string, T> {
  return new Map(
    s3Mock.commandCalls(command).map((call) => {
      const input = call.args[0].input as T & { Bucket?: string };
      return [input.Bucket ?? '', input];
    }),
  );
}

beforeEach(() => {
  s3Mock.reset();
  s3Mock.onAnyCommand().resolves({});
});

describe('localKmsKeyIds', () => {
  it('names one key per data bucket after the Keys stack aliases', () => {
    // Act / Assert
    expect(localKmsKeyIds(dev)).toEqual({
      uploads: 'alias/stowage/dev/uploads',
      processed: 'alias/stowage/dev/processed',
      quarantine: 'alias/stowage/dev/quarantine',
      backups: 'alias/stowage/dev/backups',
    });
  });
});

describe('localLifecycleRules', () => {
  it('derives the backups rules from the config: abort, noncurrent, archive + expiry, test/ prefix', () => {
    // Act
    const rules = localLifecycleRules(dev, 'backups');

    // Assert
    expect(rules).toEqual([
      {
        ID: 'abort-incomplete-multipart-uploads',
        Status: 'Enabled',
        Filter: { Prefix: '' },
        AbortIncompleteMultipartUpload: {
          DaysAfterInitiation: dev.lifecycle.abortIncompleteMultipartUploadDays,
        },
      },
      {
        ID: 'expire-noncurrent-versions',
        Status: 'Enabled',
        Filter: { Prefix: '' },
        NoncurrentVersionExpiration: { NoncurrentDays: dev.lifecycle.noncurrentVersionExpirationDays },
      },
      {
        ID: 'current-versions',
        Status: 'Enabled',
        Filter: { Prefix: '' },
        Transitions: [{ Days: 30, StorageClass: 'GLACIER' }],
        Expiration: { Days: 90 },
      },
      { ID: 'expire-test', Status: 'Enabled', Filter: { Prefix: 'test/' }, Expiration: { Days: 7 } },
    ]);
  });

  it('follows the env: prod keeps noncurrent versions for its own number of days', () => {
    // Act
    const rules = localLifecycleRules(prod, 'uploads');

    // Assert
    expect(
      rules.find((rule) => rule.ID === 'expire-noncurrent-versions')?.NoncurrentVersionExpiration,
    ).toEqual({
      NoncurrentDays: 90,
    });
    expect(rules.find((rule) => rule.ID === 'current-versions')?.Expiration).toEqual({ Days: 30 });
  });

  it('maps access-logs to the accessLogs lifecycle', () => {
    // Act
    const rules = localLifecycleRules(dev, 'access-logs');

    // Assert
    expect(rules.find((rule) => rule.ID === 'current-versions')).toMatchObject({
      Transitions: [{ Days: 90, StorageClass: 'GLACIER' }],
      Expiration: { Days: 2555 },
    });
  });
});

describe('sameLifecycleRules', () => {
  it.each([
    ['a changed expiry', { Expiration: { Days: 31 } }],
    ['a changed prefix', { Filter: { Prefix: 'other/' } }],
    ['a disabled rule', { Status: 'Disabled' as const }],
    ['a changed noncurrent expiry', { NoncurrentVersionExpiration: { NoncurrentDays: 2 } }],
  ])('tells %s apart', (_name, change) => {
    // Arrange
    const rules = localLifecycleRules(dev, 'quarantine');
    const changed = [{ ...rules[0], ...change }, ...rules.slice(1)];

    // Act / Assert
    expect(sameLifecycleRules(rules, rules)).toBe(true);
    expect(sameLifecycleRules(changed, rules)).toBe(false);
  });
});

describe('bucketTags', () => {
  it('puts config tags first and never lets them override the Stowage tags', () => {
    // Arrange
    const config = { envName: 'dev' as const, tags: { team: 'storage', 'stowage:env': 'spoofed' } };

    // Act
    const tags = bucketTags(config, 'quarantine');

    // Assert
    expect(tags).toEqual([
      { Key: 'team', Value: 'storage' },
      { Key: 'stowage:env', Value: 'dev' },
      { Key: 'stowage:app', Value: 'stowage' },
      { Key: 'stowage:bucket', Value: 'quarantine' },
    ]);
  });
});

describe('ensureLocalBuckets', () => {
  it('creates and configures all five buckets from the config', async () => {
    // Arrange
    const s3 = new S3Client({});

    // Act
    const setup = await ensureLocalBuckets({
      s3,
      config: dev,
      kmsKeyIds: localKmsKeyIds(dev),
      extraCorsOrigins: ['http://127.0.0.1:8787'],
    });

    // Assert
    const names = BUCKET_PURPOSES.map((purpose) => `stowage-dev-${purpose}`);
    expect(setup.names).toEqual(Object.fromEntries(BUCKET_PURPOSES.map((p) => [p, `stowage-dev-${p}`])));
    expect([...inputsByBucket(CreateBucketCommand).keys()].sort()).toEqual([...names].sort());
    for (const input of inputsByBucket<{ VersioningConfiguration?: unknown }>(
      PutBucketVersioningCommand,
    ).values()) {
      expect(input.VersioningConfiguration).toEqual({ Status: 'Enabled' });
    }
    const lifecycles = inputsByBucket<{ LifecycleConfiguration?: { Rules?: unknown } }>(
      PutBucketLifecycleConfigurationCommand,
    );
    for (const purpose of BUCKET_PURPOSES) {
      expect(lifecycles.get(`stowage-dev-${purpose}`)?.LifecycleConfiguration?.Rules).toEqual(
        localLifecycleRules(dev, purpose),
      );
    }
    const tagging = inputsByBucket<{ Tagging?: { TagSet?: unknown } }>(PutBucketTaggingCommand);
    expect(tagging.get('stowage-dev-backups')?.Tagging?.TagSet).toEqual(bucketTags(dev, 'backups'));
    const cors = s3Mock.commandCalls(PutBucketCorsCommand);
    expect(cors).toHaveLength(1);
    expect(cors[0]?.args[0].input).toEqual({
      Bucket: 'stowage-dev-uploads',
      CORSConfiguration: {
        CORSRules: [
          {
            AllowedMethods: ['POST', 'PUT', 'GET', 'HEAD'],
            AllowedOrigins: [...dev.cors.allowedOrigins, 'http://127.0.0.1:8787'],
            AllowedHeaders: ['Content-Type', 'Authorization', 'x-amz-*'],
            ExposeHeaders: ['ETag'],
            MaxAgeSeconds: 3600,
          },
        ],
      },
    });
    const encryption = inputsByBucket<{
      ServerSideEncryptionConfiguration?: { Rules?: unknown[] };
    }>(PutBucketEncryptionCommand);
    expect(encryption.get('stowage-dev-processed')?.ServerSideEncryptionConfiguration?.Rules).toEqual([
      {
        ApplyServerSideEncryptionByDefault: {
          SSEAlgorithm: 'aws:kms',
          KMSMasterKeyID: 'alias/stowage/dev/processed',
        },
        BucketKeyEnabled: true,
      },
    ]);
    expect(encryption.get('stowage-dev-access-logs')?.ServerSideEncryptionConfiguration?.Rules).toEqual([
      { ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } },
    ]);
    expect(Object.values(setup.encryption)).toEqual(Array(5).fill('bucket-default'));
  });

  it('keeps existing buckets of ours and re-applies every setting (idempotent restart)', async () => {
    // Arrange
    s3Mock
      .on(CreateBucketCommand)
      .rejects(new BucketAlreadyOwnedByYou({ $metadata: { httpStatusCode: 409 }, message: 'owned' }));

    // Act
    await ensureLocalBuckets({ s3: new S3Client({}), config: dev, kmsKeyIds: localKmsKeyIds(dev) });

    // Assert
    expect(s3Mock.commandCalls(PutBucketLifecycleConfigurationCommand)).toHaveLength(5);
    expect(s3Mock.commandCalls(PutBucketTaggingCommand)).toHaveLength(5);
  });

  it('leaves lifecycle rules the server already has as they are, and puts the ones that differ', async () => {
    // Arrange: RGW answers with the rules in another order and the prefix outside Filter; backups' rules differ.
    for (const purpose of BUCKET_PURPOSES) {
      const rules = localLifecycleRules(dev, purpose)
        .map(({ Filter, ...rule }) => ({ ...rule, Prefix: Filter?.Prefix }))
        .reverse();
      const stored = purpose === 'backups' ? rules.slice(1) : rules;
      s3Mock
        .on(GetBucketLifecycleConfigurationCommand, { Bucket: `stowage-dev-${purpose}` })
        .resolves({ Rules: stored });
    }

    // Act
    await ensureLocalBuckets({ s3: new S3Client({}), config: dev, kmsKeyIds: localKmsKeyIds(dev) });

    // Assert
    const put = inputsByBucket<{ LifecycleConfiguration?: { Rules?: unknown[] } }>(
      PutBucketLifecycleConfigurationCommand,
    );
    expect([...put.keys()]).toEqual(['stowage-dev-backups']);
    expect(put.get('stowage-dev-backups')?.LifecycleConfiguration?.Rules).toEqual(
      localLifecycleRules(dev, 'backups'),
    );
  });

  it('puts the lifecycle rules of a bucket that has none (NoSuchLifecycleConfiguration)', async () => {
    // Arrange
    s3Mock
      .on(GetBucketLifecycleConfigurationCommand)
      .rejects(serviceError('NoSuchLifecycleConfiguration', 404));

    // Act
    await ensureLocalBuckets({ s3: new S3Client({}), config: dev, kmsKeyIds: localKmsKeyIds(dev) });

    // Assert
    expect(s3Mock.commandCalls(PutBucketLifecycleConfigurationCommand)).toHaveLength(5);
  });

  it('fails on a bucket name someone else owns', async () => {
    // Arrange
    s3Mock
      .on(CreateBucketCommand)
      .rejects(new BucketAlreadyExists({ $metadata: { httpStatusCode: 409 }, message: 'taken' }));

    // Act / Assert
    await expect(
      ensureLocalBuckets({ s3: new S3Client({}), config: dev, kmsKeyIds: localKmsKeyIds(dev) }),
    ).rejects.toBeInstanceOf(BucketAlreadyExists);
  });

  it('falls back to per-request encryption where the server refuses a default, and says so', async () => {
    // Arrange
    s3Mock.on(PutBucketEncryptionCommand).rejects(invalidArgument());

    // Act
    const setup = await ensureLocalBuckets({
      s3: new S3Client({}),
      config: dev,
      kmsKeyIds: localKmsKeyIds(dev),
    });

    // Assert
    expect(Object.values(setup.encryption)).toEqual(Array(5).fill('per-request'));
    expect(setup.notApplied).toContain(
      'default encryption (writers send SSE headers per request): refused by the server for uploads, processed, quarantine, backups, access-logs',
    );
  });

  it('rethrows any other failure', async () => {
    // Arrange
    s3Mock.on(PutBucketLifecycleConfigurationCommand).rejects(new Error('connection reset'));

    // Act / Assert
    await expect(
      ensureLocalBuckets({ s3: new S3Client({}), config: dev, kmsKeyIds: localKmsKeyIds(dev) }),
    ).rejects.toThrow('connection reset');
  });
});

describe('requeueLeftoverUploads', () => {
  it('sends one RGW-style notification per object left under uploads/, over every page', async () => {
    // Arrange
    s3Mock
      .on(ListObjectsV2Command)
      .resolvesOnce({
        Contents: [{ Key: 'uploads/u/2026/11/23/a b+c.pdf', Size: 10, ETag: '"e1"' }],
        IsTruncated: true,
        NextContinuationToken: 'next',
      })
      .resolvesOnce({ Contents: [{ Key: 'uploads/u/2026/11/23/d.pdf', Size: 20 }], IsTruncated: false });
    const sent: string[] = [];

    // Act
    const count = await requeueLeftoverUploads(new S3Client({}), 'stowage-dev-uploads', (body) =>
      sent.push(body),
    );

    // Assert
    expect(count).toBe(2);
    expect(s3Mock.commandCalls(ListObjectsV2Command)[1]?.args[0].input).toMatchObject({
      Prefix: 'uploads/',
      ContinuationToken: 'next',
    });
    const first = JSON.parse(sent[0] ?? '{}') as { Records: Array<Record<string, unknown>> };
    expect(first.Records).toHaveLength(1);
    expect(first.Records[0]).toMatchObject({
      eventSource: 'ceph:s3',
      eventName: 'ObjectCreated:Put',
      s3: {
        bucket: { name: 'stowage-dev-uploads' },
        // Raw, like RGW's own records.
        object: { key: 'uploads/u/2026/11/23/a b+c.pdf', size: 10, eTag: 'e1', versionId: '' },
      },
    });
  });

  it('sends nothing for an empty bucket', async () => {
    // Arrange
    s3Mock.on(ListObjectsV2Command).resolves({ IsTruncated: false });
    const send = jest.fn();

    // Act / Assert
    await expect(requeueLeftoverUploads(new S3Client({}), 'b', send)).resolves.toBe(0);
    expect(send).not.toHaveBeenCalled();
  });
});
