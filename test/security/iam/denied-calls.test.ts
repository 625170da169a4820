import type { RoleModel } from '../../../lib/security/iam-contract/deployment-model';
import type { Verdict } from '../../../lib/security/iam-contract/evaluate';
import type { SdkCall } from '../../../lib/security/iam-contract/sdk-call';
import { decisionsFor } from './contract-assertions';
import type { SynthesizedDeployment } from './deployment';
import { bucketName, roleOf, synthesizedDeployment, templateContractResources } from './deployment';

/** A consumer: an app role of the account with the default trust and a broad policy, not tagged by Stowage. */
function consumerRole(deployment: SynthesizedDeployment): RoleModel {
  return {
    arn: `arn:aws:iam::${deployment.config.account}:role/reporting-app`,
    tags: {},
    policies: [
      {
        name: 'broad',
        document: {
          Version: '2012-10-17',
          Statement: [
            { Effect: 'Allow', Action: ['s3:*', 'kms:Decrypt', 'kms:GenerateDataKey'], Resource: '*' },
          ],
        },
      },
    ],
  };
}

const get = (Bucket: string, Key: string, VersionId?: string): SdkCall => ({
  service: 's3',
  command: 'GetObjectCommand',
  input: { Bucket, Key, ...(VersionId ? { VersionId } : {}) },
});
const put = (Bucket: string, Key: string, extra: Record<string, unknown> = {}): SdkCall => ({
  service: 's3',
  command: 'PutObjectCommand',
  input: { Bucket, Key, ...extra },
});

/** The verdict of the first authorization the call needs that is not Allowed (Allowed when none). */
async function verdictOf(
  deployment: SynthesizedDeployment,
  role: RoleModel,
  call: SdkCall,
  objectTags: Record<string, string> = {},
): Promise<Verdict> {
  const decisions = await decisionsFor(role, [call], deployment.model, { objectTags: () => objectTags });
  return decisions.find((d) => d.verdict !== 'Allowed')?.verdict ?? 'Allowed';
}

describe.each(['dev', 'prod'] as const)('calls that must never be allowed (%s)', (envName) => {
  const deployment = synthesizedDeployment(envName);
  const uploads = () => bucketName(deployment, 'Storage', 'UploadsBucket');
  const quarantine = () => bucketName(deployment, 'Storage', 'QuarantineBucket');
  const backups = () => bucketName(deployment, 'Storage', 'BackupsBucket');
  const processed = () => bucketName(deployment, 'Storage', 'ProcessedBucket');
  const role = (part: string, id: string) => roleOf(deployment, part, id);
  const pipeline = ['ScanHandlerRole', 'QuarantineHandlerRole', 'ProcessHandlerRole'];

  it.each(pipeline)('%s cannot read quarantine (explicitly denied by the bucket policy)', async (id) => {
    const verdict = await verdictOf(deployment, role('Intake', id), get(quarantine(), 'quarantine/u1/a.exe'));
    expect(verdict).toBe('ExplicitlyDenied');
  });

  it.each([
    ['Intake', 'ApiHandlerRole'],
    ['Backups', 'VerifierRole'],
    ['Backups', 'BackupWriterRole'],
    ['Operations', 'OperationsOperationsHandlerRole'],
  ])('%s/%s cannot read an untagged or INFECTED upload', async (part, id) => {
    const call = get(uploads(), 'uploads/user-1/2026/11/23/u1.png');
    expect(await verdictOf(deployment, role(part, id), call)).toBe('ExplicitlyDenied');
    expect(await verdictOf(deployment, role(part, id), call, { 'scan-status': 'INFECTED' })).toBe(
      'ExplicitlyDenied',
    );
  });

  it('a consumer cannot read unscanned uploads, nor decrypt clean ones, backups or processed files', async () => {
    const consumer = consumerRole(deployment);
    const upload = get(uploads(), 'uploads/user-1/2026/11/23/u1.png');
    expect(await verdictOf(deployment, consumer, upload)).toBe('ExplicitlyDenied');
    expect(await verdictOf(deployment, consumer, upload, { 'scan-status': 'CLEAN' })).not.toBe('Allowed');
    expect(await verdictOf(deployment, consumer, get(backups(), 'backups/main-db/20261123/x.dump'))).not.toBe(
      'Allowed',
    );
    expect(await verdictOf(deployment, consumer, get(processed(), 'processed/user-1/x.png'))).not.toBe(
      'Allowed',
    );
  });

  it.each([
    ['reports/20261123.json', undefined],
    ['reports/20261123.json', 'v1'],
    ['backups/main-db/20261123/x.dump', undefined],
  ])(
    'the backup writer cannot delete %s (version %s): only versions of failed pushes under backups/',
    async (key, versionId) => {
      const call: SdkCall = {
        service: 's3',
        command: 'DeleteObjectCommand',
        input: { Bucket: backups(), Key: key, ...(versionId ? { VersionId: versionId } : {}) },
      };
      expect(await verdictOf(deployment, role('Backups', 'BackupWriterRole'), call)).not.toBe('Allowed');
    },
  );

  it('the backup writer cannot bypass Object Lock', async () => {
    const call: SdkCall = {
      service: 's3',
      command: 'DeleteObjectCommand',
      input: {
        Bucket: backups(),
        Key: 'backups/main-db/x.dump',
        VersionId: 'v1',
        BypassGovernanceRetention: true,
      },
    };
    expect(await verdictOf(deployment, role('Backups', 'BackupWriterRole'), call)).not.toBe('Allowed');
  });

  it('no write goes through with another key, an alias, or SSE-S3', async () => {
    const writer = role('Backups', 'BackupWriterRole');
    const processKey = deployment.model.bucketKeys.get(processed())!.keyArn;
    const key = 'backups/main-db/20261123/x.dump';
    for (const extra of [
      { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: processKey },
      { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: `alias/stowage/${envName}/backups` },
      { ServerSideEncryption: 'AES256' },
    ]) {
      expect(await verdictOf(deployment, writer, put(backups(), key, extra))).toBe('ExplicitlyDenied');
    }
    const process = role('Intake', 'ProcessHandlerRole');
    const quarantineKey = deployment.model.bucketKeys.get(quarantine())!.keyArn;
    expect(
      await verdictOf(
        deployment,
        process,
        put(processed(), 'processed/u1.png', { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: quarantineKey }),
      ),
    ).toBe('ExplicitlyDenied');
  });

  it('the intake API role reads processed/ only (download URLs): never uploads, quarantine, backups or manifests elsewhere', async () => {
    const api = role('Intake', 'ApiHandlerRole');
    expect(await verdictOf(deployment, api, get(processed(), 'processed/user-1/2026/11/23/u1.png'))).toBe(
      'Allowed',
    );
    for (const call of [
      get(uploads(), 'uploads/user-1/2026/11/23/u1.png'),
      get(quarantine(), 'quarantine/u1/a.exe'),
      get(backups(), 'backups/main-db/20261123/x.dump'),
      get(processed(), 'elsewhere/u1.png'),
    ]) {
      expect(await verdictOf(deployment, api, call)).not.toBe('Allowed');
    }
    for (const tags of [{ 'scan-status': 'CLEAN' }, { 'scan-status': 'INFECTED' }]) {
      expect(await verdictOf(deployment, api, get(uploads(), 'uploads/user-1/u1.png'), tags)).not.toBe(
        'Allowed',
      );
    }
    expect(await verdictOf(deployment, api, put(processed(), 'processed/user-1/u1.png'))).not.toBe('Allowed');
  });

  it('the intake API role lists through the owner index only: no Query of the table, no Scan', async () => {
    const api = role('Intake', 'ApiHandlerRole');
    const TableName = templateContractResources(deployment).statusTable;
    const call = (command: string, IndexName?: string): SdkCall => ({
      service: 'dynamodb',
      command,
      input: { TableName, ...(IndexName ? { IndexName } : {}) },
    });
    expect(await verdictOf(deployment, api, call('QueryCommand', 'owner-createdAt'))).toBe('Allowed');
    expect(await verdictOf(deployment, api, call('QueryCommand'))).not.toBe('Allowed');
    expect(await verdictOf(deployment, api, call('ScanCommand'))).not.toBe('Allowed');
    expect(await verdictOf(deployment, api, call('ScanCommand', 'owner-createdAt'))).not.toBe('Allowed');
  });

  it('the operations handler passes the quarantine read gate (tagged), the pipeline does not', async () => {
    const operations = role('Operations', 'OperationsOperationsHandlerRole');
    expect(operations.tags['stowage:access']).toBe(`${envName}:operations`);
    const call = get(quarantine(), 'quarantine/u1/a.exe');
    // No explicit deny: it holds no s3:GetObject on quarantine, so it reads nothing until a statement grants it.
    expect(await verdictOf(deployment, operations, call)).toBe('ImplicitlyDenied');
    const staff: RoleModel = {
      arn: `arn:aws:iam::${deployment.config.account}:role/Stowage-${envName}-SecurityAnalyst`,
      tags: { 'stowage:access': `${envName}:operations` },
      policies: consumerRole(deployment).policies,
    };
    expect(await verdictOf(deployment, staff, call)).toBe('Allowed');
  });
});

describe('dev roles cannot touch prod', () => {
  it.each([
    ['Intake', 'ScanHandlerRole', 'UploadsBucket', 'uploads/user-1/x.png'],
    ['Intake', 'ProcessHandlerRole', 'ProcessedBucket', 'processed/user-1/x.png'],
    ['Backups', 'BackupWriterRole', 'BackupsBucket', 'backups/main-db/x.dump'],
    ['Backups', 'VerifierRole', 'BackupsBucket', 'backups/main-db/x.dump'],
  ])('dev %s/%s cannot read or write prod %s', async (part, id, bucketId, key) => {
    const dev = synthesizedDeployment('dev');
    const prod = synthesizedDeployment('prod');
    const devRole = roleOf(dev, part, id);
    const bucket = bucketName(prod, 'Storage', bucketId);
    for (const call of [get(bucket, key), put(bucket, key)]) {
      const decisions = await decisionsFor(devRole, [call], prod.model);
      expect(decisions.some((d) => d.verdict !== 'Allowed')).toBe(true);
    }
  });
});
