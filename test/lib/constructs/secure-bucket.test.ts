import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type { SecureBucketProps } from '../../../lib/constructs/secure-bucket';
import { SecureBucket } from '../../../lib/constructs/secure-bucket';
import { cdkJsonContext } from '../../../lib/cdk-json-context';

const lifecycle = { noncurrentVersionExpirationDays: 30, abortIncompleteMultipartUploadDays: 7 };

function stack(): Stack {
  return new Stack(new App({ context: cdkJsonContext() }), 'Test', {
    env: { account: '123456789012', region: 'eu-west-1' },
  });
}

describe('SecureBucket', () => {
  it.each<[string, (s: Stack) => SecureBucketProps, string]>([
    [
      'a data bucket without a KMS key',
      (s) => ({ lifecycle, removalPolicy: RemovalPolicy.RETAIN, accessLogsBucket: logTarget(s) }),
      'encryptionKey is required (only the access-log target may use SSE-S3)',
    ],
    [
      'a bucket that logs nowhere',
      (s) => ({ lifecycle, removalPolicy: RemovalPolicy.RETAIN, encryptionKey: new kms.Key(s, 'K') }),
      'accessLogsBucket is required',
    ],
    [
      'an access-log target with SSE-KMS',
      (s) => ({
        lifecycle,
        removalPolicy: RemovalPolicy.RETAIN,
        isAccessLogTarget: true,
        encryptionKey: new kms.Key(s, 'K'),
      }),
      'an access-log target cannot use SSE-KMS',
    ],
    [
      'auto-delete with RETAIN',
      () => ({
        lifecycle,
        removalPolicy: RemovalPolicy.RETAIN,
        isAccessLogTarget: true,
        autoDeleteObjects: true,
      }),
      'autoDeleteObjects needs removalPolicy DESTROY',
    ],
    [
      'an archive day without its class',
      () => ({
        lifecycle: { ...lifecycle, archiveAfterDays: 30 },
        removalPolicy: RemovalPolicy.RETAIN,
        isAccessLogTarget: true,
      }),
      'lifecycle.archiveAfterDays and lifecycle.archiveStorageClass go together',
    ],
    [
      'expiry before archive',
      () => ({
        lifecycle: { ...lifecycle, archiveAfterDays: 30, archiveStorageClass: 'GLACIER', expirationDays: 10 },
        removalPolicy: RemovalPolicy.RETAIN,
        isAccessLogTarget: true,
      }),
      'lifecycle.expirationDays must come after lifecycle.archiveAfterDays',
    ],
    [
      'Object Lock on the log target',
      () => ({
        lifecycle,
        removalPolicy: RemovalPolicy.RETAIN,
        isAccessLogTarget: true,
        objectLockRetentionDays: 5,
      }),
      'an access-log target cannot have an Object Lock default retention',
    ],
  ])('refuses %s with a message naming the problem', (_what, props, message) => {
    // Arrange
    const s = stack();
    // Act + Assert
    expect(() => new SecureBucket(s, 'Bad', props(s))).toThrow(`SecureBucket Bad: ${message}`);
  });

  it('uses the L1 EventBridge switch, not the notifications custom resource', () => {
    // Arrange
    const s = stack();
    // Act
    new SecureBucket(s, 'Data', {
      lifecycle,
      removalPolicy: RemovalPolicy.RETAIN,
      encryptionKey: new kms.Key(s, 'K'),
      accessLogsBucket: logTarget(s),
    });
    // Assert
    const template = Template.fromStack(s);
    template.hasResourceProperties('AWS::S3::Bucket', {
      NotificationConfiguration: { EventBridgeConfiguration: { EventBridgeEnabled: true } },
    });
    template.resourceCountIs('Custom::S3BucketNotifications', 0);
    template.resourceCountIs('AWS::Lambda::Function', 0);
  });

  it('tags the bucket with its purpose only when given one, and nothing else it creates', () => {
    // Arrange
    const s = stack();
    // Act
    const tagged = new SecureBucket(s, 'Data', {
      purpose: 'quarantine',
      lifecycle,
      removalPolicy: RemovalPolicy.RETAIN,
      encryptionKey: new kms.Key(s, 'K'),
      accessLogsBucket: logTarget(s),
    });
    // Assert
    const resources = Template.fromStack(s).toJSON().Resources as Record<
      string,
      { Type: string; Properties: { Tags?: Array<{ Key: string; Value: string }> } }
    >;
    const taggedId = s.resolve((tagged.bucket.node.defaultChild as s3.CfnBucket).logicalId) as string;
    expect(resources[taggedId].Properties.Tags).toEqual([{ Key: 'stowage:bucket', Value: 'quarantine' }]);
    const others = Object.entries(resources).filter(([id]) => id !== taggedId);
    expect(
      others.filter(([, r]) => JSON.stringify(r.Properties.Tags ?? []).includes('stowage:bucket')),
    ).toEqual([]);
  });
});

function logTarget(s: Stack) {
  return new SecureBucket(s, 'Logs', {
    lifecycle,
    removalPolicy: RemovalPolicy.RETAIN,
    isAccessLogTarget: true,
  }).bucket;
}
