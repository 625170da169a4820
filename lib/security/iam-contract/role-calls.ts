import { BACKUPS_PREFIX, REPORTS_PREFIX } from '../../../core/backup/backup-layout';
import { RESULTS_EVENT_SOURCE, SCAN_RESULT_DETAIL_TYPE } from '../../../core/events/scan-result-event';
import {
  manifestKeyFor,
  parseUploadKey,
  processedKeyFor,
  quarantineKeyFor,
} from '../../../core/contracts/upload-key';
import { STATUS_TABLE_OWNER_INDEX } from '../../../core/status/status-table';
import type { StowageConfig } from '../../config';
import {
  alarmName,
  keyAliasName,
  operationsTopicArn,
  replicaBucketName,
  resultsBusName,
  type BucketKeyPurpose,
  type ReplicatedBucket,
} from '../../config/naming';
import type { DeploymentModel } from './deployment-model';
import type { LogicalRef } from './physical-names';
import type { RequiredPermission, SdkCall } from './sdk-call';
import { permissionsFor } from './service-permissions';
import { malwareProtectionPermissions, replicationPermissions } from './service-role-permissions';

/**
 * The one list of what each Stowage role does, per role: the SDK calls its code makes (one canonical call of each
 * kind, on the env's real buckets, tables, queues and keys), or, for roles AWS services use, what the service
 * documents. The recorder-based tests (test/security/iam) prove the code makes no call outside this list;
 * `stowage doctor` evaluates the same list against the policies it reads from the account. A new SDK call in code
 * needs its line here.
 */

/** The names a deployment's calls are made on, found in the synthesized templates or in the account. */
export interface ContractResources {
  readonly buckets: Readonly<Record<BucketKeyPurpose, string>>;
  readonly statusTable: string;
  readonly idempotencyTable: string;
  readonly intakeQueueUrl: string;
  readonly intakeDlqUrl: string;
}

/** Where each of ContractResources' tables and queues is defined (found by name in the account). */
export const CONTRACT_RESOURCE_REFS = {
  statusTable: { part: 'Intake', logicalIdPrefix: 'StatusTable' },
  idempotencyTable: { part: 'Operations', logicalIdPrefix: 'OperationsIdempotencyTable' },
  intakeQueue: { part: 'Intake', logicalIdPrefix: 'IntakeQueue' },
  intakeDlq: { part: 'Intake', logicalIdPrefix: 'IntakeQueueDeadLetterQueue' },
} as const satisfies Record<string, LogicalRef>;

export type ContractRoleId =
  | 'intake-api'
  | 'scan'
  | 'process'
  | 'quarantine'
  | 'verifier'
  | 'operations'
  | 'backup-writer'
  | 'processed-replication'
  | 'backups-replication'
  | 'malware-protection';

/** One role of the contract: where it is defined, and what it must be allowed. */
export interface ContractRole extends LogicalRef {
  readonly id: ContractRoleId;
  /** What uses it, for messages: `scan handler`. */
  readonly title: string;
  /** The canonical SDK calls its code makes, with the model's keys; absent for a role an AWS service uses. */
  calls?(model: DeploymentModel): SdkCall[];
  /** Every authorization it needs (throws when the model lacks a key or alias the list names). */
  permissions(model: DeploymentModel): RequiredPermission[];
}

const UPLOAD_ID = '0b5c1a4e-7f3d-4c2a-9e1b-5d6f7a8b9c0d';
const UPLOAD_KEY = `uploads/user-1/2026/11/23/${UPLOAD_ID}.pdf`;
const VERSION = 'v1';
const BACKUP_KEY = `${BACKUPS_PREFIX}db/20261123/db_20261123_040000.dump`;

/** The roles the env's config deploys, each with its calls or documented permissions. */
export function contractRoles(config: StowageConfig, resources: ContractResources): ContractRole[] {
  const { buckets } = resources;
  const upload = parseUploadKey(UPLOAD_KEY)!;
  const processedKey = processedKeyFor(upload);
  const s3 = (command: string, input: Record<string, unknown>): SdkCall => ({
    service: 's3',
    command: `${command}Command`,
    input,
  });
  const status = (command: string): SdkCall => ({
    service: 'dynamodb',
    command: `${command}Command`,
    input: { TableName: resources.statusTable, Key: { uploadId: UPLOAD_ID } },
  });
  const uploadVersion = { Bucket: buckets.uploads, Key: UPLOAD_KEY, VersionId: VERSION };
  const copySource = `${buckets.uploads}/${UPLOAD_KEY}?versionId=${VERSION}`;
  const topic = operationsTopicArn(config);

  /** The calls with each bucket's key: the key its default encryption names (the alias when unknown). */
  const withKeys = (
    calls: (key: (purpose: BucketKeyPurpose) => string) => SdkCall[],
  ): ((model: DeploymentModel) => SdkCall[]) => {
    return (model) =>
      calls((purpose) => model.bucketKeys.get(buckets[purpose])?.keyArn ?? keyAliasName(config, purpose));
  };

  const handlers: [ContractRoleId, string, LogicalRef, (model: DeploymentModel) => SdkCall[]][] = [
    [
      'intake-api',
      'intake API handler',
      { part: 'Intake', logicalIdPrefix: 'ApiHandlerRole' },
      withKeys((key) => [
        status('Put'),
        status('Get'),
        // The browser's POST, signed by the role with the presigned policy.
        s3('PutObject', {
          Bucket: buckets.uploads,
          Key: UPLOAD_KEY,
          ServerSideEncryption: 'aws:kms',
          SSEKMSKeyId: key('uploads'),
        }),
        // GET /uploads: one owner's records through the owner index.
        {
          service: 'dynamodb',
          command: 'QueryCommand',
          input: { TableName: resources.statusTable, IndexName: STATUS_TABLE_OWNER_INDEX },
        },
        // The browser's GET of a presigned download URL, signed by the role (S3 decrypts with the processed key).
        s3('GetObject', { Bucket: buckets.processed, Key: processedKey }),
      ]),
    ],
    [
      'scan',
      'scan handler',
      { part: 'Intake', logicalIdPrefix: 'ScanHandlerRole' },
      () => [
        s3('HeadObject', uploadVersion),
        s3('ListObjectVersions', { Bucket: buckets.uploads, Prefix: UPLOAD_KEY }),
        s3('GetObject', uploadVersion),
        s3('PutObjectTagging', { ...uploadVersion, Tagging: { TagSet: [] } }),
        status('Get'),
        status('Update'),
        {
          service: 'events',
          command: 'PutEventsCommand',
          input: {
            Entries: [
              {
                EventBusName: resultsBusName(config),
                Source: RESULTS_EVENT_SOURCE,
                DetailType: SCAN_RESULT_DETAIL_TYPE,
              },
            ],
          },
        },
      ],
    ],
    [
      'process',
      'process handler',
      { part: 'Intake', logicalIdPrefix: 'ProcessHandlerRole' },
      withKeys((key) => {
        const sse = {
          ServerSideEncryption: 'aws:kms',
          SSEKMSKeyId: key('processed'),
          BucketKeyEnabled: true,
        };
        const manifest = { Bucket: buckets.processed, Key: manifestKeyFor(processedKey) };
        return [
          s3('HeadObject', uploadVersion),
          s3('GetObject', uploadVersion),
          s3('HeadObject', { Bucket: buckets.processed, Key: processedKey }),
          s3('CopyObject', {
            Bucket: buckets.processed,
            Key: processedKey,
            CopySource: copySource,
            MetadataDirective: 'REPLACE',
            TaggingDirective: 'REPLACE',
            Tagging: 'scan-status=CLEAN',
            ...sse,
          }),
          s3('GetObject', manifest),
          s3('PutObject', { ...manifest, ...sse }),
          s3('DeleteObject', uploadVersion),
          status('Get'),
          status('Update'),
        ];
      }),
    ],
    [
      'quarantine',
      'quarantine handler',
      { part: 'Intake', logicalIdPrefix: 'QuarantineHandlerRole' },
      withKeys((key) => [
        s3('HeadObject', uploadVersion),
        s3('CopyObject', {
          Bucket: buckets.quarantine,
          Key: quarantineKeyFor(UPLOAD_ID, 'report.pdf', `${UPLOAD_ID}.pdf`),
          CopySource: copySource,
          MetadataDirective: 'REPLACE',
          TaggingDirective: 'REPLACE',
          Tagging: 'scan-status=INFECTED',
          ServerSideEncryption: 'aws:kms',
          SSEKMSKeyId: key('quarantine'),
          BucketKeyEnabled: true,
        }),
        s3('DeleteObject', uploadVersion),
        status('Get'),
        status('Update'),
      ]),
    ],
    [
      'verifier',
      'backup verifier',
      { part: 'Backups', logicalIdPrefix: 'VerifierRole' },
      withKeys((key) => [
        s3('ListObjectsV2', { Bucket: buckets.backups, Prefix: `${BACKUPS_PREFIX}db/` }),
        s3('HeadObject', { Bucket: buckets.backups, Key: BACKUP_KEY }),
        s3('GetObject', { Bucket: buckets.backups, Key: BACKUP_KEY }),
        s3('PutObject', {
          Bucket: buckets.backups,
          Key: `${REPORTS_PREFIX}20261123.json`,
          ServerSideEncryption: 'aws:kms',
          SSEKMSKeyId: key('backups'),
        }),
        { service: 'sns', command: 'PublishCommand', input: { TopicArn: topic } },
      ]),
    ],
    [
      'operations',
      'operations handler',
      { part: 'Operations', logicalIdPrefix: 'OperationsOperationsHandlerRole' },
      () => {
        const dlq = { QueueUrl: resources.intakeDlqUrl };
        const sqs = (command: string, input: Record<string, unknown>): SdkCall => ({
          service: 'sqs',
          command: `${command}Command`,
          input,
        });
        const idempotency = (command: string): SdkCall => ({
          service: 'dynamodb',
          command: `${command}Command`,
          input: { TableName: resources.idempotencyTable },
        });
        return [
          sqs('ReceiveMessage', dlq),
          sqs('SendMessageBatch', { QueueUrl: resources.intakeQueueUrl }),
          sqs('DeleteMessageBatch', dlq),
          sqs('GetQueueAttributes', dlq),
          { service: 'sns', command: 'PublishCommand', input: { TopicArn: topic } },
          idempotency('PutItem'),
          idempotency('UpdateItem'),
          {
            service: 'cloudwatch',
            command: 'SetAlarmStateCommand',
            input: { AlarmName: alarmName(config, 'IntakeDlqDepth') },
          },
        ];
      },
    ],
  ];
  if (config.backups.writerPrincipalArns.length > 0) {
    handlers.push([
      'backup-writer',
      'backup writer (stowage backup)',
      { part: 'Backups', logicalIdPrefix: 'BackupWriterRole' },
      withKeys((key) => backupWriterCalls(buckets.backups, key('backups'))),
    ]);
  }

  const roles: ContractRole[] = handlers.map(([id, title, ref, calls]) => ({
    id,
    title,
    ...ref,
    calls,
    permissions: (model) => calls(model).flatMap((call) => permissionsFor(call, { model })),
  }));
  if (config.replication.enabled) {
    for (const bucket of ['processed', 'backups'] as const satisfies readonly ReplicatedBucket[]) {
      roles.push(replicationRole(config, resources, bucket));
    }
  }
  if (config.intake.guardDuty.malwareProtection) {
    roles.push({
      id: 'malware-protection',
      title: 'GuardDuty Malware Protection',
      part: 'Intake',
      logicalIdPrefix: 'UploadsMalwareProtectionRole',
      permissions: (model) => malwareProtectionPermissions(model, buckets.uploads, 'uploads/'),
    });
  }
  return roles;
}

function replicationRole(
  config: StowageConfig,
  resources: ContractResources,
  bucket: ReplicatedBucket,
): ContractRole {
  return {
    id: `${bucket}-replication`,
    title: `S3 Replication of ${bucket}`,
    part: 'Storage',
    logicalIdPrefix: bucket === 'backups' ? 'BackupsReplicationRole' : 'ProcessedReplicationRole',
    permissions: (model) => {
      const replicaAlias = `arn:aws:kms:${config.replication.replicaRegion}:${model.account}:${keyAliasName(config, 'replica')}`;
      const replicaKeyArn = model.keyAliases.get(replicaAlias);
      if (replicaKeyArn === undefined) throw new Error(`KMS alias ${replicaAlias} names no key`);
      return replicationPermissions(model, {
        sourceBucket: resources.buckets[bucket],
        destinationBucket: replicaBucketName({ ...config, account: model.account }, bucket),
        replicaKeyArn,
        objectLock: bucket === 'backups' && config.lifecycle.backups.objectLockRetentionDays !== undefined,
      });
    },
  };
}

/** `stowage backup push` (PUT and multipart), verify, delete of a failed push, list, pull, archive, restore. */
function backupWriterCalls(bucket: string, keyArn: string): SdkCall[] {
  const object = { Bucket: bucket, Key: BACKUP_KEY };
  const version = { ...object, VersionId: VERSION };
  const upload = { ...object, UploadId: 'u1' };
  const sse = { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: keyArn, BucketKeyEnabled: true };
  const s3 = (command: string, input: Record<string, unknown>): SdkCall => ({
    service: 's3',
    command: `${command}Command`,
    input,
  });
  return [
    s3('ListObjectVersions', { Bucket: bucket, Prefix: BACKUP_KEY }),
    s3('ListMultipartUploads', { Bucket: bucket, Prefix: BACKUP_KEY }),
    s3('PutObject', { ...object, ...sse }),
    s3('CreateMultipartUpload', { ...object, ...sse }),
    s3('UploadPart', upload),
    s3('CompleteMultipartUpload', upload),
    s3('AbortMultipartUpload', upload),
    s3('HeadObject', object),
    s3('HeadObject', version),
    s3('GetObject', version),
    s3('DeleteObject', version),
    s3('ListObjectsV2', { Bucket: bucket, Prefix: BACKUPS_PREFIX }),
    s3('CopyObject', {
      ...object,
      CopySource: `${bucket}/${BACKUP_KEY}?versionId=${VERSION}`,
      StorageClass: 'DEEP_ARCHIVE',
      MetadataDirective: 'COPY',
      ...sse,
    }),
    s3('RestoreObject', version),
  ];
}
