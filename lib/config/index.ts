import { ENVIRONMENTS, PLACEHOLDER_ACCOUNT, PLACEHOLDER_REGION } from './environments';
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
}

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
  const resolved = deepMerge(
    {
      ...definition,
      envName,
      account: definition.account ?? environment.CDK_DEFAULT_ACCOUNT ?? PLACEHOLDER_ACCOUNT,
      region: definition.region ?? environment.CDK_DEFAULT_REGION ?? PLACEHOLDER_REGION,
    },
    options.overrides ?? {},
  );
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
