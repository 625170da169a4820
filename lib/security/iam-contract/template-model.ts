import type { BucketKmsEncryption, DeploymentModel, PolicyDocument, RoleModel } from './deployment-model';
import type { StackTemplate } from './template-resolver';
import { TemplateResolver } from './template-resolver';
import { queueArnOfUrl } from './queue-arn';

/** A role of the synthesized templates, with the stack and logical id it comes from. */
export interface TemplateRole extends RoleModel {
  readonly stackName: string;
  readonly logicalId: string;
  /** AWS managed policies it attaches whose documents the contract does not hold (none on Stowage's roles). */
  readonly unresolvedPolicyArns: readonly string[];
}

/** AWS managed policies CDK attaches to its own helper roles, as AWS publishes them. */
const AWS_MANAGED_POLICIES: Readonly<Record<string, { name: string; document: PolicyDocument }>> = {
  'arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole': {
    name: 'AWSLambdaBasicExecutionRole',
    document: {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Action: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'],
          Resource: '*',
        },
      ],
    },
  },
};

/** An env's synthesized templates as the permission contract sees them. */
export interface TemplateDeployment {
  readonly model: DeploymentModel;
  readonly roles: readonly TemplateRole[];
  readonly resolver: TemplateResolver;
}

/**
 * Resolves an env's synthesized templates into a DeploymentModel and its roles: every intrinsic resolved to the
 * concrete ARNs of `account` and the stacks' regions, each role with its inline policies, the customer-managed
 * policies it attaches and the AWS::IAM::Policy / ManagedPolicy resources that name it.
 */
export function templateDeployment(
  stacks: readonly StackTemplate[],
  primaryRegion: string,
): TemplateDeployment {
  const resolver = new TemplateResolver(stacks);
  const account = stacks[0]?.account ?? '';
  const resolved = <T>(stack: StackTemplate, value: unknown): T => resolver.resolve(stack, value) as T;

  const managedPolicies = new Map<string, { name: string; document: PolicyDocument }>();
  for (const { stack, logicalId, resource } of resolver.resourcesOfType('AWS::IAM::ManagedPolicy')) {
    const arn = resolved<string>(stack, { Ref: logicalId });
    managedPolicies.set(arn, {
      name: `${logicalId} (managed)`,
      document: resolved<PolicyDocument>(stack, resource.Properties?.PolicyDocument),
    });
  }

  const roles: TemplateRole[] = [];
  for (const { stack, logicalId, resource } of resolver.resourcesOfType('AWS::IAM::Role')) {
    const props = resource.Properties ?? {};
    const roleName = resolved<string>(stack, { Ref: logicalId });
    const policies: { name: string; document: PolicyDocument }[] = [];
    const unresolvedPolicyArns: string[] = [];
    for (const inline of (props.Policies as { PolicyName: string; PolicyDocument: unknown }[]) ?? []) {
      policies.push({ name: inline.PolicyName, document: resolved(stack, inline.PolicyDocument) });
    }
    for (const arn of resolved<string[]>(stack, props.ManagedPolicyArns ?? [])) {
      const policy = managedPolicies.get(arn) ?? AWS_MANAGED_POLICIES[arn];
      if (policy) policies.push(policy);
      else if (arn.startsWith('arn:aws:iam::aws:policy/')) unresolvedPolicyArns.push(arn);
      else throw new Error(`${stack.stackName}/${logicalId}: attaches unknown managed policy ${arn}`);
    }
    for (const type of ['AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy']) {
      for (const attached of resolver.resourcesOfType(type)) {
        const attachedRoles = resolved<string[]>(attached.stack, attached.resource.Properties?.Roles ?? []);
        if (attached.stack === stack && attachedRoles.includes(roleName)) {
          policies.push({
            name: attached.logicalId,
            document: resolved(attached.stack, attached.resource.Properties?.PolicyDocument),
          });
        }
      }
    }
    const tags = Object.fromEntries(
      resolved<{ Key: string; Value: string }[]>(stack, props.Tags ?? []).map((t) => [t.Key, t.Value]),
    );
    roles.push({
      stackName: stack.stackName,
      logicalId,
      arn: resolved<string>(stack, { 'Fn::GetAtt': [logicalId, 'Arn'] }),
      tags,
      policies: dedupe(policies),
      unresolvedPolicyArns,
    });
  }

  const bucketPolicies = new Map<string, PolicyDocument>();
  for (const { stack, resource } of resolver.resourcesOfType('AWS::S3::BucketPolicy')) {
    const bucket = resolved<string>(stack, resource.Properties?.Bucket);
    bucketPolicies.set(bucket, resolved(stack, resource.Properties?.PolicyDocument));
  }
  const bucketKeys = new Map<string, BucketKmsEncryption>();
  for (const { stack, logicalId, resource } of resolver.resourcesOfType('AWS::S3::Bucket')) {
    const rules = resolved<
      { BucketKeyEnabled?: boolean; ServerSideEncryptionByDefault?: { KMSMasterKeyID?: string } }[]
    >(
      stack,
      (resource.Properties?.BucketEncryption as { ServerSideEncryptionConfiguration?: unknown })
        ?.ServerSideEncryptionConfiguration ?? [],
    );
    const keyArn = rules[0]?.ServerSideEncryptionByDefault?.KMSMasterKeyID;
    if (keyArn) {
      bucketKeys.set(resolver.physicalName(stack, logicalId), {
        keyArn,
        bucketKeyEnabled: rules[0]?.BucketKeyEnabled === true,
      });
    }
  }
  const keyPolicies = new Map<string, PolicyDocument>();
  for (const { stack, logicalId, resource } of resolver.resourcesOfType('AWS::KMS::Key')) {
    keyPolicies.set(
      resolved<string>(stack, { 'Fn::GetAtt': [logicalId, 'Arn'] }),
      resolved(stack, resource.Properties?.KeyPolicy),
    );
  }
  const keyAliases = new Map<string, string>();
  for (const { stack, resource } of resolver.resourcesOfType('AWS::KMS::Alias')) {
    const name = resolved<string>(stack, resource.Properties?.AliasName);
    keyAliases.set(
      `arn:aws:kms:${stack.region}:${stack.account}:${name}`,
      resolved<string>(stack, resource.Properties?.TargetKeyId),
    );
  }
  const resourceKeys = new Map<string, string>();
  const resourcePolicies = new Map<string, PolicyDocument>();
  const keyed: [string, (p: Record<string, unknown>) => unknown][] = [
    ['AWS::SQS::Queue', (p) => p.KmsMasterKeyId],
    ['AWS::SNS::Topic', (p) => p.KmsMasterKeyId],
    ['AWS::DynamoDB::Table', (p) => (p.SSESpecification as { KMSMasterKeyId?: unknown })?.KMSMasterKeyId],
  ];
  for (const [type, keyOf] of keyed) {
    for (const { stack, logicalId, resource } of resolver.resourcesOfType(type)) {
      const key = keyOf(resource.Properties ?? {});
      if (key !== undefined) {
        resourceKeys.set(resolved(stack, { 'Fn::GetAtt': [logicalId, 'Arn'] }), resolved(stack, key));
      }
    }
  }
  for (const [type, targets] of [
    ['AWS::SQS::QueuePolicy', 'Queues'],
    ['AWS::SNS::TopicPolicy', 'Topics'],
  ] as const) {
    for (const { stack, resource } of resolver.resourcesOfType(type)) {
      const document = resolved<PolicyDocument>(stack, resource.Properties?.PolicyDocument);
      for (const target of resolved<string[]>(stack, resource.Properties?.[targets] ?? [])) {
        resourcePolicies.set(type === 'AWS::SQS::QueuePolicy' ? queueArnOfUrl(target) : target, document);
      }
    }
  }

  return {
    resolver,
    roles,
    model: {
      account,
      region: primaryRegion,
      bucketPolicies,
      bucketKeys,
      keyPolicies,
      keyAliases,
      resourceKeys,
      resourcePolicies,
    },
  };
}

function dedupe<T extends { name: string }>(items: T[]): T[] {
  const seen = new Set<string>();
  return items.filter((item) => (seen.has(item.name) ? false : (seen.add(item.name), true)));
}
