import { readFileSync } from 'fs';
import { join } from 'path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { IAMClient, ListRolesCommand } from '@aws-sdk/client-iam';
import { KMSClient } from '@aws-sdk/client-kms';
import { S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import type { CheckResult, DoctorContext } from '../../../../cli/commands/doctor/check';
import { createLiveClients } from '../../../../cli/commands/doctor/live-clients';
import { rolePermissionChecks } from '../../../../cli/commands/doctor/permissions-check';
import type { EnvName } from '../../../../lib/config';
import {
  readLiveDeployment,
  RESOURCE_READ_PERMISSIONS,
} from '../../../../lib/security/iam-contract/live-model';
import { IAM_READ_PERMISSIONS } from '../../../../lib/security/iam-contract/live-roles';
import {
  bucketName,
  synthesizedDeployment,
  type SynthesizedDeployment,
} from '../../../security/iam/deployment';
import { NOW } from '../../shared/fake-command-io';
import { FakeAccount, type AccountMocks } from './fake-account';

const mocks: AccountMocks = {
  iam: mockClient(IAMClient),
  s3: mockClient(S3Client),
  kms: mockClient(KMSClient),
  sqs: mockClient(SQSClient),
  sns: mockClient(SNSClient),
  dynamodb: mockClient(DynamoDBClient),
  sts: mockClient(STSClient),
};
const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
let live: ReturnType<typeof createLiveClients>;

beforeEach(() => {
  Object.values(mocks).forEach((mock) => mock.reset());
  live = createLiveClients({
    config: synthesizedDeployment('dev').config,
    region: 'eu-west-1',
    explicitBuckets: {},
  });
});
afterEach(() => live.destroy());

function contextFor(deployment: SynthesizedDeployment, endpoint?: string): DoctorContext {
  const sts = new STSClient({ region: deployment.config.region, credentials });
  return {
    config: deployment.config,
    region: deployment.config.region,
    endpoint,
    s3: new S3Client({ region: deployment.config.region, credentials }),
    sts: () => sts,
    kms: () => new KMSClient({ region: deployment.config.region, credentials }),
    sqs: () => new SQSClient({ region: deployment.config.region, credentials }),
    now: () => NOW,
  };
}

function envBuckets(deployment: SynthesizedDeployment) {
  return {
    uploads: bucketName(deployment, 'Storage', 'UploadsBucket'),
    processed: bucketName(deployment, 'Storage', 'ProcessedBucket'),
    quarantine: bucketName(deployment, 'Storage', 'QuarantineBucket'),
    backups: bucketName(deployment, 'Storage', 'BackupsBucket'),
  };
}

async function doctorOn(account: FakeAccount, endpoint?: string): Promise<CheckResult[]> {
  account.serve(mocks);
  const { deployment } = account;
  return rolePermissionChecks(contextFor(deployment, endpoint), envBuckets(deployment), () => live);
}

const byName = (results: readonly CheckResult[], title: string) =>
  results.find((r) => r.name === `permissions: ${title}`)!;

/** Policy documents in a stable form, for comparing sets of them. */
const documents = (policies: readonly { document: unknown }[]) =>
  policies.map((p) => JSON.stringify(p.document)).sort();
const sorted = <V>(map: ReadonlyMap<string, V>) => [...map].sort(([a], [b]) => a.localeCompare(b));

describe.each(['dev', 'prod'] as const)('stowage doctor role permissions (%s)', (envName: EnvName) => {
  const deployment = synthesizedDeployment(envName);

  it('reads back from the account the model the templates give, every listing paged through', async () => {
    // Arrange
    new FakeAccount(deployment).serve(mocks);
    // Act
    const read = await readLiveDeployment(live, deployment.config, {
      account: deployment.model.account,
      buckets: envBuckets(deployment),
    });
    // Assert
    expect(read.problems).toEqual([]);
    const { model } = deployment;
    expect(sorted(read.model.keyAliases)).toEqual(sorted(model.keyAliases));
    expect(sorted(read.model.keyPolicies)).toEqual(sorted(model.keyPolicies));
    expect(sorted(read.model.resourceKeys)).toEqual(sorted(model.resourceKeys));
    expect(sorted(read.model.resourcePolicies)).toEqual(sorted(model.resourcePolicies));
    const contractBuckets = new Set(read.model.bucketKeys.keys());
    expect(sorted(read.model.bucketKeys)).toEqual(
      sorted(model.bucketKeys).filter(([b]) => contractBuckets.has(b)),
    );
    expect(contractBuckets.size).toBe(envName === 'prod' ? 6 : 4);
    for (const [bucket, policy] of read.model.bucketPolicies)
      expect(policy).toEqual(model.bucketPolicies.get(bucket));
    expect(read.roles.map((r) => r.arn).sort()).toEqual(deployment.roles.map((r) => r.arn).sort());
    for (const role of deployment.roles) {
      const liveRole = read.roles.find((r) => r.arn === role.arn)!;
      expect(liveRole.tags).toEqual(role.tags);
      expect(documents(liveRole.policies)).toEqual(documents(role.policies));
    }
    expect(mocks.iam.commandCalls(ListRolesCommand).length).toBeGreaterThan(1);
  });

  it('passes every role the env deploys', async () => {
    // Act
    const started = Date.now();
    const results = await doctorOn(new FakeAccount(deployment));
    const elapsed = Date.now() - started;
    // Assert
    expect(results.filter((r) => r.status !== 'PASS')).toEqual([]);
    expect(results.map((r) => r.name)).toEqual(
      expect.arrayContaining(['permissions: scan handler', 'permissions: backup writer (stowage backup)']),
    );
    expect(results).toHaveLength(envName === 'prod' ? 10 : 7);
    expect(elapsed).toBeLessThan(30_000);
  }, 60_000);
});

describe('stowage doctor role permissions on a drifted or unreadable deployment (dev)', () => {
  const deployment = synthesizedDeployment('dev');

  it('fails the scan role, naming the action, when its policy lost the tagging permission; the others pass', async () => {
    // Arrange
    const account = new FakeAccount(deployment);
    expect(
      account.removeAction(account.role('Intake', 'ScanHandlerRole'), 's3:PutObjectVersionTagging'),
    ).toBe(1);
    // Act
    const results = await doctorOn(account);
    // Assert
    const scan = byName(results, 'scan handler');
    expect(scan.status).toBe('FAIL');
    expect(scan.detail).toMatch(
      /^Stowage-dev-Intake-ScanHandlerRole\w+-\w+: s3:PutObjectVersionTagging on arn:aws:s3:::stowage-dev-storage-uploadsbucket[^/]+\/uploads\/\S+ not allowed \(S3 PutObjectTagging .*\): no statement allows it$/,
    );
    expect(scan.hint).toBe(
      'deploy the policies this CLI expects (changed outside CloudFormation, or an older stack): npx cdk deploy Stowage-dev-Intake -c env=dev',
    );
    expect(results.filter((r) => r.status !== 'PASS').map((r) => r.name)).toEqual([
      'permissions: scan handler',
    ]);
  }, 60_000);

  it('fails a role a bucket policy statement denies, naming the statement and the Storage stack', async () => {
    // Arrange
    const account = new FakeAccount(deployment);
    const uploads = bucketName(deployment, 'Storage', 'UploadsBucket');
    const policy = account.bucketPolicies.get(uploads)!;
    account.bucketPolicies.set(uploads, {
      ...policy,
      Statement: [
        ...[policy.Statement].flat(),
        {
          Sid: 'FreezeUploads',
          Effect: 'Deny',
          Principal: { AWS: '*' },
          Action: 's3:DeleteObjectVersion',
          Resource: `arn:aws:s3:::${uploads}/*`,
        },
      ],
    });
    // Act
    const results = await doctorOn(account);
    // Assert
    const processRole = byName(results, 'process handler');
    expect(processRole.status).toBe('FAIL');
    expect(processRole.detail).toMatch(
      /: s3:DeleteObjectVersion on .* explicitly denied .*resource policy FreezeUploads$/,
    );
    expect(processRole.hint).toMatch(/npx cdk deploy Stowage-dev-Storage -c env=dev$/);
    expect(byName(results, 'quarantine handler').status).toBe('FAIL');
    expect(byName(results, 'backup verifier').status).toBe('PASS');
  }, 60_000);

  it('skips a role whose inline policy it may not read, naming iam:GetRolePolicy; never passes it', async () => {
    // Arrange
    const account = new FakeAccount(deployment);
    account.inlineManagedPolicies(account.role('Intake', 'ScanHandlerRole'));
    account.denied.add('iam:GetRolePolicy');
    // Act
    const results = await doctorOn(account);
    // Assert
    const scan = byName(results, 'scan handler');
    expect(scan).toEqual({
      name: 'permissions: scan handler',
      status: 'SKIP',
      detail: expect.stringMatching(
        /^cannot read arn:aws:iam::123456789012:role\/Stowage-dev-Intake-ScanHandlerRole\S+: iam:GetRolePolicy denied \(AccessDenied \[HTTP 403\]: /,
      ),
      hint: expect.stringMatching(
        /^grant your principal iam:GetRolePolicy on arn:aws:iam::123456789012:role\//,
      ),
    });
    expect(results.filter((r) => r.status !== 'PASS')).toEqual([scan]);
  }, 60_000);

  it.each([
    ['iam:ListRoles', 'the account'],
    ['iam:GetPolicyVersion', 'arn:aws:iam::123456789012:role/'],
    ['kms:GetKeyPolicy', 'arn:aws:kms:'],
  ])(
    'skips, naming %s, when that read is refused',
    async (action, what) => {
      // Arrange
      const account = new FakeAccount(deployment);
      account.denied.add(action);
      // Act
      const results = await doctorOn(account);
      // Assert
      expect(results.every((r) => r.status === 'SKIP')).toBe(true);
      for (const result of results) {
        expect(result.detail).toContain(`cannot read ${what}`);
        expect(result.detail).toContain(`${action} denied`);
        expect(result.hint).toMatch(new RegExp(`^grant your principal ${action}`));
      }
    },
    60_000,
  );

  it('skips against an S3-compatible endpoint, which evaluates no IAM, without reading IAM', async () => {
    const results = await doctorOn(new FakeAccount(deployment), 'http://127.0.0.1:7480');
    expect(results).toEqual([
      {
        name: 'permissions',
        status: 'SKIP',
        detail: 'S3-compatible endpoint http://127.0.0.1:7480 evaluates no IAM, bucket or key policies',
        hint: "run against AWS (without --endpoint / STOWAGE_S3_ENDPOINT) to check the roles' permissions",
      },
    ]);
    expect(mocks.iam.calls()).toHaveLength(0);
  });

  it('fails a role that is not deployed, with the deploy command', async () => {
    const account = new FakeAccount(deployment);
    account.roles.splice(account.roles.indexOf(account.role('Backups', 'VerifierRole')), 1);
    const results = await doctorOn(account);
    expect(byName(results, 'backup verifier')).toEqual({
      name: 'permissions: backup verifier',
      status: 'FAIL',
      detail: 'no role named Stowage-dev-Backups-VerifierRole* in account 123456789012',
      hint: 'npx cdk deploy Stowage-dev-Backups -c env=dev',
    });
  }, 60_000);
});

describe('docs/deploy.md', () => {
  it('lists every permission the permission check reads with', () => {
    const doc = readFileSync(join(__dirname, '../../../../docs/deploy.md'), 'utf8');
    for (const permission of [...IAM_READ_PERMISSIONS, ...RESOURCE_READ_PERMISSIONS]) {
      expect(doc).toContain(`\`${permission}\``);
    }
  });
});
