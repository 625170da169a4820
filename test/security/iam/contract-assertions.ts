import type { Decision } from '../../../lib/security/iam-contract/evaluate';
import { evaluateAll } from '../../../lib/security/iam-contract/evaluate';
import type { DeploymentModel, RoleModel } from '../../../lib/security/iam-contract/deployment-model';
import type { CallContext, SdkCall } from '../../../lib/security/iam-contract/sdk-call';
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
