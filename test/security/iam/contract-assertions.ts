import type { Decision } from '../../../lib/security/iam-contract/evaluate';
import { evaluateAll } from '../../../lib/security/iam-contract/evaluate';
import type { DeploymentModel, RoleModel } from '../../../lib/security/iam-contract/deployment-model';
import type { ContractRole } from '../../../lib/security/iam-contract/role-calls';
import type { CallContext, RequiredPermission, SdkCall } from '../../../lib/security/iam-contract/sdk-call';
import { permissionsFor } from '../../../lib/security/iam-contract/service-permissions';

/** Every authorization the calls need, evaluated for `role`. */
export async function decisionsFor(
  role: RoleModel,
  calls: readonly SdkCall[],
  model: DeploymentModel,
  options: Omit<CallContext, 'model'> = {},
): Promise<Decision[]> {
  const permissions = calls.flatMap((call) => permissionsFor(call, { model, ...options }));
  return evaluateAll(role, permissions, model);
}

/** The decisions that are not Allowed, one line each: `s3:GetObject on arn… (S3 GetObject …): no statement allows it`. */
export function denials(decisions: readonly Decision[]): string[] {
  return decisions
    .filter((d) => d.verdict !== 'Allowed')
    .map((d) => `${d.permission.action} on ${d.permission.resource} (${d.permission.because}): ${d.detail}`);
}

/** The distinct `service Command` names of some calls, for the coverage table. */
export function commandNames(calls: readonly SdkCall[]): string[] {
  return [...new Set(calls.map((c) => `${c.service} ${c.command.replace(/Command$/, '')}`))].sort();
}

/**
 * The authorizations `calls` need that the contract's list for `role` (lib/security/iam-contract/role-calls.ts)
 * does not: each as `action resource {context}` with object keys cut to their top-level prefix and version ids
 * and list sizes generalized, since the list holds one canonical call of each kind. Empty when the list covers
 * what the code did.
 */
export function uncoveredBy(role: ContractRole, calls: readonly SdkCall[], model: DeploymentModel): string[] {
  const listed = new Set(role.permissions(model).map(shapeOf));
  const needed = calls.flatMap((call) => permissionsFor(call, { model }).map(shapeOf));
  return [...new Set(needed)]
    .filter((shape) => !listed.has(shape))
    .map((shape) => `${shape}: add the call to role ${role.id}`);
}

function shapeOf(permission: RequiredPermission): string {
  const context = Object.entries(permission.context)
    .map(([key, value]): [string, string] => {
      if (key === 's3:versionid' || key === 's3:max-keys') return [key, '*'];
      if (key === 's3:prefix') return [key, generalizeKey(String(value))];
      return [key, Array.isArray(value) ? value.join(',') : generalizeArn(value)];
    })
    .sort(([a], [b]) => a.localeCompare(b));
  return `${permission.action} ${generalizeArn(permission.resource)} ${JSON.stringify(Object.fromEntries(context))}`;
}

/** `arn:aws:s3:::bucket/uploads/a/b.png` → `arn:aws:s3:::bucket/uploads/*`. */
function generalizeArn(value: string): string {
  const match = /^(arn:aws:s3:::[^/]+)\/(.*)$/.exec(value);
  return match ? `${match[1]}/${generalizeKey(match[2])}` : value;
}

/** `uploads/a/b.png` → `uploads/*`; a key without `/` stays. */
function generalizeKey(key: string): string {
  const slash = key.indexOf('/');
  return slash < 0 ? key : `${key.slice(0, slash + 1)}*`;
}
