import type { DeploymentModel } from './deployment-model';
import type { RequiredPermission } from './sdk-call';
import { regionOf } from './sdk-call';

/**
 * Roles whose calls AWS services make, not Stowage code: the permissions each service documents it uses, so the
 * contract checks them like the handlers' recorded calls.
 */

/** What S3 Replication does with the replication role for one source → destination pair. */
export interface ReplicationPair {
  readonly sourceBucket: string;
  readonly destinationBucket: string;
  /** The key replicas are encrypted with (destination region). */
  readonly replicaKeyArn: string;
  /** The source bucket has Object Lock: S3 reads each version's retention and legal hold to replicate them. */
  readonly objectLock: boolean;
}

/**
 * S3 Replication ("Setting up permissions for live replication", "Replicating encrypted objects", "Using Object Lock
 * with replication"): read the configuration and each source version (ACL, tags, and retention and legal hold from a
 * locked bucket), replicate objects, deletes and tags, decrypt the source through S3 in its region and encrypt
 * replicas through S3 in theirs. Both buckets use S3 Bucket Keys, so the encryption context is the bucket's ARN.
 */
export function replicationPermissions(model: DeploymentModel, pair: ReplicationPair): RequiredPermission[] {
  const source = `arn:aws:s3:::${pair.sourceBucket}`;
  const destination = `arn:aws:s3:::${pair.destinationBucket}`;
  const object = `${source}/backups/db/20261123/db_20261123_040000.dump`;
  const replica = `${destination}/backups/db/20261123/db_20261123_040000.dump`;
  const why = `S3 Replication ${pair.sourceBucket} → ${pair.destinationBucket}`;
  const sourceKey = model.bucketKeys.get(pair.sourceBucket)?.keyArn;
  const on = (action: string, resource: string, context: Record<string, string | string[]> = {}) => ({
    action,
    resource,
    context,
    because: why,
  });
  const permissions: RequiredPermission[] = [
    on('s3:GetReplicationConfiguration', source),
    on('s3:ListBucket', source),
    on('s3:GetObjectVersionForReplication', object),
    on('s3:GetObjectVersionAcl', object),
    on('s3:GetObjectVersionTagging', object),
    on('s3:ReplicateObject', replica),
    on('s3:ReplicateDelete', replica),
    on('s3:ReplicateTags', replica),
  ];
  if (pair.objectLock) {
    permissions.push(on('s3:GetObjectRetention', object), on('s3:GetObjectLegalHold', object));
  }
  if (sourceKey) {
    permissions.push(
      on('kms:Decrypt', sourceKey, {
        'kms:ViaService': `s3.${regionOf(sourceKey)}.amazonaws.com`,
        'kms:EncryptionContext:aws:s3:arn': source,
      }),
    );
  }
  for (const action of ['kms:Encrypt', 'kms:GenerateDataKey']) {
    permissions.push(
      on(action, pair.replicaKeyArn, {
        'kms:ViaService': `s3.${regionOf(pair.replicaKeyArn)}.amazonaws.com`,
        'kms:EncryptionContext:aws:s3:arn': destination,
      }),
    );
  }
  return permissions;
}

/**
 * GuardDuty Malware Protection for S3 ("Create or update IAM role policy"): manage its EventBridge rule, turn on
 * the bucket's EventBridge notifications, write its validation object, check ownership, and read and decrypt
 * each new object under the protected prefix (untagged: it scans before the scan handler tags).
 */
export function malwareProtectionPermissions(
  model: DeploymentModel,
  bucket: string,
  prefix: string,
): RequiredPermission[] {
  const bucketArn = `arn:aws:s3:::${bucket}`;
  const rule = `arn:aws:events:${model.region}:${model.account}:rule/DO-NOT-DELETE-AmazonGuardDutyMalwareProtectionS3-${bucket}`;
  const key = model.bucketKeys.get(bucket)?.keyArn;
  const why = `GuardDuty Malware Protection of s3://${bucket}/${prefix}`;
  const managed = { 'events:ManagedBy': 'malware-protection-plan.guardduty.amazonaws.com' };
  const on = (action: string, resource: string, context: Record<string, string | string[]> = {}) => ({
    action,
    resource,
    context,
    because: why,
  });
  const viaS3 = {
    'kms:ViaService': `s3.${model.region}.amazonaws.com`,
    'kms:EncryptionContext:aws:s3:arn': bucketArn,
  };
  return [
    on('events:PutRule', rule, managed),
    on('events:PutTargets', rule, managed),
    on('events:DescribeRule', rule),
    on('events:ListTargetsByRule', rule),
    on('s3:GetBucketNotification', bucketArn),
    on('s3:PutBucketNotification', bucketArn),
    on('s3:PutObject', `${bucketArn}/malware-protection-resource-validation-object`),
    on('s3:ListBucket', bucketArn),
    on('s3:GetObject', `${bucketArn}/${prefix}u/2026/11/23/new.pdf`),
    on('s3:GetObjectVersion', `${bucketArn}/${prefix}u/2026/11/23/new.pdf`),
    ...(key ? [on('kms:Decrypt', key, viaS3), on('kms:GenerateDataKey', key, viaS3)] : []),
  ];
}
