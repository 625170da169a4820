import {
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetRolePolicyCommand,
  ListAttachedRolePoliciesCommand,
  ListRolePoliciesCommand,
  ListRolesCommand,
  ListRoleTagsCommand,
  type IAMClient,
} from '@aws-sdk/client-iam';
import type { PolicyDocument, RoleModel } from './deployment-model';
import { allPages, parsePolicy, type ReadProblems } from './live-reads';

/** A role read from the account, by name. */
export interface LiveRole extends RoleModel {
  readonly name: string;
}

/** The IAM read permissions `readEnvRoles` needs, in the order it uses them. */
export const IAM_READ_PERMISSIONS = [
  'iam:ListRoles',
  'iam:ListRolePolicies',
  'iam:GetRolePolicy',
  'iam:ListAttachedRolePolicies',
  'iam:GetPolicy',
  'iam:GetPolicyVersion',
  'iam:ListRoleTags',
] as const;

/**
 * Reads every role whose name starts with `Stowage-<env>-` (ListRoles, every page): its inline policies, the default
 * version of each managed policy it attaches (each read once) and its tags. A role whose policies or tags cannot be
 * read is still returned, with a ReadProblem on its ARN, so it is never evaluated as if complete.
 */
export async function readEnvRoles(
  iam: IAMClient,
  envName: string,
  problems: ReadProblems,
): Promise<LiveRole[]> {
  const listed = await problems.attempt('iam:ListRoles', '*', () =>
    allPages(async (Marker) => {
      const page = await iam.send(new ListRolesCommand({ Marker }));
      return { items: page.Roles, next: page.IsTruncated ? page.Marker : undefined };
    }),
  );
  const prefix = `Stowage-${envName}-`;
  const roles = (listed ?? []).filter((role) => role.RoleName?.startsWith(prefix) && role.Arn);
  const managed = new Map<string, Promise<{ name: string; document: PolicyDocument } | undefined>>();
  const readManaged = (arn: string) => {
    let read = managed.get(arn);
    if (!read) {
      read = readManagedPolicy(iam, arn, problems);
      managed.set(arn, read);
    }
    return read;
  };
  const out: LiveRole[] = [];
  // A few roles at a time: IAM's read APIs are throttled per account.
  for (let i = 0; i < roles.length; i += 4) {
    const batch = roles.slice(i, i + 4);
    out.push(
      ...(await Promise.all(
        batch.map((role) => readRole(iam, role.RoleName!, role.Arn!, problems, readManaged)),
      )),
    );
  }
  return out;
}

async function readRole(
  iam: IAMClient,
  RoleName: string,
  arn: string,
  problems: ReadProblems,
  readManaged: (arn: string) => Promise<{ name: string; document: PolicyDocument } | undefined>,
): Promise<LiveRole> {
  const policies: { name: string; document: PolicyDocument }[] = [];
  const inlineNames = await problems.attempt('iam:ListRolePolicies', arn, () =>
    allPages(async (Marker) => {
      const page = await iam.send(new ListRolePoliciesCommand({ RoleName, Marker }));
      return { items: page.PolicyNames, next: page.IsTruncated ? page.Marker : undefined };
    }),
  );
  for (const PolicyName of inlineNames ?? []) {
    const inline = await problems.attempt('iam:GetRolePolicy', arn, () =>
      iam.send(new GetRolePolicyCommand({ RoleName, PolicyName })),
    );
    if (inline?.PolicyDocument) {
      policies.push({ name: PolicyName, document: parsePolicy(inline.PolicyDocument) });
    }
  }
  const attached = await problems.attempt('iam:ListAttachedRolePolicies', arn, () =>
    allPages(async (Marker) => {
      const page = await iam.send(new ListAttachedRolePoliciesCommand({ RoleName, Marker }));
      return { items: page.AttachedPolicies, next: page.IsTruncated ? page.Marker : undefined };
    }),
  );
  for (const policy of attached ?? []) {
    if (!policy.PolicyArn) continue;
    const read = await readManaged(policy.PolicyArn);
    if (read) policies.push(read);
    // The policy's read problems are this role's too: it cannot be evaluated without the policy.
    else problems.reassign(policy.PolicyArn, arn);
  }
  const tags = await problems.attempt('iam:ListRoleTags', arn, () =>
    allPages(async (Marker) => {
      const page = await iam.send(new ListRoleTagsCommand({ RoleName, Marker }));
      return { items: page.Tags, next: page.IsTruncated ? page.Marker : undefined };
    }),
  );
  return {
    name: RoleName,
    arn,
    tags: Object.fromEntries((tags ?? []).map((tag) => [tag.Key ?? '', tag.Value ?? ''])),
    policies,
  };
}

/** A managed policy's default version (GetPolicy names it, GetPolicyVersion holds it). */
async function readManagedPolicy(
  iam: IAMClient,
  PolicyArn: string,
  problems: ReadProblems,
): Promise<{ name: string; document: PolicyDocument } | undefined> {
  const policy = await problems.attempt('iam:GetPolicy', PolicyArn, () =>
    iam.send(new GetPolicyCommand({ PolicyArn })),
  );
  const VersionId = policy?.Policy?.DefaultVersionId;
  if (VersionId === undefined) return undefined;
  const version = await problems.attempt('iam:GetPolicyVersion', PolicyArn, () =>
    iam.send(new GetPolicyVersionCommand({ PolicyArn, VersionId })),
  );
  const document = version?.PolicyVersion?.Document;
  if (document === undefined) return undefined;
  return { name: policy?.Policy?.PolicyName ?? PolicyArn, document: parsePolicy(document) };
}
