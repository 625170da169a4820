import { Stack } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import type { ReplicatedBucket } from '../config/naming';
import { appRoleArnPattern, bucketArnPattern, keyAliasName, replicaBucketName } from '../config/naming';
import { DataKey } from '../constructs/data-key';
import { SecureBucket } from '../constructs/secure-bucket';
import { acknowledge } from '../compliance/acknowledgements';
import { bucketLifecycle } from '../buckets/bucket-lifecycle';
import { addStackOutput } from './stack-outputs';
import type { StowageStackProps } from './stowage-stack-props';
import { removalPolicyOf } from './stowage-stack-props';

/**
 * The replica region: replicas of `processed` and `backups` with the same hardening as their
 * sources, encrypted under this region's own key, logging to this region's own access-log bucket
 * (S3 delivers server access logs only within a region).
 */
export class ReplicaStack extends Stack {
  readonly replicaKey: kms.IKey;
  readonly replicas: Readonly<Record<ReplicatedBucket, s3.IBucket>>;

  constructor(scope: Construct, id: string, props: StowageStackProps) {
    super(scope, id, props);
    const { config } = props;
    const common = {
      removalPolicy: removalPolicyOf(config),
      autoDeleteObjects: config.autoDeleteObjects,
    };

    this.replicaKey = new DataKey(this, 'ReplicaKey', {
      // The source stacks find this key by alias: keep the alias stable.
      aliasName: keyAliasName(config, 'replica'),
      description: `Stowage ${config.envName}: replicas of processed files and backups`,
      userPrincipalArnPatterns: [appRoleArnPattern(config), ...config.additionalKeyUserArns],
      s3SourceArnPattern: bucketArnPattern(config),
      removalPolicy: removalPolicyOf(config),
    }).key;

    const accessLogs = new SecureBucket(this, 'AccessLogs', {
      ...common,
      purpose: 'access-logs',
      isAccessLogTarget: true,
      lifecycle: bucketLifecycle(config, 'accessLogs'),
    }).bucket;

    const replica = (bucket: ReplicatedBucket, id: string) => {
      const lockDays = bucket === 'backups' ? config.lifecycle.backups.objectLockRetentionDays : undefined;
      const secure = new SecureBucket(this, id, {
        ...common,
        bucketName: replicaBucketName(config, bucket),
        purpose: bucket,
        encryptionKey: this.replicaKey,
        accessLogsBucket: accessLogs,
        lifecycle: bucketLifecycle(config, bucket),
        // S3 replicates from an Object Lock bucket only into one with Object Lock; replicas keep their source's
        // retention, and this default covers the rest, so a replica is no easier to delete than its source.
        objectLockRetentionDays: lockDays,
      });
      acknowledge(secure, 'replicaNotReplicatedFurther');
      if (lockDays === undefined) acknowledge(secure, 'replicaBucketWithoutObjectLock');
      return secure.bucket;
    };
    this.replicas = {
      processed: replica('processed', 'ProcessedReplica'),
      backups: replica('backups', 'BackupsReplica'),
    };

    addStackOutput(this, 'Replica', 'ReplicaKeyArn', this.replicaKey.keyArn);
    addStackOutput(this, 'Replica', 'ProcessedReplicaBucketName', this.replicas.processed.bucketName);
    addStackOutput(this, 'Replica', 'BackupsReplicaBucketName', this.replicas.backups.bucketName);
    addStackOutput(this, 'Replica', 'ReplicaAccessLogsBucketName', accessLogs.bucketName);
  }
}
