import { evaluateAll } from '../../../lib/security/iam-contract/evaluate';
import { isGeneratedNameOf } from '../../../lib/security/iam-contract/physical-names';
import { contractRoles } from '../../../lib/security/iam-contract/role-calls';
import { denials, uncoveredBy } from './contract-assertions';
import { contractRoleOf, roleOf, synthesizedDeployment, templateContractResources } from './deployment';

describe.each(['dev', 'staging', 'prod'] as const)('the role call list doctor evaluates (%s)', (envName) => {
  const deployment = synthesizedDeployment(envName);
  const roles = contractRoles(deployment.config, templateContractResources(deployment));

  it('names every Stowage role the env deploys, each allowed everything on its list', async () => {
    // Arrange
    const expected = [
      'intake-api',
      'scan',
      'process',
      'quarantine',
      'verifier',
      'operations',
      'backup-writer',
    ];
    if (deployment.config.replication.enabled) expected.push('processed-replication', 'backups-replication');
    if (deployment.config.intake.guardDuty.malwareProtection) expected.push('malware-protection');
    // Act / Assert
    expect(roles.map((r) => r.id)).toEqual(expected);
    for (const role of roles) {
      const templateRole = roleOf(deployment, role.part, role.logicalIdPrefix);
      const name = templateRole.arn.split('/').pop()!;
      expect(isGeneratedNameOf(name, envName, role)).toBe(true);
      expect(
        denials(await evaluateAll(templateRole, role.permissions(deployment.model), deployment.model)),
      ).toEqual([]);
    }
  }, 60_000);
});

describe('a call the code makes that the list lacks', () => {
  it('is reported, naming the role to add it to', () => {
    const deployment = synthesizedDeployment('dev');
    const scan = contractRoleOf(deployment, 'scan');
    const { uploads } = templateContractResources(deployment).buckets;
    const uncovered = uncoveredBy(
      scan,
      [
        {
          service: 's3',
          command: 'DeleteObjectTaggingCommand',
          input: { Bucket: uploads, Key: 'uploads/a/b.png' },
        },
      ],
      deployment.model,
    );
    expect(uncovered).toEqual([
      expect.stringMatching(
        /^s3:DeleteObjectTagging arn:aws:s3:::.*\/uploads\/\* .*: add the call to role scan$/,
      ),
    ]);
  });
});

describe('generated names', () => {
  const ref = { part: 'Operations', logicalIdPrefix: 'OperationsOperationsHandlerRole' } as const;
  it.each([
    ['Stowage-prod-Operations-OperationsOperationsHandlerRole1F131BCC-ABCDEF', true],
    ['Stowage-prod-Operations-OperationsOperationsHand-1A2B3C4D5E6F7G8H9I0J1K2', true],
    ['Stowage-prod-Operations-OperationsOperationsHandlerRoleX1F131BCC-ABCDEF', false],
    ['Stowage-dev-Operations-OperationsOperationsHandlerRole1F131BCC-ABCDEF', false],
  ])('%s is the role: %s', (name, matches) => {
    expect(isGeneratedNameOf(name, 'prod', ref)).toBe(matches);
  });

  it('tells the intake queue from its dead-letter queue', () => {
    const dlq = 'Stowage-prod-Intake-IntakeQueueDeadLetterQueue7AEB8FC5-ABCDEFGHIJKL';
    expect(isGeneratedNameOf(dlq, 'prod', { part: 'Intake', logicalIdPrefix: 'IntakeQueue' })).toBe(false);
    expect(
      isGeneratedNameOf(dlq, 'prod', { part: 'Intake', logicalIdPrefix: 'IntakeQueueDeadLetterQueue' }),
    ).toBe(true);
  });
});
