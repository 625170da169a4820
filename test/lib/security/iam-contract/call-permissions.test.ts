import type { DeploymentModel } from '../../../../lib/security/iam-contract/deployment-model';
import { presignedPostCall } from '../../../../lib/security/iam-contract/presigned-post';
import type { SdkCall } from '../../../../lib/security/iam-contract/sdk-call';
import { UnmappedCallError } from '../../../../lib/security/iam-contract/sdk-call';
import { permissionsFor } from '../../../../lib/security/iam-contract/service-permissions';
import { queueArnOfUrl } from '../../../../lib/security/iam-contract/queue-arn';

const KEY = 'arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555';
const QUEUE_KEY = 'arn:aws:kms:eu-west-1:123456789012:key/99999999-2222-3333-4444-555555555555';
const QUEUE_URL = 'https://sqs.eu-west-1.amazonaws.com/123456789012/Stowage-dev-Intake-IntakeQueue';
const model: DeploymentModel = {
  account: '123456789012',
  region: 'eu-west-1',
  bucketPolicies: new Map(),
  bucketKeys: new Map([
    ['b', { keyArn: KEY, bucketKeyEnabled: true }],
    ['nokey', { keyArn: KEY, bucketKeyEnabled: false }],
  ]),
  keyPolicies: new Map(),
  keyAliases: new Map([['arn:aws:kms:eu-west-1:123456789012:alias/stowage/dev/backups', KEY]]),
  resourceKeys: new Map([[queueArnOfUrl(QUEUE_URL), QUEUE_KEY]]),
  resourcePolicies: new Map(),
};
const s3 = (command: string, input: Record<string, unknown>): SdkCall => ({ service: 's3', command, input });
const actions = (call: SdkCall) => permissionsFor(call, { model }).map((p) => `${p.action} ${p.resource}`);

describe('SDK call → IAM authorizations', () => {
  it.each([
    [
      s3('GetObjectCommand', { Bucket: 'b', Key: 'k' }),
      ['s3:GetObject arn:aws:s3:::b/k', `kms:Decrypt ${KEY}`],
    ],
    [
      s3('GetObjectCommand', { Bucket: 'b', Key: 'k', VersionId: 'v' }),
      ['s3:GetObjectVersion arn:aws:s3:::b/k', `kms:Decrypt ${KEY}`],
    ],
    [
      s3('HeadObjectCommand', { Bucket: 'b', Key: 'k', VersionId: 'v' }),
      ['s3:GetObjectVersion arn:aws:s3:::b/k'],
    ],
    [
      s3('PutObjectTaggingCommand', { Bucket: 'b', Key: 'k', VersionId: 'v' }),
      ['s3:PutObjectVersionTagging arn:aws:s3:::b/k'],
    ],
    [s3('DeleteObjectCommand', { Bucket: 'b', Key: 'k' }), ['s3:DeleteObject arn:aws:s3:::b/k']],
    [
      s3('DeleteObjectCommand', { Bucket: 'b', Key: 'k', VersionId: 'v', BypassGovernanceRetention: true }),
      ['s3:DeleteObjectVersion arn:aws:s3:::b/k', 's3:BypassGovernanceRetention arn:aws:s3:::b/k'],
    ],
    [
      s3('ListObjectVersionsCommand', { Bucket: 'b', Prefix: 'uploads/' }),
      ['s3:ListBucketVersions arn:aws:s3:::b'],
    ],
    [s3('ListMultipartUploadsCommand', { Bucket: 'b' }), ['s3:ListBucketMultipartUploads arn:aws:s3:::b']],
    [
      s3('AbortMultipartUploadCommand', { Bucket: 'b', Key: 'k', UploadId: 'u' }),
      ['s3:AbortMultipartUpload arn:aws:s3:::b/k'],
    ],
    [
      s3('CreateMultipartUploadCommand', { Bucket: 'b', Key: 'k' }),
      ['s3:PutObject arn:aws:s3:::b/k', `kms:GenerateDataKey ${KEY}`, `kms:Decrypt ${KEY}`],
    ],
    [
      s3('UploadPartCommand', { Bucket: 'b', Key: 'k', UploadId: 'u' }),
      ['s3:PutObject arn:aws:s3:::b/k', `kms:Decrypt ${KEY}`],
    ],
    [
      s3('RestoreObjectCommand', { Bucket: 'b', Key: 'k', VersionId: 'v' }),
      ['s3:RestoreObject arn:aws:s3:::b/k'],
    ],
    [
      s3('PutObjectCommand', { Bucket: 'b', Key: 'k', Tagging: 'a=b', ServerSideEncryption: 'AES256' }),
      ['s3:PutObject arn:aws:s3:::b/k', 's3:PutObjectTagging arn:aws:s3:::b/k'],
    ],
    [
      s3('CopyObjectCommand', {
        Bucket: 'b',
        Key: 'd',
        CopySource: 'nokey/s%20x?versionId=v1',
        TaggingDirective: 'REPLACE',
      }),
      [
        's3:GetObjectVersion arn:aws:s3:::nokey/s x',
        `kms:Decrypt ${KEY}`,
        's3:PutObject arn:aws:s3:::b/d',
        `kms:GenerateDataKey ${KEY}`,
      ],
    ],
    [
      s3('CopyObjectCommand', { Bucket: 'b', Key: 'd', CopySource: 'b/s' }),
      [
        's3:GetObject arn:aws:s3:::b/s',
        `kms:Decrypt ${KEY}`,
        's3:PutObject arn:aws:s3:::b/d',
        's3:GetObjectTagging arn:aws:s3:::b/s',
        's3:PutObjectTagging arn:aws:s3:::b/d',
        `kms:GenerateDataKey ${KEY}`,
      ],
    ],
    [
      {
        service: 'kms',
        command: 'GenerateDataKeyCommand',
        input: { KeyId: 'alias/stowage/dev/backups' },
      } as SdkCall,
      [`kms:GenerateDataKey ${KEY}`],
    ],
    [
      { service: 'sqs', command: 'SendMessageBatchCommand', input: { QueueUrl: QUEUE_URL } } as SdkCall,
      [
        `sqs:SendMessage ${queueArnOfUrl(QUEUE_URL)}`,
        `kms:GenerateDataKey ${QUEUE_KEY}`,
        `kms:Decrypt ${QUEUE_KEY}`,
      ],
    ],
    [
      {
        service: 'lambda',
        command: 'InvokeCommand',
        input: { FunctionName: 'f', Qualifier: '3' },
      } as SdkCall,
      ['lambda:InvokeFunction arn:aws:lambda:eu-west-1:123456789012:function:f:3'],
    ],
    [
      {
        service: 'cloudwatch',
        command: 'SetAlarmStateCommand',
        input: { AlarmName: 'Stowage-dev-X' },
      } as SdkCall,
      ['cloudwatch:SetAlarmState arn:aws:cloudwatch:eu-west-1:123456789012:alarm:Stowage-dev-X'],
    ],
    [{ service: 'sts', command: 'GetCallerIdentityCommand', input: {} } as SdkCall, []],
  ])('%# %j', (call, expected) => {
    expect(actions(call)).toEqual(expected);
  });

  it('gives S3 the encryption context it uses: the bucket with Bucket Keys, else the object', () => {
    const [, bucketKey] = permissionsFor(s3('GetObjectCommand', { Bucket: 'b', Key: 'k' }), { model });
    const [, objectKey] = permissionsFor(s3('GetObjectCommand', { Bucket: 'nokey', Key: 'k' }), { model });
    expect(bucketKey.context).toMatchObject({
      'kms:ViaService': 's3.eu-west-1.amazonaws.com',
      'kms:EncryptionContext:aws:s3:arn': 'arn:aws:s3:::b',
    });
    expect(objectKey.context['kms:EncryptionContext:aws:s3:arn']).toBe('arn:aws:s3:::nokey/k');
  });

  it('passes request headers and object tags as condition keys', () => {
    const [put] = permissionsFor(
      s3('PutObjectCommand', { Bucket: 'b', Key: 'k', ServerSideEncryption: 'aws:kms', SSEKMSKeyId: KEY }),
      { model },
    );
    expect(put.context).toEqual({
      's3:x-amz-server-side-encryption': 'aws:kms',
      's3:x-amz-server-side-encryption-aws-kms-key-id': KEY,
    });
    const [get] = permissionsFor(s3('GetObjectCommand', { Bucket: 'b', Key: 'k' }), {
      model,
      objectTags: () => ({ 'scan-status': 'CLEAN' }),
    });
    expect(get.context).toEqual({ 's3:ExistingObjectTag/scan-status': 'CLEAN' });
    const [list] = permissionsFor(s3('ListObjectsV2Command', { Bucket: 'b', Prefix: 'backups/db/' }), {
      model,
    });
    expect(list.context).toEqual({ 's3:prefix': 'backups/db/' });
  });

  it('maps a presigned POST to the PutObject S3 authorizes, with its SSE fields', () => {
    const call = presignedPostCall('b', {
      key: 'uploads/u/x.pdf',
      'x-amz-server-side-encryption': 'aws:kms',
      'x-amz-server-side-encryption-aws-kms-key-id': KEY,
    });
    expect(call).toEqual({
      service: 's3',
      command: 'PutObjectCommand',
      input: { Bucket: 'b', Key: 'uploads/u/x.pdf', ServerSideEncryption: 'aws:kms', SSEKMSKeyId: KEY },
    });
  });

  it('refuses unknown commands and inputs it cannot place, naming them', () => {
    expect(() => actions(s3('PutBucketAclCommand', { Bucket: 'b' }))).toThrow(
      's3 PutBucketAclCommand: no IAM mapping (add it to lib/security/iam-contract so its permissions are checked)',
    );
    expect(() => actions(s3('GetObjectCommand', { Bucket: 'b' }))).toThrow(UnmappedCallError);
    expect(() => actions({ service: 'kms', command: 'DecryptCommand', input: {} })).toThrow(
      'no KeyId and no ciphertext key given to the contract',
    );
    expect(() =>
      actions({ service: 'kms', command: 'GenerateDataKeyCommand', input: { KeyId: 'alias/nope' } }),
    ).toThrow('KMS alias alias/nope names no key of this deployment');
  });
});
