import { mkdtempSync, readFileSync, existsSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { cdkJsonContext } from '../../lib/cdk-json-context';
import { enforceRulePacks } from '../../lib/compliance/rule-packs';
import type { DeepPartial, EnvName, StowageConfig } from '../../lib/config';
import { loadConfig } from '../../lib/config';
import type { StowageStacks } from '../../lib/stowage-app';
import { createStowage } from '../../lib/stowage-app';

/** Context key naming the stacks whose assets are bundled; `[]` skips all bundling (cxapi.BUNDLING_STACKS). */
export const BUNDLING_STACKS_CONTEXT = 'aws:cdk:bundling-stacks';

export interface TestApp {
  readonly app: App;
  readonly config: StowageConfig;
  readonly stacks: StowageStacks;
  readonly outdir: string;
}

/** Cloud assembly directories this test file's apps synthesized into (removed after the file: jest-cleanup.ts). */
const outdirs: string[] = [];

/** Builds one environment in-process with cdk.json's context, as `cdk synth -c env=NAME` would. */
export function buildEnv(
  envName: EnvName,
  options: {
    overrides?: DeepPartial<StowageConfig>;
    rulePacks?: boolean;
    context?: Record<string, unknown>;
    /** Bundle the handlers with esbuild, as `cdk synth` does. Default false: no stack is bundled (fast). */
    bundle?: boolean;
  } = {},
): TestApp {
  const outdir = mkdtempSync(join(tmpdir(), `stowage-${envName}-`));
  outdirs.push(outdir);
  const bundling = options.bundle ? {} : { [BUNDLING_STACKS_CONTEXT]: [] };
  const app = new App({ outdir, context: { ...cdkJsonContext(), ...bundling, ...options.context } });
  const config = loadConfig(envName, { environment: {}, overrides: options.overrides });
  if (options.rulePacks) enforceRulePacks(app);
  const stacks = createStowage(app, config);
  return { app, config, stacks, outdir };
}

const templates = new Map<string, Template>();

/** Template of one stack of an env with its default config (cached: templates are immutable). */
export function templateOf(envName: EnvName, part: 'keys' | 'storage' | 'intake' | 'replica'): Template {
  const cacheKey = `${envName}/${part}`;
  let template = templates.get(cacheKey);
  if (!template) {
    const { stacks } = buildEnv(envName);
    for (const p of ['keys', 'storage', 'intake', 'replica'] as const) {
      const stack = stacks[p];
      if (stack) templates.set(`${envName}/${p}`, Template.fromStack(stack));
    }
    template = templates.get(cacheKey);
    if (!template) throw new Error(`env ${envName} has no ${part} stack`);
  }
  return template;
}

/** One violation of the policy-validation report, with its acknowledgeable id. */
export interface Violation {
  /** `<plugin>::<rule>`, the id `Validations.acknowledge` takes. */
  readonly id: string;
  readonly constructPaths: readonly string[];
}

/** Synthesizes with the rule packs and returns every unacknowledged violation. */
export function synthWithRulePacks(envName: EnvName, context: Record<string, unknown> = {}): Violation[] {
  const { app, outdir } = buildEnv(envName, { rulePacks: true, context });
  try {
    app.synth();
  } catch {
    // A failed validation throws after writing its report, read below.
  }
  const reportFile = join(outdir, 'validation-report.json');
  if (!existsSync(reportFile)) throw new Error(`no validation report in ${outdir}`);
  const report = JSON.parse(readFileSync(reportFile, 'utf8')) as {
    pluginReports: Array<{
      pluginName: string;
      violations: Array<{ ruleName: string; violatingConstructs: Array<{ constructPath: string }> }>;
    }>;
  };
  return report.pluginReports.flatMap((plugin) =>
    plugin.violations.map((v) => ({
      id: `${plugin.pluginName}::${v.ruleName}`,
      constructPaths: v.violatingConstructs.map((c) => c.constructPath),
    })),
  );
}

export const ALL_ENVS: readonly EnvName[] = ['dev', 'staging', 'prod'];

/** Removes every cloud assembly directory buildEnv created in this test file. */
export function removeSynthOutdirs(): void {
  for (const dir of outdirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}
