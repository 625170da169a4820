import { DEFAULT_REGION, ENVIRONMENTS, PLACEHOLDER_ACCOUNT } from './environments';
import type { EnvName, StowageConfig } from './schema';
import { configSchema, ENV_NAMES } from './schema';
import { ConfigError } from './config-error';

export type { EnvName, StowageConfig } from './schema';
export { ENV_NAMES } from './schema';
export { ConfigError } from './config-error';

/** Where the AWS environment comes from when the env definition leaves it open. */
export interface LoadConfigOptions {
  /** Usually process.env: CDK_DEFAULT_ACCOUNT / CDK_DEFAULT_REGION, set by the CDK CLI from credentials. */
  readonly environment?: Readonly<Record<string, string | undefined>>;
  /** Deep-merged over the env definition before validation (tests, one-off overrides). */
  readonly overrides?: DeepPartial<StowageConfig>;
  /**
   * The config is for a synth that may deploy (bin/app.ts): when the CDK found credentials (CDK_DEFAULT_ACCOUNT),
   * staging and prod must name their account (the credentials never choose it), and the credentials' account and the
   * CDK's region (CDK_DEFAULT_REGION, from AWS_REGION or the profile) must match the env's.
   * @default false (reading the config: the CLI, tests)
   */
  readonly deploy?: boolean;
}

/** Envs that deploy only into the account their definition names. */
const ACCOUNT_REQUIRED: readonly EnvName[] = ['staging', 'prod'];

export type DeepPartial<T> = T extends readonly unknown[]
  ? T
  : T extends object
    ? { [K in keyof T]?: DeepPartial<T[K]> }
    : T;

export function isEnvName(name: string): name is EnvName {
  return (ENV_NAMES as readonly string[]).includes(name);
}

/**
 * Resolves and validates the configuration of one environment. Throws one ConfigError that names
 * every invalid field and what it allows, so a bad config fails synth before any construct exists.
 */
export function loadConfig(envName: string, options: LoadConfigOptions = {}): StowageConfig {
  if (!isEnvName(envName)) {
    throw new ConfigError(envName, [
      `env: unknown environment '${envName}'; allowed: ${ENV_NAMES.join(', ')}`,
    ]);
  }
  const environment = options.environment ?? {};
  const definition = ENVIRONMENTS[envName];
  const explicitAccount = options.overrides?.account ?? definition.account;
  const accountRequired = ACCOUNT_REQUIRED.includes(envName);
  const resolved = deepMerge(
    {
      ...definition,
      envName,
      // Only dev may follow the caller's credentials; staging and prod name theirs (deploy refuses the placeholder).
      account:
        definition.account ??
        (accountRequired ? undefined : environment.CDK_DEFAULT_ACCOUNT) ??
        PLACEHOLDER_ACCOUNT,
      // The env's own region, else eu-west-1: never CDK_DEFAULT_REGION, which is us-east-1 without a profile.
      region: definition.region ?? DEFAULT_REGION,
    },
    options.overrides ?? {},
  );
  // The CDK CLI sets CDK_DEFAULT_ACCOUNT only when it found credentials: without them nothing can be deployed, so a
  // synth without credentials (CI, `npm run synth:all`) is checked by the rule packs alone.
  if (options.deploy && environment.CDK_DEFAULT_ACCOUNT !== undefined) {
    const problems = deployTargetProblems(envName, resolved, explicitAccount, accountRequired, environment);
    if (problems.length > 0) throw new ConfigError(envName, problems);
  }
  const result = configSchema.safeParse(resolved);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const path = issue.path.length > 0 ? issue.path.map(String).join('.') : '(root)';
      const value = valueAt(resolved, issue.path);
      const shown = value === undefined ? '' : ` (got ${JSON.stringify(value)})`;
      return `${path}: ${issue.message}${shown}`;
    });
    throw new ConfigError(envName, problems);
  }
  return result.data;
}

/** Why a deploying synth must not go ahead: an unnamed account, or credentials or a profile for another place. */
function deployTargetProblems(
  envName: EnvName,
  resolved: { account?: unknown; region?: unknown },
  explicitAccount: string | undefined,
  accountRequired: boolean,
  environment: Readonly<Record<string, string | undefined>>,
): string[] {
  const problems: string[] = [];
  if (accountRequired && explicitAccount === undefined) {
    problems.push(
      `account: ${envName} deploys only into the account it names; set ENVIRONMENTS.${envName}.account in ` +
        "lib/config/environments.ts (the credentials' account is never used for staging or prod)",
    );
  }
  const cdkAccount = environment.CDK_DEFAULT_ACCOUNT;
  if (explicitAccount !== undefined && cdkAccount !== undefined && cdkAccount !== resolved.account) {
    problems.push(
      `account: your credentials belong to account ${cdkAccount} (CDK_DEFAULT_ACCOUNT) but ${envName} deploys to ` +
        `${String(resolved.account)}: use credentials of that account`,
    );
  }
  const cdkRegion = environment.CDK_DEFAULT_REGION;
  if (cdkRegion !== undefined && cdkRegion !== resolved.region) {
    problems.push(
      `region: the synth runs for region ${cdkRegion} (CDK_DEFAULT_REGION, from AWS_REGION or your profile; ` +
        `us-east-1 when neither is set) but ${envName}'s region is ${String(resolved.region)}: ` +
        `set AWS_REGION=${String(resolved.region)} (or the profile's region), or change ENVIRONMENTS.${envName}.region`,
    );
  }
  return problems;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let current: unknown = root;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

function deepMerge<T>(target: T, patch: unknown): T {
  if (patch === undefined) return target;
  if (!isPlainObject(target) || !isPlainObject(patch)) return patch as T;
  const out: Record<string, unknown> = { ...target };
  for (const [key, value] of Object.entries(patch)) {
    out[key] = deepMerge(out[key], value);
  }
  return out as T;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
