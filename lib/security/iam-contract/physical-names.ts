import type { StackPart } from '../../config/naming';

/**
 * How the permission contract finds a resource CloudFormation named: by the stack part and the construct's logical id
 * prefix, the same way in the synthesized templates (tests) and in the account (`stowage doctor`).
 */
export interface LogicalRef {
  readonly part: StackPart;
  /** The logical id without CDK's 8-character hash, e.g. `ScanHandlerRole`. */
  readonly logicalIdPrefix: string;
}

/**
 * Whether `name` is the name CloudFormation generates for `ref` in env `envName`:
 * `Stowage-<env>-<Part>-<logical id>-<suffix>`, where the logical id is `<prefix><8 hex>`. Role names are cut to 64
 * characters, which may shorten the logical id: a 64-character name also matches when its logical id is a cut
 * `<prefix><8 hex>` of at least 8 characters, so `...-OperationsOperationsHand-1A2B3C4D5E6F` still finds its role.
 */
export function isGeneratedNameOf(name: string, envName: string, ref: LogicalRef): boolean {
  const stackPrefix = `Stowage-${envName}-${ref.part}-`;
  if (!name.startsWith(stackPrefix)) return false;
  const rest = name.slice(stackPrefix.length);
  const { logicalIdPrefix: prefix } = ref;
  if (rest.startsWith(prefix) && /^[0-9A-F]{8}(-|$)/.test(rest.slice(prefix.length))) return true;
  if (name.length < 64) return false;
  const dash = rest.lastIndexOf('-');
  const logical = dash > 0 ? rest.slice(0, dash) : rest;
  if (logical.length < 8) return false;
  return logical.length <= prefix.length
    ? prefix.startsWith(logical)
    : logical.startsWith(prefix) && /^[0-9A-F]{1,7}$/.test(logical.slice(prefix.length));
}
