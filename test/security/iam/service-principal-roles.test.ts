import { evaluateAll } from '../../../lib/security/iam-contract/evaluate';
import {
  malwareProtectionPermissions,
  replicationPermissions,
} from '../../../lib/security/iam-contract/service-role-permissions';
import { replicaBucketName, keyAliasName } from '../../../lib/config/naming';
import { denials } from './contract-assertions';
import { bucketName, roleOf, synthesizedDeployment } from './deployment';

describe('S3 Replication role (prod)', () => {
  const deployment = synthesizedDeployment('prod');
  const { config, model } = deployment;
  const replicaKeyArn = model.keyAliases.get(
    `arn:aws:kms:${config.replication.replicaRegion}:${config.account}:${keyAliasName(config, 'replica')}`,
  )!;

  it.each([
    ['backups', 'BackupsBucket', 'BackupsReplicationRole', true],
    ['processed', 'ProcessedBucket', 'ProcessedReplicationRole', false],
  ] as const)(
    'allows everything S3 needs to replicate %s, Object Lock included',
    async (bucket, id, role, locked) => {
      const source = bucketName(deployment, 'Storage', id);
      expect(locked).toBe(
        bucket === 'backups' && config.lifecycle.backups.objectLockRetentionDays !== undefined,
      );
      const permissions = replicationPermissions(model, {
        sourceBucket: source,
        destinationBucket: replicaBucketName(config, bucket),
        replicaKeyArn,
        objectLock: locked,
      });
      const decisions = await evaluateAll(roleOf(deployment, 'Storage', role), permissions, model);
      expect(denials(decisions)).toEqual([]);
    },
  );

  it('replicates locked backups into a bucket with the same Object Lock retention', () => {
    const replica = deployment.resolver
      .resourcesOfType('AWS::S3::Bucket')
      .find((b) => b.resource.Properties?.BucketName === replicaBucketName(config, 'backups'))!;
    expect(replica.resource.Properties).toMatchObject({
      ObjectLockEnabled: true,
      ObjectLockConfiguration: {
        ObjectLockEnabled: 'Enabled',
        Rule: {
          DefaultRetention: { Mode: 'GOVERNANCE', Days: config.lifecycle.backups.objectLockRetentionDays },
        },
      },
    });
  });
});

describe.each(['staging', 'prod'] as const)('GuardDuty Malware Protection role (%s)', (envName) => {
  it('allows what GuardDuty documents it does, reading untagged uploads past the read gate', async () => {
    const deployment = synthesizedDeployment(envName);
    const uploads = bucketName(deployment, 'Storage', 'UploadsBucket');
    const permissions = malwareProtectionPermissions(deployment.model, uploads, 'uploads/');
    const role = roleOf(deployment, 'Intake', 'UploadsMalwareProtectionRole');
    expect(denials(await evaluateAll(role, permissions, deployment.model))).toEqual([]);
  });
});
