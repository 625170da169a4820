import type { RequestAnalysis, Simulation } from '@cloud-copilot/iam-simulate';
import { runSimulation, runUnsafeSimulation } from '@cloud-copilot/iam-simulate';
import type { DeploymentModel, PolicyDocument, RoleModel } from './deployment-model';
import type { RequiredPermission } from './sdk-call';

/** The simulator's verdict on one permission. */
export type Verdict = 'Allowed' | 'ExplicitlyDenied' | 'ImplicitlyDenied';

export interface Decision {
  readonly permission: RequiredPermission;
  readonly verdict: Verdict;
  /** Why it was denied: the denying statements, or the policies that did not allow it. */
  readonly detail: string;
}

/**
 * Evaluates one permission of `role` with AWS's policy logic (@cloud-copilot/iam-simulate): the role's identity
 * policies together with the resource's policy (the bucket policy, the key policy, the queue or topic policy), as
 * a request from a session of the role over TLS carrying the role's tags. Same-account rules apply: for S3, SQS
 * and SNS either side may allow and any explicit deny wins; a KMS key policy must allow (delegating to IAM by
 * naming the account) for the identity policy to count.
 */
export async function evaluatePermission(
  role: RoleModel,
  permission: RequiredPermission,
  model: DeploymentModel,
): Promise<Decision> {
  const resourcePolicy = resourcePolicyOf(permission.resource, model);
  const contextVariables: Record<string, string | string[]> = {
    'aws:PrincipalArn': role.arn,
    'aws:PrincipalAccount': model.account,
    'aws:PrincipalType': 'AssumedRole',
    'aws:SecureTransport': 'true',
    'aws:PrincipalIsAWSService': 'false',
    ...Object.fromEntries(
      Object.entries(role.tags).map(([key, value]) => [`aws:PrincipalTag/${key}`, value]),
    ),
    ...permission.context,
  };
  if (permission.resource.startsWith('arn:aws:kms:')) {
    const aliases = [...model.keyAliases]
      .filter(([, keyArn]) => keyArn === permission.resource)
      .map(([aliasArn]) => aliasArn.slice(aliasArn.indexOf(':alias/') + 1));
    if (aliases.length > 0) contextVariables['kms:ResourceAliases'] = aliases;
  }
  if ('kms:ViaService' in permission.context) {
    contextVariables['aws:CalledVia'] = [
      String(permission.context['kms:ViaService']).replace(/\.[a-z0-9-]+\.amazonaws\.com$/, '.amazonaws.com'),
    ];
    contextVariables['aws:ViaAWSService'] = 'true';
  }
  const simulation: Simulation = {
    request: {
      principal: role.arn,
      action: permission.action,
      resource: { resource: permission.resource, accountId: model.account },
      contextVariables,
    },
    identityPolicies: role.policies.map((p) => ({ name: p.name, policy: p.document })),
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    resourcePolicy,
  };
  const result = await runSimulation(simulation, {});
  if (result.resultType === 'error') {
    throw new Error(
      `simulator refused ${permission.action} on ${permission.resource} (${permission.because}): ${result.errors.message} ${JSON.stringify(result.errors)}`,
    );
  }
  let verdict = result.overallResult as Verdict;
  const ignored: string[] = result.resultType === 'single' ? (result.result.ignoredContextKeys ?? []) : [];
  if (ignored.some((key) => key.toLowerCase().startsWith('kms:encryptioncontext:'))) {
    // iam-simulate 0.1.173 validates variable keys by their `/` suffix only and so drops every
    // kms:EncryptionContext:<key> (the key contains ':'). The inputs passed validation above: evaluate again with
    // the full request context, which the engine itself handles.
    // Its unsafe path loads the resource policy without a name, which its analysis needs: hand it over in the
    // already-validated form (@cloud-copilot/iam-policy ValidatedPolicy) with one.
    const named = resourcePolicy && {
      __validated: true,
      policyDocument: resourcePolicy,
      metadata: { name: 'resource policy' },
      errors: [],
    };
    verdict = runUnsafeSimulation({ ...simulation, resourcePolicy: named }, {}) as Verdict;
  }
  const detail =
    verdict === 'Allowed'
      ? ''
      : denialDetail(result.resultType === 'single' ? result.result.analysis : undefined);
  return { permission, verdict, detail };
}

/** Evaluates every permission; the decisions in order. */
export async function evaluateAll(
  role: RoleModel,
  permissions: readonly RequiredPermission[],
  model: DeploymentModel,
): Promise<Decision[]> {
  const decisions: Decision[] = [];
  for (const permission of permissions) decisions.push(await evaluatePermission(role, permission, model));
  return decisions;
}

/** The policy AWS evaluates on the resource side, if the resource has one. */
export function resourcePolicyOf(resource: string, model: DeploymentModel): PolicyDocument | undefined {
  const s3 = /^arn:aws:s3:::([^/]+)/.exec(resource);
  if (s3) return model.bucketPolicies.get(s3[1]);
  if (resource.startsWith('arn:aws:kms:')) {
    const policy = model.keyPolicies.get(resource);
    if (!policy) throw new Error(`no key policy for ${resource}: the key is not part of this deployment`);
    return policy;
  }
  if (/^arn:aws:(sqs|sns):/.test(resource)) return model.resourcePolicies.get(resource);
  return undefined;
}

type StatementAnalysis = NonNullable<RequestAnalysis['identityAnalysis']>['denyStatements'][number];

function denialDetail(analysis: RequestAnalysis | undefined): string {
  const denies: string[] = [];
  const sides: [string, { denyStatements: StatementAnalysis[] } | undefined][] = [
    ['identity policy', analysis?.identityAnalysis],
    ['resource policy', analysis?.resourceAnalysis],
  ];
  for (const [side, value] of sides) {
    for (const statement of value?.denyStatements ?? []) {
      const sid = statement.statement.sid();
      denies.push(`${side} ${sid ?? `(statement of ${statement.policyId})`}`);
    }
  }
  return denies.length > 0 ? `explicitly denied by ${denies.join(', ')}` : 'no statement allows it';
}
