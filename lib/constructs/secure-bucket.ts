import { Duration, RemovalPolicy, Stack, Tags } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { acknowledge } from '../compliance/acknowledgements';
import { lifecycleRuleSpecs } from './lifecycle-rules';
import type { BucketPurpose } from '../config/naming';
import { BUCKET_PURPOSE_TAG } from '../config/naming';

/** Lifecycle of the current versions of a bucket's objects. */
export interface SecureBucketLifecycle {
  /** Days after which current objects move to `archiveStorageClass`. @default never */
  readonly archiveAfterDays?: number;
  /** The archive tier. @default none (required with archiveAfterDays) */
  readonly archiveStorageClass?: 'GLACIER_IR' | 'GLACIER' | 'DEEP_ARCHIVE';
  /** Days after which current objects expire. @default never */
  readonly expirationDays?: number;
  /** Days after which noncurrent versions expire. */
  readonly noncurrentVersionExpirationDays: number;
  /** Days after which incomplete multipart uploads are aborted. */
  readonly abortIncompleteMultipartUploadDays: number;
  /** Extra expiration rules for key prefixes, e.g. `{ 'test/': 7 }`. @default none */
  readonly prefixExpirationDays?: Readonly<Record<string, number>>;
}

/** Where a bucket replicates to. The destination lives in another region's stack, so it is named, not passed. */
export interface SecureBucketReplication {
  /** Name of the destination bucket (same account, replica region). */
  readonly destinationBucketName: string;
  /** Region of the destination bucket. */
  readonly destinationRegion: string;
  /**
   * Alias name of the replica region's KMS key (`alias/...`). Replicas are re-encrypted under it.
   * Referenced by alias ARN: passing the key object across regions creates a dependency cycle.
   */
  readonly replicaKeyAliasName: string;
  /** S3 Replication Time Control. @default false */
  readonly replicationTimeControl?: boolean;
  /** Replication metrics. @default false (forced on by replicationTimeControl) */
  readonly metrics?: boolean;
}

export interface SecureBucketProps {
  /**
   * KMS key for SSE-KMS with a bucket key. Without one the bucket uses SSE-S3, which only a
   * server-access-log target may do (S3 log delivery cannot write SSE-KMS objects).
   * @default SSE-S3, only with `isAccessLogTarget`
   */
  readonly encryptionKey?: kms.IKey;
  /** This bucket receives S3 server access logs from the other buckets. @default false */
  readonly isAccessLogTarget?: boolean;
  /** Bucket that receives this bucket's server access logs. Required unless `isAccessLogTarget`. */
  readonly accessLogsBucket?: s3.IBucket;
  /** Key prefix of this bucket's logs in the access-logs bucket. @default `<construct id>/` */
  readonly accessLogsPrefix?: string;
  /** Lifecycle rules. */
  readonly lifecycle: SecureBucketLifecycle;
  /** CORS rules for browser uploads. @default no CORS */
  readonly cors?: s3.CorsRule[];
  /** Cross-region replication of the whole bucket. @default none */
  readonly replication?: SecureBucketReplication;
  /** Explicit bucket name (only where another stack must know it, e.g. replica buckets). @default generated */
  readonly bucketName?: string;
  /** Object Lock in governance mode with this default retention (days) for every new version. @default no lock */
  readonly objectLockRetentionDays?: number;
  /**
   * What the bucket holds, tagged as `stowage:bucket=<purpose>` (BUCKET_PURPOSE_TAG): tools find an env's buckets
   * by it. @default no purpose tag
   */
  readonly purpose?: BucketPurpose;
  /** Removal policy of the bucket. */
  readonly removalPolicy: RemovalPolicy;
  /** Empty the bucket when its stack is deleted (needs RemovalPolicy.DESTROY). @default false */
  readonly autoDeleteObjects?: boolean;
}

/**
 * The one way Stowage creates a bucket: versioned, Block Public Access on, BucketOwnerEnforced,
 * TLS 1.2+ only, SSE-KMS with a bucket key (SSE-S3 only for the access-log target), server access
 * logs, multipart clean-up, noncurrent-version expiry, and a policy that refuses uploads encrypted
 * with any other algorithm or key.
 */
export class SecureBucket extends Construct {
  /** The bucket. */
  readonly bucket: s3.Bucket;
  /** The replication role, when the bucket replicates. */
  readonly replicationRole?: iam.Role;

  constructor(scope: Construct, id: string, props: SecureBucketProps) {
    super(scope, id);
    validateProps(id, props);

    const replicationRole = props.replication ? this.createReplicationRole(props) : undefined;
    this.replicationRole = replicationRole;

    this.bucket = new s3.Bucket(this, 'Bucket', {
      bucketName: props.bucketName,
      versioned: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      ...(props.encryptionKey
        ? { encryption: s3.BucketEncryption.KMS, encryptionKey: props.encryptionKey, bucketKeyEnabled: true }
        : { encryption: s3.BucketEncryption.S3_MANAGED }),
      serverAccessLogsBucket: props.accessLogsBucket,
      serverAccessLogsPrefix: props.accessLogsBucket ? (props.accessLogsPrefix ?? `${id}/`) : undefined,
      lifecycleRules: lifecycleRules(props.lifecycle),
      cors: props.cors,
      removalPolicy: props.removalPolicy,
      autoDeleteObjects: props.autoDeleteObjects ?? false,
      objectLockEnabled: props.objectLockRetentionDays !== undefined ? true : undefined,
      objectLockDefaultRetention:
        props.objectLockRetentionDays !== undefined
          ? s3.ObjectLockRetention.governance(Duration.days(props.objectLockRetentionDays))
          : undefined,
      replicationRole,
      replicationRules: props.replication ? [replicationRule(this, props.replication)] : undefined,
    });

    if (props.purpose !== undefined) Tags.of(this.bucket).add(BUCKET_PURPOSE_TAG, props.purpose);

    if (props.isAccessLogTarget) {
      acknowledge(this, 'accessLogTargetUsesSseS3');
      acknowledge(this, 'accessLogTargetDoesNotLogItself');
      acknowledge(this, 'accessLogTargetHasNoEventNotifications');
      acknowledge(this, 'accessLogsNotReplicated');
      acknowledge(this, 'accessLogsWithoutObjectLock');
    } else {
      // Every data bucket publishes its object events to EventBridge: intake consumes the uploads
      // bucket's, operations can watch quarantine and backups. The L1 property needs no custom resource
      // (the L2 `eventBridgeEnabled` deploys a notifications Lambda).
      const cfn = this.bucket.node.defaultChild as s3.CfnBucket;
      cfn.notificationConfiguration = { eventBridgeConfiguration: { eventBridgeEnabled: true } };
    }
    if (props.autoDeleteObjects) {
      const provider = Stack.of(this).node.tryFindChild(AUTO_DELETE_PROVIDER_ID);
      if (provider) acknowledge(provider, 'autoDeleteProviderOutsideVpc');
    }

    this.denyOtherEncryption(props.encryptionKey);
    if (replicationRole && props.replication) this.grantReplication(replicationRole, props);
  }

  /**
   * Denies reading object content to every principal without one of the given `stowage:access` tag
   * values, optionally only while an object tag condition holds (e.g. until `scan-status=CLEAN`).
   */
  denyReadsUnlessPrincipalTagged(
    sid: string,
    allowedAccessTagValues: readonly string[],
    options: { unlessObjectTag?: { key: string; value: string } } = {},
  ): void {
    const conditions: Record<string, Record<string, string | string[]>> = {
      StringNotEquals: {
        'aws:PrincipalTag/stowage:access': [...allowedAccessTagValues],
        ...(options.unlessObjectTag
          ? { [`s3:ExistingObjectTag/${options.unlessObjectTag.key}`]: options.unlessObjectTag.value }
          : {}),
      },
    };
    this.bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid,
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['s3:GetObject', 's3:GetObjectVersion'],
        resources: [this.bucket.arnForObjects('*')],
        conditions,
      }),
    );
  }

  private denyOtherEncryption(key: kms.IKey | undefined): void {
    const algorithm = key ? 'aws:kms' : 'AES256';
    this.bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'DenyOtherEncryptionAlgorithm',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['s3:PutObject'],
        resources: [this.bucket.arnForObjects('*')],
        // A missing header falls back to the bucket default; a header naming anything else is refused. A negated
        // operator (with or without IfExists) also matches an absent key, so `Null: false` limits the Deny to
        // requests that send the header: otherwise every UploadPart and CompleteMultipartUpload (they never carry
        // it) and every PUT relying on the default would be refused.
        conditions: {
          StringNotEquals: { 's3:x-amz-server-side-encryption': algorithm },
          Null: { 's3:x-amz-server-side-encryption': 'false' },
        },
      }),
    );
    if (!key) return;
    this.bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'DenyOtherKmsKey',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['s3:PutObject'],
        resources: [this.bucket.arnForObjects('*')],
        // The header, when sent, must name the key by its ARN (S3 compares the header as sent: an alias is refused).
        conditions: {
          StringNotEquals: { 's3:x-amz-server-side-encryption-aws-kms-key-id': key.keyArn },
          Null: { 's3:x-amz-server-side-encryption-aws-kms-key-id': 'false' },
        },
      }),
    );
  }

  private createReplicationRole(props: SecureBucketProps): iam.Role {
    const { region } = Stack.of(this);
    return new iam.Role(this, 'ReplicationRole', {
      assumedBy: new iam.ServicePrincipal('s3.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
      description: `Replicates ${this.node.id} to ${props.replication?.destinationRegion} (from ${region})`,
    });
  }

  private grantReplication(role: iam.Role, props: SecureBucketProps): void {
    const replication = props.replication as SecureBucketReplication;
    const stack = Stack.of(this);
    const destinationArn = `arn:${stack.partition}:s3:::${replication.destinationBucketName}`;
    const statements = [
      new iam.PolicyStatement({
        sid: 'ReadReplicationConfiguration',
        actions: ['s3:GetReplicationConfiguration', 's3:ListBucket'],
        resources: [this.bucket.bucketArn],
      }),
      new iam.PolicyStatement({
        sid: 'ReadSourceVersions',
        actions: [
          's3:GetObjectVersionForReplication',
          's3:GetObjectVersionAcl',
          's3:GetObjectVersionTagging',
          // S3 replicates each version's retention and legal hold from an Object Lock bucket, and fails without these.
          ...(props.objectLockRetentionDays !== undefined
            ? ['s3:GetObjectRetention', 's3:GetObjectLegalHold']
            : []),
        ],
        resources: [this.bucket.arnForObjects('*')],
      }),
      new iam.PolicyStatement({
        sid: 'WriteReplicas',
        actions: ['s3:ReplicateObject', 's3:ReplicateDelete', 's3:ReplicateTags'],
        resources: [`${destinationArn}/*`],
      }),
      new iam.PolicyStatement({
        sid: 'EncryptReplicasWithReplicaKey',
        actions: ['kms:Encrypt', 'kms:GenerateDataKey'],
        // The replica key lives in another region's stack: it is matched by its alias, not its id.
        resources: [`arn:${stack.partition}:kms:${replication.destinationRegion}:${stack.account}:key/*`],
        conditions: {
          'ForAnyValue:StringEquals': { 'kms:ResourceAliases': replication.replicaKeyAliasName },
          StringEquals: { 'kms:ViaService': `s3.${replication.destinationRegion}.amazonaws.com` },
          // With S3 Bucket Keys (every Stowage bucket) the context is the bucket's ARN, else the object's.
          StringLike: { 'kms:EncryptionContext:aws:s3:arn': [destinationArn, `${destinationArn}/*`] },
        },
      }),
    ];
    if (props.encryptionKey) {
      statements.push(
        new iam.PolicyStatement({
          sid: 'DecryptSourceObjects',
          actions: ['kms:Decrypt'],
          resources: [props.encryptionKey.keyArn],
          conditions: {
            StringEquals: { 'kms:ViaService': `s3.${stack.region}.amazonaws.com` },
            StringLike: {
              'kms:EncryptionContext:aws:s3:arn': [this.bucket.bucketArn, `${this.bucket.bucketArn}/*`],
            },
          },
        }),
      );
    }
    // A managed policy (not an inline one) so that it can be audited and reused on its own.
    const policy = new iam.ManagedPolicy(this, 'ReplicationPolicy', {
      description: `Lets S3 replicate ${this.node.id} into ${replication.destinationBucketName}`,
      statements,
      roles: [role],
    });
    acknowledge(policy, 'replicationObjectWildcards', {
      sourceBucketLogicalId: stack.resolve((this.bucket.node.defaultChild as s3.CfnBucket).logicalId),
      replicaBucketName: replication.destinationBucketName,
      replicaRegion: replication.destinationRegion,
      account: stack.account,
    });
  }
}

/** Construct id of the singleton provider CDK adds for `autoDeleteObjects`. */
const AUTO_DELETE_PROVIDER_ID = 'Custom::S3AutoDeleteObjectsCustomResourceProvider';

function validateProps(id: string, props: SecureBucketProps): void {
  const problems: string[] = [];
  if (!props.encryptionKey && !props.isAccessLogTarget) {
    problems.push('encryptionKey is required (only the access-log target may use SSE-S3)');
  }
  if (props.encryptionKey && props.isAccessLogTarget) {
    problems.push('an access-log target cannot use SSE-KMS: S3 log delivery only writes SSE-S3 objects');
  }
  if (!props.accessLogsBucket && !props.isAccessLogTarget) {
    problems.push('accessLogsBucket is required (every bucket logs its access)');
  }
  if (props.objectLockRetentionDays !== undefined && props.autoDeleteObjects) {
    problems.push(
      'objectLockRetentionDays cannot go with autoDeleteObjects (locked versions cannot be deleted)',
    );
  }
  if (props.objectLockRetentionDays !== undefined && props.isAccessLogTarget) {
    problems.push('an access-log target cannot have an Object Lock default retention (log delivery fails)');
  }
  if (props.autoDeleteObjects && props.removalPolicy !== RemovalPolicy.DESTROY) {
    problems.push('autoDeleteObjects needs removalPolicy DESTROY');
  }
  const lc = props.lifecycle;
  if ((lc.archiveAfterDays === undefined) !== (lc.archiveStorageClass === undefined)) {
    problems.push('lifecycle.archiveAfterDays and lifecycle.archiveStorageClass go together');
  }
  if (
    lc.archiveAfterDays !== undefined &&
    lc.expirationDays !== undefined &&
    lc.expirationDays <= lc.archiveAfterDays
  ) {
    problems.push('lifecycle.expirationDays must come after lifecycle.archiveAfterDays');
  }
  if (props.replication?.replicationTimeControl && props.replication.metrics === false) {
    problems.push('replication.metrics cannot be false with replicationTimeControl');
  }
  if (problems.length > 0) {
    throw new Error(`SecureBucket ${id}: ${problems.join('; ')}`);
  }
}

const STORAGE_CLASSES: Record<NonNullable<SecureBucketLifecycle['archiveStorageClass']>, s3.StorageClass> = {
  GLACIER_IR: s3.StorageClass.GLACIER_INSTANT_RETRIEVAL,
  GLACIER: s3.StorageClass.GLACIER,
  DEEP_ARCHIVE: s3.StorageClass.DEEP_ARCHIVE,
};

/** The CDK form of lifecycleRuleSpecs (one derivation, shared with local mode's bucket setup). */
function lifecycleRules(lc: SecureBucketLifecycle): s3.LifecycleRule[] {
  const days = (value: number | undefined): Duration | undefined =>
    value === undefined ? undefined : Duration.days(value);
  return lifecycleRuleSpecs(lc).map((spec) => ({
    id: spec.id,
    prefix: spec.prefix,
    abortIncompleteMultipartUploadAfter: days(spec.abortIncompleteMultipartUploadDays),
    noncurrentVersionExpiration: days(spec.noncurrentVersionExpirationDays),
    transitions: spec.transition
      ? [
          {
            storageClass: STORAGE_CLASSES[spec.transition.storageClass],
            transitionAfter: Duration.days(spec.transition.days),
          },
        ]
      : undefined,
    expiration: days(spec.expirationDays),
  }));
}

function replicationRule(scope: Construct, replication: SecureBucketReplication): s3.ReplicationRule {
  const stack = Stack.of(scope);
  const destination = s3.Bucket.fromBucketAttributes(scope, 'ReplicaDestination', {
    bucketName: replication.destinationBucketName,
    region: replication.destinationRegion,
    account: stack.account,
  });
  const replicaKey = kms.Key.fromKeyArn(
    scope,
    'ReplicaKey',
    `arn:${stack.partition}:kms:${replication.destinationRegion}:${stack.account}:${replication.replicaKeyAliasName}`,
  );
  const metrics = replication.replicationTimeControl || replication.metrics;
  return {
    id: 'replicate-all',
    destination,
    kmsKey: replicaKey,
    sseKmsEncryptedObjects: true,
    deleteMarkerReplication: true,
    replicationTimeControl: replication.replicationTimeControl
      ? s3.ReplicationTimeValue.FIFTEEN_MINUTES
      : undefined,
    metrics: metrics ? s3.ReplicationTimeValue.FIFTEEN_MINUTES : undefined,
  };
}
