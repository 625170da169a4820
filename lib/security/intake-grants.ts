import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as events from 'aws-cdk-lib/aws-events';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { PROCESSED_PREFIX, UPLOADS_PREFIX } from '../../core/contracts/upload-key';
import { STATUS_TABLE_OWNER_INDEX } from '../../core/status/status-table';
import { acknowledgeResolved } from '../compliance/acknowledgements';
import type { StowageFunction } from '../constructs/stowage-function';

/**
 * The permissions of the intake handlers, one function per thing a handler may do, each named by what it allows.
 * Every object grant is scoped to one key prefix of one bucket (core/contracts/upload-key.ts); keys are usable only
 * through the service that holds the data (kms:ViaService); the status table only through DynamoDB. Tests in
 * test/security/iam/ evaluate the resulting policies against the SDK calls each handler makes.
 */

/** What the intake grants refer to: the uploads bucket and its key, the status table and its key. */
export interface IntakeResources {
  /** The uploads bucket. */
  readonly uploadsBucket: s3.IBucket;
  /** The uploads bucket's key (a reference local to the handler's stack). */
  readonly uploadsKey: kms.IKey;
  /** The status table. */
  readonly statusTable: dynamodb.ITable;
  /** The status table's key (a reference local to the handler's stack). */
  readonly statusKey: kms.IKey;
}

/** A verified move's destination: its bucket, the prefix the handler writes under, the bucket's key. */
export interface MoveDestination {
  readonly bucket: s3.IBucket;
  readonly prefix: string;
  readonly key: kms.IKey;
  /**
   * May also read the destination: process verifies an existing copy after a create-only 412; the quarantine bucket
   * stays unreadable to the pipeline.
   */
  readonly readCopies: boolean;
}

/**
 * Intake API: presign uploads (S3 checks the signing role when the client posts), create and read status records,
 * and list one owner's records through the owner index (the index's ARN only: no Query of the table itself).
 */
export function allowPresigningUploads(fn: StowageFunction, resources: IntakeResources): void {
  allowStatusRecords(fn.role, resources, ['dynamodb:PutItem', 'dynamodb:GetItem']);
  fn.role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      sid: 'ListOwnRecords',
      actions: ['dynamodb:Query'],
      resources: [`${resources.statusTable.tableArn}/index/${STATUS_TABLE_OWNER_INDEX}`],
    }),
  );
  allowObjectActions(fn, 'PresignUploads', resources.uploadsBucket, UPLOADS_PREFIX, ['s3:PutObject']);
  fn.role.addToPrincipalPolicy(
    keyThroughS3Statement(fn, 'EncryptUploads', resources.uploadsKey, ['kms:GenerateDataKey']),
  );
}

/**
 * Intake API: sign download URLs of processed objects (`GET /uploads/{uploadId}/download`). S3 authorizes the
 * browser's GET as the signing role, so the role itself may read `processed/` (never uploads, quarantine or backups)
 * and decrypt with the processed key through S3 only.
 */
export function allowSigningDownloads(
  fn: StowageFunction,
  processedBucket: s3.IBucket,
  processedKey: kms.IKey,
): void {
  allowObjectActions(fn, 'SignDownloads', processedBucket, PROCESSED_PREFIX, ['s3:GetObject']);
  fn.role.addToPrincipalPolicy(keyThroughS3Statement(fn, 'DecryptDownloads', processedKey, ['kms:Decrypt']));
}

/** Scan: read and tag uploads (listing the versions of a key), update status records, publish verdicts on `bus`. */
export function allowScanningUploads(
  fn: StowageFunction,
  resources: IntakeResources,
  bus: events.IEventBus,
): void {
  allowStatusRecords(fn.role, resources, ['dynamodb:GetItem', 'dynamodb:UpdateItem']);
  allowObjectActions(fn, 'ReadAndTagUploads', resources.uploadsBucket, UPLOADS_PREFIX, [
    's3:GetObject',
    's3:GetObjectVersion',
    's3:GetObjectTagging',
    's3:GetObjectVersionTagging',
    's3:PutObjectTagging',
    's3:PutObjectVersionTagging',
  ]);
  // An event without a version id names every version of its key: the scan lists them (ListObjectVersions).
  fn.role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      sid: 'ListUploadVersions',
      actions: ['s3:ListBucketVersions'],
      resources: [resources.uploadsBucket.bucketArn],
      conditions: { StringLike: { 's3:prefix': `${UPLOADS_PREFIX}*` } },
    }),
  );
  fn.role.addToPrincipalPolicy(
    keyThroughS3Statement(fn, 'DecryptUploads', resources.uploadsKey, ['kms:Decrypt']),
  );
  fn.role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      sid: 'PublishVerdicts',
      actions: ['events:PutEvents'],
      resources: [bus.eventBusArn],
    }),
  );
}

/**
 * Quarantine and process: read the source upload version, write a verified copy under `destination`, delete the
 * source version, update status records.
 */
export function allowMovingUploads(
  fn: StowageFunction,
  resources: IntakeResources,
  destination: MoveDestination,
): void {
  allowStatusRecords(fn.role, resources, ['dynamodb:GetItem', 'dynamodb:UpdateItem']);
  allowObjectActions(fn, 'ReadAndRemoveSourceVersions', resources.uploadsBucket, UPLOADS_PREFIX, [
    's3:GetObject',
    's3:GetObjectVersion',
    's3:GetObjectTagging',
    's3:GetObjectVersionTagging',
    's3:DeleteObjectVersion',
  ]);
  allowObjectActions(fn, 'WriteAndVerifyCopies', destination.bucket, destination.prefix, [
    's3:PutObject',
    's3:PutObjectTagging',
    's3:GetObjectAttributes',
    's3:GetObjectVersionAttributes',
    ...(destination.readCopies ? ['s3:GetObject'] : []),
  ]);
  fn.role.addToPrincipalPolicy(
    keyThroughS3Statement(fn, 'DecryptUploads', resources.uploadsKey, ['kms:Decrypt']),
  );
  fn.role.addToPrincipalPolicy(
    keyThroughS3Statement(fn, 'EncryptCopies', destination.key, [
      'kms:GenerateDataKey',
      'kms:Encrypt',
      'kms:Decrypt',
    ]),
  );
}

/** Object actions on one prefix of a bucket (the only wildcard a handler role holds). */
function allowObjectActions(
  fn: StowageFunction,
  sid: string,
  bucket: s3.IBucket,
  prefix: string,
  actions: string[],
): void {
  fn.role.addToPrincipalPolicy(
    new iam.PolicyStatement({ sid, actions, resources: [bucket.arnForObjects(`${prefix}*`)] }),
  );
  acknowledgeResolved(fn.policy, 'pipelineObjectPrefixWildcards', { bucketArn: bucket.bucketArn, prefix });
}

/** Status table actions, and its key only through DynamoDB (read-only actions get a read-only key grant). */
function allowStatusRecords(role: iam.IRole, resources: IntakeResources, actions: string[]): void {
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({ sid: 'StatusRecords', actions, resources: [resources.statusTable.tableArn] }),
  );
  const writes = actions.some((a) => a !== 'dynamodb:GetItem');
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      sid: 'StatusRecordsKey',
      actions: writes
        ? ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:DescribeKey']
        : ['kms:Decrypt', 'kms:DescribeKey'],
      resources: [resources.statusKey.keyArn],
      conditions: { StringEquals: { 'kms:ViaService': `dynamodb.${Stack.of(role).region}.amazonaws.com` } },
    }),
  );
}

/** A bucket key, usable only through S3 in the handler's region. */
function keyThroughS3Statement(
  fn: StowageFunction,
  sid: string,
  key: kms.IKey,
  actions: string[],
): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid,
    actions,
    resources: [key.keyArn],
    conditions: { StringEquals: { 'kms:ViaService': `s3.${Stack.of(fn).region}.amazonaws.com` } },
  });
}
