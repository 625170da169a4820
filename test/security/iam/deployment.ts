import type { DeepPartial, EnvName, StowageConfig } from '../../../lib/config';
import type { TemplateDeployment, TemplateRole } from '../../../lib/security/iam-contract/template-model';
import { templateDeployment } from '../../../lib/security/iam-contract/template-model';
import type { StackTemplate } from '../../../lib/security/iam-contract/template-resolver';
import type { LogicalRef } from '../../../lib/security/iam-contract/physical-names';
import { isGeneratedNameOf } from '../../../lib/security/iam-contract/physical-names';
import type {
  ContractResources,
  ContractRole,
  ContractRoleId,
} from '../../../lib/security/iam-contract/role-calls';
import { CONTRACT_RESOURCE_REFS, contractRoles } from '../../../lib/security/iam-contract/role-calls';
import { buildEnv } from '../../support/app';

/** Backup writer principal the contract tests configure, so that the writer role exists. */
export const WRITER_PRINCIPAL = 'arn:aws:iam::123456789012:role/ci-backup-writer';

export interface SynthesizedDeployment extends TemplateDeployment {
  readonly config: StowageConfig;
  readonly stacks: readonly StackTemplate[];
}

const cache = new Map<string, SynthesizedDeployment>();

/** An env's templates as synthesized by `cdk synth` (with a backup writer configured), resolved. */
export function synthesizedDeployment(
  envName: EnvName,
  overrides: DeepPartial<StowageConfig> = {},
): SynthesizedDeployment {
  const cacheKey = `${envName}/${JSON.stringify(overrides)}`;
  const cached = cache.get(cacheKey);
  if (cached) return cached;
  const { app, config } = buildEnv(envName, {
    overrides: {
      backups: { writerPrincipalArns: [WRITER_PRINCIPAL] },
      ...overrides,
    } as DeepPartial<StowageConfig>,
  });
  const assembly = app.synth();
  const stacks: StackTemplate[] = assembly.stacks.map((stack) => ({
    stackName: stack.stackName,
    account: stack.environment.account,
    region: stack.environment.region,
    template: stack.template as StackTemplate['template'],
  }));
  const deployment = { ...templateDeployment(stacks, config.region), config, stacks };
  cache.set(cacheKey, deployment);
  return deployment;
}

/** The role whose logical id starts with `logicalIdPrefix` in the stack `Stowage-<env>-<part>`. */
export function roleOf(
  deployment: SynthesizedDeployment,
  part: string,
  logicalIdPrefix: string,
): TemplateRole {
  const stackName = `Stowage-${deployment.config.envName}-${part}`;
  const matches = deployment.roles.filter(
    (role) => role.stackName === stackName && role.logicalId.startsWith(logicalIdPrefix),
  );
  if (matches.length !== 1) {
    throw new Error(
      `${matches.length} roles ${stackName}/${logicalIdPrefix}*: ${deployment.roles.map((r) => `${r.stackName}/${r.logicalId}`).join(', ')}`,
    );
  }
  return matches[0];
}

/** The resolved environment variables of the Lambda function whose logical id starts with `logicalIdPrefix`. */
export function functionEnvironment(
  deployment: SynthesizedDeployment,
  part: string,
  logicalIdPrefix: string,
): Record<string, string> {
  const stackName = `Stowage-${deployment.config.envName}-${part}`;
  const found = deployment.resolver
    .resourcesOfType('AWS::Lambda::Function')
    .filter((f) => f.stack.stackName === stackName && f.logicalId.startsWith(logicalIdPrefix));
  if (found.length !== 1) throw new Error(`${found.length} functions ${stackName}/${logicalIdPrefix}*`);
  const { stack, resource } = found[0];
  const variables =
    (resource.Properties?.Environment as { Variables?: Record<string, unknown> })?.Variables ?? {};
  return deployment.resolver.resolve(stack, variables) as Record<string, string>;
}

/** The physical name of the bucket whose logical id starts with `logicalIdPrefix` in `part`. */
export function bucketName(deployment: SynthesizedDeployment, part: string, logicalIdPrefix: string): string {
  const stackName = `Stowage-${deployment.config.envName}-${part}`;
  const found = deployment.resolver
    .resourcesOfType('AWS::S3::Bucket')
    .filter((b) => b.stack.stackName === stackName && b.logicalId.startsWith(logicalIdPrefix));
  if (found.length !== 1) throw new Error(`${found.length} buckets ${stackName}/${logicalIdPrefix}*`);
  return deployment.resolver.physicalName(found[0].stack, found[0].logicalId);
}

/** An env's resource of `type` the contract reference names (found the way doctor finds it in the account). */
function physicalNameOf(deployment: SynthesizedDeployment, type: string, ref: LogicalRef): string {
  const names = deployment.resolver
    .resourcesOfType(type)
    .map((r) => deployment.resolver.physicalName(r.stack, r.logicalId))
    .filter((name) => isGeneratedNameOf(name, deployment.config.envName, ref));
  if (names.length !== 1) throw new Error(`${names.length} ${type} named like ${JSON.stringify(ref)}`);
  return names[0];
}

/** The names the permission contract's calls are made on, from the synthesized templates. */
export function templateContractResources(deployment: SynthesizedDeployment): ContractResources {
  const queueUrl = (ref: LogicalRef) => {
    const { account, region } = deployment.stacks[0];
    return `https://sqs.${region}.amazonaws.com/${account}/${physicalNameOf(deployment, 'AWS::SQS::Queue', ref)}`;
  };
  return {
    buckets: {
      uploads: bucketName(deployment, 'Storage', 'UploadsBucket'),
      processed: bucketName(deployment, 'Storage', 'ProcessedBucket'),
      quarantine: bucketName(deployment, 'Storage', 'QuarantineBucket'),
      backups: bucketName(deployment, 'Storage', 'BackupsBucket'),
    },
    statusTable: physicalNameOf(deployment, 'AWS::DynamoDB::Table', CONTRACT_RESOURCE_REFS.statusTable),
    idempotencyTable: physicalNameOf(
      deployment,
      'AWS::DynamoDB::Table',
      CONTRACT_RESOURCE_REFS.idempotencyTable,
    ),
    intakeQueueUrl: queueUrl(CONTRACT_RESOURCE_REFS.intakeQueue),
    intakeDlqUrl: queueUrl(CONTRACT_RESOURCE_REFS.intakeDlq),
  };
}

/** The contract's role `id` for the env's templates. */
export function contractRoleOf(deployment: SynthesizedDeployment, id: ContractRoleId): ContractRole {
  const role = contractRoles(deployment.config, templateContractResources(deployment)).find(
    (r) => r.id === id,
  );
  if (!role) throw new Error(`no contract role ${id} in ${deployment.config.envName}`);
  return role;
}
