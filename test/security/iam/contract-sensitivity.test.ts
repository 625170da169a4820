import type { RoleModel } from '../../../lib/security/iam-contract/deployment-model';
import type { SdkCall } from '../../../lib/security/iam-contract/sdk-call';
import { UnmappedCallError } from '../../../lib/security/iam-contract/sdk-call';
import { permissionsFor } from '../../../lib/security/iam-contract/service-permissions';
import { decisionsFor, denials } from './contract-assertions';
import { bucketName, roleOf, synthesizedDeployment } from './deployment';

/** A copy of `role` without the statement `sid` in any of its policies. */
function withoutStatement(role: RoleModel, sid: string): RoleModel {
  let removed = 0;
  const policies = role.policies.map((policy) => {
    const statements = [policy.document.Statement].flat() as Record<string, unknown>[];
    const kept = statements.filter((statement) => statement.Sid !== sid);
    removed += statements.length - kept.length;
    return { ...policy, document: { ...policy.document, Statement: kept } };
  });
  if (removed !== 1) throw new Error(`${sid}: ${removed} statements`);
  return { ...role, policies };
}

describe('the contract fails when code and policies drift apart (dev)', () => {
  const deployment = synthesizedDeployment('dev');
  const uploads = () => bucketName(deployment, 'Storage', 'UploadsBucket');
  const backups = () => bucketName(deployment, 'Storage', 'BackupsBucket');
  const table = () =>
    deployment.resolver.physicalName(
      deployment.stacks.find((s) => s.stackName === 'Stowage-dev-Intake')!,
      Object.keys(
        deployment.stacks.find((s) => s.stackName === 'Stowage-dev-Intake')!.template.Resources!,
      ).find((id) => id.startsWith('StatusTable'))!,
    );
  /** What the scan handler does to one upload version (as recorded in pipeline-roles.test.ts). */
  const scanCalls = (): SdkCall[] => [
    {
      service: 's3',
      command: 'HeadObjectCommand',
      input: { Bucket: uploads(), Key: 'uploads/u/a.png', VersionId: 'v1' },
    },
    {
      service: 's3',
      command: 'GetObjectCommand',
      input: { Bucket: uploads(), Key: 'uploads/u/a.png', VersionId: 'v1' },
    },
    {
      service: 's3',
      command: 'PutObjectTaggingCommand',
      input: { Bucket: uploads(), Key: 'uploads/u/a.png', VersionId: 'v1', Tagging: { TagSet: [] } },
    },
    { service: 'dynamodb', command: 'UpdateCommand', input: { TableName: table(), Key: { uploadId: 'u1' } } },
    {
      service: 'events',
      command: 'PutEventsCommand',
      input: {
        Entries: [
          {
            EventBusName: 'stowage-dev-results',
            Source: 'stowage.intake',
            DetailType: 'Stowage Scan Result',
          },
        ],
      },
    },
  ];

  it('allows the scan calls as synthesized', async () => {
    const decisions = await decisionsFor(
      roleOf(deployment, 'Intake', 'ScanHandlerRole'),
      scanCalls(),
      deployment.model,
    );
    expect(denials(decisions)).toEqual([]);
  });

  it.each(['ReadAndTagUploads', 'DecryptUploads', 'PublishVerdicts', 'StatusRecords', 'StatusRecordsKey'])(
    'fails, naming the call, when statement %s is removed from a synthesized copy of the scan role',
    async (sid) => {
      const role = withoutStatement(roleOf(deployment, 'Intake', 'ScanHandlerRole'), sid);
      const denied = denials(await decisionsFor(role, scanCalls(), deployment.model));
      expect(denied.length).toBeGreaterThan(0);
      expect(denied[0]).toMatch(/\((S3|DynamoDB|EventBridge) \w+ .*\): no statement allows it$/);
    },
  );

  it.each(['ReadBackups', 'DeleteFailedPushes', 'WriteBackups', 'UseBackupsKey'])(
    'fails when statement %s is removed from the backup writer',
    async (sid) => {
      const writer = roleOf(deployment, 'Backups', 'BackupWriterRole');
      const key = 'backups/db/20261123/db_20261123_040000.dump';
      const calls: SdkCall[] = [
        { service: 's3', command: 'PutObjectCommand', input: { Bucket: backups(), Key: key } },
        {
          service: 's3',
          command: 'GetObjectCommand',
          input: { Bucket: backups(), Key: key, VersionId: 'v1' },
        },
        {
          service: 's3',
          command: 'DeleteObjectCommand',
          input: { Bucket: backups(), Key: key, VersionId: 'v1' },
        },
      ];
      expect(denials(await decisionsFor(writer, calls, deployment.model))).toEqual([]);
      expect(
        denials(await decisionsFor(withoutStatement(writer, sid), calls, deployment.model)).length,
      ).toBeGreaterThan(0);
    },
  );

  it('fails when the code adds a call its role lacks (a listing outside uploads/, a version delete, in the scan handler)', async () => {
    const calls: SdkCall[] = [
      ...scanCalls(),
      {
        service: 's3',
        // The scan role may list versions under uploads/ only (s3:prefix condition): a wider listing is refused.
        command: 'ListObjectVersionsCommand',
        input: { Bucket: uploads(), Prefix: 'reports/' },
      },
      {
        service: 's3',
        command: 'DeleteObjectCommand',
        input: { Bucket: uploads(), Key: 'uploads/u/a.png', VersionId: 'v1' },
      },
    ];
    const denied = denials(
      await decisionsFor(roleOf(deployment, 'Intake', 'ScanHandlerRole'), calls, deployment.model),
    );
    expect(denied).toEqual([
      expect.stringMatching(
        /^s3:ListBucketVersions on arn:aws:s3:::stowage-dev-storage-uploadsbucket.*: no statement allows it$/,
      ),
      expect.stringMatching(/^s3:DeleteObjectVersion on .*uploads\/u\/a\.png .*: no statement allows it$/),
    ]);
  });

  it('refuses a command it cannot map, so no call ships unchecked', () => {
    expect(() =>
      permissionsFor(
        { service: 's3', command: 'PutBucketPolicyCommand', input: { Bucket: 'b' } },
        { model: deployment.model },
      ),
    ).toThrow(UnmappedCallError);
  });
});
