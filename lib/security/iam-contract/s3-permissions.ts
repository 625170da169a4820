import type { CallContext, RequiredPermission, SdkCall } from './sdk-call';
import { field, keyArnOf, optionalField, regionOf, UnmappedCallError } from './sdk-call';

/** One object a call names: bucket, key and version. */
interface ObjectRef {
  readonly bucket: string;
  readonly key: string;
  readonly versionId?: string;
}

const objectArn = (o: ObjectRef): string => `arn:aws:s3:::${o.bucket}/${o.key}`;
const describe = (o: ObjectRef): string =>
  `s3://${o.bucket}/${o.key}${o.versionId ? ` (version ${o.versionId})` : ''}`;

/** Bucket-level actions that take only the bucket, by command. */
const BUCKET_ACTIONS: Record<string, string> = {
  HeadBucketCommand: 's3:ListBucket',
  GetBucketLocationCommand: 's3:GetBucketLocation',
  GetBucketTaggingCommand: 's3:GetBucketTagging',
  GetBucketVersioningCommand: 's3:GetBucketVersioning',
  GetBucketEncryptionCommand: 's3:GetEncryptionConfiguration',
  GetBucketLifecycleConfigurationCommand: 's3:GetLifecycleConfiguration',
  GetPublicAccessBlockCommand: 's3:GetBucketPublicAccessBlock',
  GetBucketPolicyCommand: 's3:GetBucketPolicy',
  GetBucketPolicyStatusCommand: 's3:GetBucketPolicyStatus',
  GetBucketReplicationCommand: 's3:GetReplicationConfiguration',
  GetObjectLockConfigurationCommand: 's3:GetBucketObjectLockConfiguration',
  GetBucketNotificationConfigurationCommand: 's3:GetBucketNotification',
  GetBucketCorsCommand: 's3:GetBucketCORS',
  GetBucketLoggingCommand: 's3:GetBucketLogging',
  GetBucketOwnershipControlsCommand: 's3:GetBucketOwnershipControls',
  GetBucketAclCommand: 's3:GetBucketAcl',
  ListMultipartUploadsCommand: 's3:ListBucketMultipartUploads',
};

/** Object actions with a `...Version` twin used when the call names a VersionId, by command. */
const VERSIONED_OBJECT_ACTIONS: Record<string, readonly [string, string]> = {
  HeadObjectCommand: ['s3:GetObject', 's3:GetObjectVersion'],
  GetObjectTaggingCommand: ['s3:GetObjectTagging', 's3:GetObjectVersionTagging'],
  PutObjectTaggingCommand: ['s3:PutObjectTagging', 's3:PutObjectVersionTagging'],
  DeleteObjectTaggingCommand: ['s3:DeleteObjectTagging', 's3:DeleteObjectVersionTagging'],
  GetObjectAclCommand: ['s3:GetObjectAcl', 's3:GetObjectVersionAcl'],
  // RestoreObject, retention and legal hold have no version twin: the same action covers every version.
  RestoreObjectCommand: ['s3:RestoreObject', 's3:RestoreObject'],
  GetObjectRetentionCommand: ['s3:GetObjectRetention', 's3:GetObjectRetention'],
  PutObjectRetentionCommand: ['s3:PutObjectRetention', 's3:PutObjectRetention'],
  GetObjectLegalHoldCommand: ['s3:GetObjectLegalHold', 's3:GetObjectLegalHold'],
  PutObjectLegalHoldCommand: ['s3:PutObjectLegalHold', 's3:PutObjectLegalHold'],
  AbortMultipartUploadCommand: ['s3:AbortMultipartUpload', 's3:AbortMultipartUpload'],
  ListPartsCommand: ['s3:ListMultipartUploadParts', 's3:ListMultipartUploadParts'],
  UploadPartCommand: ['s3:PutObject', 's3:PutObject'],
  CompleteMultipartUploadCommand: ['s3:PutObject', 's3:PutObject'],
};

/**
 * The IAM authorizations S3 performs for one S3 call (the "Permissions" section of each S3 API reference page):
 * the object or bucket action (a VersionId selects the `...Version` action), tagging, the source side of a copy,
 * Object Lock bypass, and the KMS calls S3 makes with the caller's credentials for SSE-KMS objects (GenerateDataKey
 * to write, Decrypt to read or to write a multipart upload) with kms:ViaService and the encryption context S3 uses.
 */
export function s3Permissions(call: SdkCall, context: CallContext): RequiredPermission[] {
  const { command } = call;
  const bucket = (): string => field(call, 'Bucket');
  const object = (): ObjectRef => ({
    bucket: bucket(),
    key: field(call, 'Key'),
    versionId: optionalField(call, 'VersionId'),
  });
  const action = (name: string, o: ObjectRef, extra: Record<string, string | string[]> = {}) =>
    objectPermission(context, name, o, `S3 ${command.replace(/Command$/, '')} ${describe(o)}`, extra);

  if (command in BUCKET_ACTIONS) {
    return [bucketPermission(BUCKET_ACTIONS[command], bucket(), `S3 ${command} ${bucket()}`)];
  }
  switch (command) {
    case 'ListBucketsCommand':
      return [{ action: 's3:ListAllMyBuckets', resource: '*', context: {}, because: 'S3 ListBuckets' }];
    case 'ListObjectsV2Command':
    case 'ListObjectsCommand':
    case 'ListObjectVersionsCommand': {
      const listContext: Record<string, string> = { 's3:prefix': optionalField(call, 'Prefix') ?? '' };
      const delimiter = optionalField(call, 'Delimiter');
      if (delimiter !== undefined) listContext['s3:delimiter'] = delimiter;
      if (typeof call.input.MaxKeys === 'number') listContext['s3:max-keys'] = String(call.input.MaxKeys);
      const name = command === 'ListObjectVersionsCommand' ? 's3:ListBucketVersions' : 's3:ListBucket';
      return [
        {
          ...bucketPermission(name, bucket(), `S3 ${command} s3://${bucket()}/${listContext['s3:prefix']}`),
          context: listContext,
        },
      ];
    }
    case 'GetObjectCommand': {
      const o = object();
      return [
        action(o.versionId ? 's3:GetObjectVersion' : 's3:GetObject', o),
        ...kmsThroughS3(context, o, 'kms:Decrypt', undefined, `S3 GetObject ${describe(o)}`),
      ];
    }
    case 'GetObjectAttributesCommand': {
      // "If the bucket is versioned, you need both s3:GetObjectVersion and s3:GetObjectVersionAttributes".
      const o = object();
      return o.versionId
        ? [action('s3:GetObjectVersion', o), action('s3:GetObjectVersionAttributes', o)]
        : [action('s3:GetObject', o), action('s3:GetObjectAttributes', o)];
    }
    case 'PutObjectCommand':
    case 'CreateMultipartUploadCommand': {
      const o = object();
      const why = `S3 ${command.replace(/Command$/, '')} ${describe(o)}`;
      const permissions = [action('s3:PutObject', o, writeContext(call)), ...writeExtras(call, context, o)];
      const kmsActions =
        command === 'CreateMultipartUploadCommand'
          ? ['kms:GenerateDataKey', 'kms:Decrypt']
          : ['kms:GenerateDataKey'];
      for (const kms of kmsActions) permissions.push(...kmsThroughS3(context, o, kms, sseKeyOf(call), why));
      return permissions;
    }
    case 'CopyObjectCommand':
    case 'UploadPartCopyCommand': {
      const destination = object();
      const source = copySource(call);
      const why = `S3 ${command.replace(/Command$/, '')} ${describe(source)} → ${describe(destination)}`;
      const permissions: RequiredPermission[] = [
        objectPermission(context, source.versionId ? 's3:GetObjectVersion' : 's3:GetObject', source, why),
        ...kmsThroughS3(context, source, 'kms:Decrypt', undefined, why),
        objectPermission(context, 's3:PutObject', destination, why, writeContext(call)),
      ];
      if (command === 'CopyObjectCommand') {
        permissions.push(...writeExtras(call, context, destination));
        if (call.input.TaggingDirective !== 'REPLACE') {
          // The default COPY directive reads the source's tags and writes them to the copy.
          const read = source.versionId ? 's3:GetObjectVersionTagging' : 's3:GetObjectTagging';
          permissions.push(objectPermission(context, read, source, why));
          permissions.push(objectPermission(context, 's3:PutObjectTagging', destination, why));
        }
        permissions.push(...kmsThroughS3(context, destination, 'kms:GenerateDataKey', sseKeyOf(call), why));
      } else {
        permissions.push(...kmsThroughS3(context, destination, 'kms:GenerateDataKey', undefined, why));
      }
      return permissions;
    }
    case 'DeleteObjectCommand': {
      const o = object();
      return [
        action(o.versionId ? 's3:DeleteObjectVersion' : 's3:DeleteObject', o),
        ...(call.input.BypassGovernanceRetention ? [action('s3:BypassGovernanceRetention', o)] : []),
      ];
    }
    case 'DeleteObjectsCommand': {
      const objects = ((call.input.Delete as { Objects?: { Key?: string; VersionId?: string }[] })?.Objects ??
        []) as { Key?: string; VersionId?: string }[];
      return objects.flatMap((entry) => {
        if (!entry.Key) throw new UnmappedCallError(call, 'Delete.Objects entry without Key');
        const o = { bucket: bucket(), key: entry.Key, versionId: entry.VersionId };
        return [
          action(o.versionId ? 's3:DeleteObjectVersion' : 's3:DeleteObject', o),
          ...(call.input.BypassGovernanceRetention ? [action('s3:BypassGovernanceRetention', o)] : []),
        ];
      });
    }
    default: {
      const pair = VERSIONED_OBJECT_ACTIONS[command];
      if (!pair) throw new UnmappedCallError(call);
      const o = object();
      const permissions = [action(o.versionId ? pair[1] : pair[0], o)];
      if (command === 'UploadPartCommand') {
        // Each part is encrypted under the upload's data key, which S3 decrypts with the caller's credentials.
        permissions.push(
          ...kmsThroughS3(context, o, 'kms:Decrypt', undefined, `S3 UploadPart ${describe(o)}`),
        );
      }
      if (command === 'PutObjectRetentionCommand' && call.input.BypassGovernanceRetention) {
        permissions.push(action('s3:BypassGovernanceRetention', o));
      }
      return permissions;
    }
  }
}

function bucketPermission(action: string, bucket: string, because: string): RequiredPermission {
  return { action, resource: `arn:aws:s3:::${bucket}`, context: {}, because };
}

function objectPermission(
  context: CallContext,
  action: string,
  o: ObjectRef,
  because: string,
  extra: Record<string, string | string[]> = {},
): RequiredPermission {
  const tags = context.objectTags?.(o.bucket, o.key) ?? {};
  const requestContext: Record<string, string | string[]> = { ...extra };
  // Only actions that act on an existing object see its tags.
  if (!/^s3:(PutObject|AbortMultipartUpload|ListMultipartUploadParts)$/.test(action)) {
    for (const [key, value] of Object.entries(tags)) requestContext[`s3:ExistingObjectTag/${key}`] = value;
  }
  if (o.versionId && /Version/.test(action)) requestContext['s3:versionid'] = o.versionId;
  return { action, resource: objectArn(o), context: requestContext, because };
}

/** Request headers a write's bucket policy may test. */
function writeContext(call: SdkCall): Record<string, string> {
  const headers: Record<string, string> = {};
  const sse = optionalField(call, 'ServerSideEncryption');
  if (sse !== undefined) headers['s3:x-amz-server-side-encryption'] = sse;
  const key = optionalField(call, 'SSEKMSKeyId');
  if (key !== undefined) headers['s3:x-amz-server-side-encryption-aws-kms-key-id'] = key;
  const storageClass = optionalField(call, 'StorageClass');
  if (storageClass !== undefined) headers['s3:x-amz-storage-class'] = storageClass;
  const lockMode = optionalField(call, 'ObjectLockMode');
  if (lockMode !== undefined) headers['s3:object-lock-mode'] = lockMode;
  return headers;
}

/** Permissions a write needs beyond s3:PutObject: tags, retention and legal hold set with the object. */
function writeExtras(call: SdkCall, context: CallContext, o: ObjectRef): RequiredPermission[] {
  const why = `S3 ${call.command.replace(/Command$/, '')} ${describe(o)}`;
  const extras: RequiredPermission[] = [];
  if (optionalField(call, 'Tagging') !== undefined) {
    extras.push(objectPermission(context, 's3:PutObjectTagging', o, why));
  }
  if (optionalField(call, 'ObjectLockMode') !== undefined) {
    extras.push(objectPermission(context, 's3:PutObjectRetention', o, why));
  }
  if (optionalField(call, 'ObjectLockLegalHoldStatus') !== undefined) {
    extras.push(objectPermission(context, 's3:PutObjectLegalHold', o, why));
  }
  return extras;
}

/** The KMS key a write names (SSEKMSKeyId), unless it asks for SSE-S3. */
function sseKeyOf(call: SdkCall): string | 'none' | undefined {
  if (optionalField(call, 'ServerSideEncryption') === 'AES256') return 'none';
  return optionalField(call, 'SSEKMSKeyId');
}

/**
 * The KMS request S3 makes with the caller's credentials for an SSE-KMS object: the named key, else the bucket's
 * default key (none for an SSE-S3 bucket), through S3 in the key's region, with S3's encryption context (the
 * bucket's ARN when the bucket uses S3 Bucket Keys, else the object's).
 */
function kmsThroughS3(
  context: CallContext,
  o: ObjectRef,
  action: string,
  requestedKey: string | 'none' | undefined,
  because: string,
): RequiredPermission[] {
  if (requestedKey === 'none') return [];
  const encryption = context.model.bucketKeys.get(o.bucket);
  const keyArn = requestedKey !== undefined ? keyArnOf(context.model, requestedKey) : encryption?.keyArn;
  if (keyArn === undefined) return [];
  const s3Arn = encryption?.bucketKeyEnabled ? `arn:aws:s3:::${o.bucket}` : objectArn(o);
  return [
    {
      action,
      resource: keyArn,
      context: {
        'kms:ViaService': `s3.${regionOf(keyArn)}.amazonaws.com`,
        'kms:EncryptionContext:aws:s3:arn': s3Arn,
        'kms:EncryptionContextKeys': ['aws:s3:arn'],
        'kms:CallerAccount': context.model.account,
      },
      because: `${because} (SSE-KMS)`,
    },
  ];
}

/** `bucket/key?versionId=v` (URL-encoded key) → the copy's source. */
function copySource(call: SdkCall): ObjectRef {
  const raw = field(call, 'CopySource');
  const [path, query] = raw.replace(/^\//, '').split('?');
  const slash = path.indexOf('/');
  if (slash <= 0) throw new UnmappedCallError(call, `CopySource '${raw}' is not bucket/key`);
  const versionId = query ? (new URLSearchParams(query).get('versionId') ?? undefined) : undefined;
  return { bucket: path.slice(0, slash), key: decodeURIComponent(path.slice(slash + 1)), versionId };
}
