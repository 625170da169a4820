import { Stack } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { READABLE_SCAN_STATUS, TAG_KEYS } from '../../core/contracts/object-tags';
import type { KeyPurpose, ReplicatedBucket } from '../config/naming';
import { keyAliasName, replicaBucketName } from '../config/naming';
import type { SecureBucketReplication } from '../constructs/secure-bucket';
import { SecureBucket } from '../constructs/secure-bucket';
import { acknowledge } from '../compliance/acknowledgements';
import { accessTagValue } from '../security/access';
import { uploadsCorsRule, type CorsRuleSpec } from '../buckets/bucket-cors';
import { bucketLifecycle } from '../buckets/bucket-lifecycle';
import { addStackOutput } from './stack-outputs';
import type { StowageStackProps } from './stowage-stack-props';
import { removalPolicyOf } from './stowage-stack-props';

export interface StorageStackProps extends StowageStackProps {
  /** Data keys from the Keys stack, by purpose. */
  readonly keys: Readonly<Record<KeyPurpose, kms.IKey>>;
}

/** A CORS rule spec (shared with local mode) in CDK's form. */
function corsRule(spec: CorsRuleSpec): s3.CorsRule {
  return {
    allowedMethods: spec.allowedMethods.map((method) => s3.HttpMethods[method]),
    allowedOrigins: [...spec.allowedOrigins],
    allowedHeaders: [...spec.allowedHeaders],
    exposedHeaders: [...spec.exposedHeaders],
    maxAge: spec.maxAgeSeconds,
  };
}

/**
 * The five buckets of docs/architecture.md, all through SecureBucket: uploads, processed, quarantine,
 * backups and the access-log target they all log to.
 */
export class StorageStack extends Stack {
  readonly accessLogs: s3.Bucket;
  readonly uploads: s3.Bucket;
  readonly processed: s3.Bucket;
  readonly quarantine: s3.Bucket;
  readonly backups: s3.Bucket;

  constructor(scope: Construct, id: string, props: StorageStackProps) {
    super(scope, id, props);
    const { config, keys } = props;
    const common = {
      removalPolicy: removalPolicyOf(config),
      autoDeleteObjects: config.autoDeleteObjects,
    };

    this.accessLogs = new SecureBucket(this, 'AccessLogs', {
      ...common,
      purpose: 'access-logs',
      isAccessLogTarget: true,
      lifecycle: bucketLifecycle(config, 'accessLogs'),
    }).bucket;
    const logged = { ...common, accessLogsBucket: this.accessLogs };

    const uploads = new SecureBucket(this, 'Uploads', {
      ...logged,
      purpose: 'uploads',
      encryptionKey: keys.uploads,
      lifecycle: bucketLifecycle(config, 'uploads'),
      cors: [corsRule(uploadsCorsRule(config))],
    });
    // Until the scanner tags an object CLEAN, only the intake pipeline may read it.
    uploads.denyReadsUnlessPrincipalTagged(
      'DenyReadsUntilScannedClean',
      [accessTagValue(config.envName, 'pipeline')],
      {
        unlessObjectTag: { key: TAG_KEYS.status, value: READABLE_SCAN_STATUS },
      },
    );
    acknowledge(uploads, 'uploadsNotReplicated');
    acknowledge(uploads, 'pipelineBucketWithoutObjectLock');
    this.uploads = uploads.bucket;

    const processed = new SecureBucket(this, 'Processed', {
      ...logged,
      purpose: 'processed',
      encryptionKey: keys.processed,
      lifecycle: bucketLifecycle(config, 'processed'),
      replication: this.replicationTo(props, 'processed'),
    });
    if (!config.replication.enabled) acknowledge(processed, 'replicationOffByConfig');
    acknowledge(processed, 'pipelineBucketWithoutObjectLock');
    this.processed = processed.bucket;

    const quarantine = new SecureBucket(this, 'Quarantine', {
      ...logged,
      purpose: 'quarantine',
      encryptionKey: keys.quarantine,
      lifecycle: bucketLifecycle(config, 'quarantine'),
    });
    quarantine.denyReadsUnlessPrincipalTagged('DenyReadsExceptOperations', [
      accessTagValue(config.envName, 'operations'),
    ]);
    acknowledge(quarantine, 'quarantineNotReplicated');
    acknowledge(quarantine, 'pipelineBucketWithoutObjectLock');
    this.quarantine = quarantine.bucket;

    const backups = new SecureBucket(this, 'Backups', {
      ...logged,
      purpose: 'backups',
      encryptionKey: keys.backups,
      lifecycle: bucketLifecycle(config, 'backups'),
      objectLockRetentionDays: config.lifecycle.backups.objectLockRetentionDays,
      replication: this.replicationTo(props, 'backups'),
    });
    if (!config.replication.enabled) acknowledge(backups, 'replicationOffByConfig');
    if (config.lifecycle.backups.objectLockRetentionDays === undefined) {
      acknowledge(backups, 'backupsObjectLockOffByConfig');
    }
    this.backups = backups.bucket;

    addStackOutput(this, 'Storage', 'UploadsBucketName', this.uploads.bucketName);
    addStackOutput(this, 'Storage', 'ProcessedBucketName', this.processed.bucketName);
    addStackOutput(this, 'Storage', 'QuarantineBucketName', this.quarantine.bucketName);
    addStackOutput(this, 'Storage', 'BackupsBucketName', this.backups.bucketName);
    addStackOutput(this, 'Storage', 'AccessLogsBucketName', this.accessLogs.bucketName);
  }

  private replicationTo(
    props: StorageStackProps,
    bucket: ReplicatedBucket,
  ): SecureBucketReplication | undefined {
    const { config } = props;
    if (!config.replication.enabled) return undefined;
    return {
      destinationBucketName: replicaBucketName(config, bucket),
      destinationRegion: config.replication.replicaRegion,
      replicaKeyAliasName: keyAliasName(config, 'replica'),
      replicationTimeControl: config.replication.replicationTimeControl,
      metrics: config.replication.metrics,
    };
  }
}
