import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import type { BucketKeyPurpose, StackPart } from '../../../lib/config/naming';
import { evaluateAll } from '../../../lib/security/iam-contract/evaluate';
import type { ReadProblem } from '../../../lib/security/iam-contract/live-reads';
import {
  readLiveDeployment,
  type LiveClients,
  type LiveDeployment,
} from '../../../lib/security/iam-contract/live-model';
import type { LiveRole } from '../../../lib/security/iam-contract/live-roles';
import { isGeneratedNameOf } from '../../../lib/security/iam-contract/physical-names';
import { contractRoles, type ContractRole } from '../../../lib/security/iam-contract/role-calls';
import type { RequiredPermission } from '../../../lib/security/iam-contract/sdk-call';
import { describeError, isActionable } from '../../shared/service-error';
import { deployHint, fail, pass, skip, type CheckResult, type DoctorContext } from './check';

/** `permissions: <role>`: one check per role of the contract. */
export const PERMISSIONS_CHECK_NAME = 'permissions';

const READ_HINT = 'docs/deploy.md lists every permission `stowage doctor` reads with';

/**
 * Each Stowage role's permissions, evaluated with the IAM policy simulator against the policies read from the
 * account (lib/security/iam-contract/live-model.ts): the same list of calls per role (role-calls.ts) the contract
 * tests prove the code makes. PASS when every authorization is allowed; FAIL naming the first denied action and
 * resource; SKIP when the policies cannot be read (naming the permission to grant) or on an S3-compatible endpoint,
 * which evaluates no IAM.
 */
export async function rolePermissionChecks(
  ctx: DoctorContext,
  buckets: Readonly<Partial<Record<BucketKeyPurpose, string>>>,
  clients: () => LiveClients,
): Promise<CheckResult[]> {
  if (ctx.endpoint) {
    return [
      skip(
        PERMISSIONS_CHECK_NAME,
        `S3-compatible endpoint ${ctx.endpoint} evaluates no IAM, bucket or key policies`,
        `run against AWS (without --endpoint / STOWAGE_S3_ENDPOINT) to check the roles' permissions`,
      ),
    ];
  }
  const missing = (['uploads', 'processed', 'quarantine', 'backups'] as const).filter((p) => !buckets[p]);
  if (missing.length > 0) {
    const names = missing.map((p) => `'${p}: bucket found'`).join(', ');
    return [skip(PERMISSIONS_CHECK_NAME, `the roles' calls name the env's buckets: see ${names}`)];
  }
  let account: string;
  try {
    account = (await ctx.sts().send(new GetCallerIdentityCommand({}))).Account ?? ctx.config.account;
  } catch (error) {
    if (!isActionable(error)) throw error;
    return [
      skip(PERMISSIONS_CHECK_NAME, `no account to read: ${describeError(error)}`, "see 'caller identity'"),
    ];
  }
  const live = await readLiveDeployment(clients(), ctx.config, { account, buckets });
  const roles = live.resources ? contractRoles(ctx.config, live.resources) : undefined;
  if (!roles) return [blocked(PERMISSIONS_CHECK_NAME, live.problems)];
  const results: CheckResult[] = [];
  for (const role of roles) results.push(await roleCheck(ctx, role, live));
  return results;
}

async function roleCheck(ctx: DoctorContext, role: ContractRole, live: LiveDeployment): Promise<CheckResult> {
  const name = `${PERMISSIONS_CHECK_NAME}: ${role.title}`;
  const { envName } = ctx.config;
  const found = live.roles.filter((r) => isGeneratedNameOf(r.name, envName, role));
  if (found.length !== 1) {
    const listing = live.problems.filter((p) => p.resource === '*' && p.permission === 'iam:ListRoles');
    if (listing.length > 0) return blocked(name, listing);
    return found.length === 0
      ? fail(
          name,
          `no role named Stowage-${envName}-${role.part}-${role.logicalIdPrefix}* in account ${live.model.account}`,
          deployHint(ctx.config, role.part),
        )
      : fail(
          name,
          `${found.length} roles match: ${found.map((r) => r.name).join(', ')}`,
          'delete the roles left from an earlier deployment, then run again',
        );
  }
  const liveRole = found[0];
  let permissions: RequiredPermission[];
  try {
    permissions = role.permissions(live.model);
  } catch (error) {
    // The model lacks a key or alias the role's calls name: a read problem explains it, else the deployment.
    const other = live.problems.filter((p) => !isAnotherRole(p, liveRole, live.roles));
    if (other.length > 0) return blocked(name, other);
    return fail(name, `${liveRole.name}: ${(error as Error).message}`, deployHint(ctx.config, 'Keys'));
  }
  const relevant = relevantProblems(live.problems, liveRole, permissions);
  if (relevant.length > 0) return blocked(name, relevant);

  const decisions = await evaluateAll(liveRole, permissions, live.model);
  const denied = decisions.find((d) => d.verdict !== 'Allowed');
  if (denied) {
    const { action, resource, because } = denied.permission;
    return fail(
      name,
      `${liveRole.name}: ${action} on ${resource} ${denied.verdict === 'ExplicitlyDenied' ? 'explicitly denied' : 'not allowed'} (${because}): ${denied.detail}`,
      `deploy the policies this CLI expects (changed outside CloudFormation, or an older stack): ${deployHint(ctx.config, fixPart(denied.detail, resource, role.part))}`,
    );
  }
  return pass(name, `${liveRole.name}: all ${decisions.length} authorizations its calls need are allowed`);
}

/** The problems that keep `role` from being evaluated: its own, the listings', and its resources'. */
function relevantProblems(
  problems: readonly ReadProblem[],
  role: LiveRole,
  permissions: readonly RequiredPermission[],
): ReadProblem[] {
  const touched = new Set<string>(['*', role.arn]);
  for (const p of permissions) {
    touched.add(p.resource);
    const bucket = /^(arn:aws:s3:::[^/]+)/.exec(p.resource);
    if (bucket) touched.add(bucket[1]);
  }
  return problems.filter((p) => touched.has(p.resource));
}

function isAnotherRole(problem: ReadProblem, role: LiveRole, roles: readonly LiveRole[]): boolean {
  return problem.resource !== role.arn && roles.some((r) => r.arn === problem.resource);
}

/** SKIP when the caller lacks a read permission (naming it), else FAIL with the read error. */
function blocked(name: string, problems: readonly ReadProblem[]): CheckResult {
  const denied = problems.find((p) => p.accessDenied);
  if (denied) {
    return skip(
      name,
      `cannot read ${denied.resource === '*' ? 'the account' : denied.resource}: ${denied.permission} denied (${denied.detail})`,
      `grant your principal ${denied.permission}${denied.resource === '*' ? '' : ` on ${denied.resource}`}; ${READ_HINT}`,
    );
  }
  const first = problems[0];
  return fail(
    name,
    `could not read ${first.resource === '*' ? 'the account' : first.resource} (${first.permission}): ${first.detail}`,
    'run again; if it persists, check the resource exists (npx cdk deploy --all) and report it with this output',
  );
}

/** The stack whose policy to redeploy: the resource policy's owner when that denied, else the role's. */
function fixPart(detail: string, resource: string, rolePart: StackPart): StackPart {
  if (!detail.includes('resource policy')) return rolePart;
  if (resource.startsWith('arn:aws:s3:')) return 'Storage';
  if (resource.startsWith('arn:aws:kms:')) return 'Keys';
  if (resource.startsWith('arn:aws:sns:')) return 'Operations';
  return rolePart;
}
