/**
 * Bundle size and cold module-load time of each Lambda handler, bundled with esbuild the way the CDK function
 * construct bundles it (lib/constructs/stowage-function.ts: bundle, minify, sourcemap, cjs, platform node, no
 * externals, keepNames). Each bundle is required in a fresh Node process with the handler's environment set to
 * dummy values; the time to load it (median of 5 processes) is what a cold start pays before the first event.
 *
 *   npx tsx bench/handler-bundles.ts
 *
 * Writes bench/results/handler-bundles.json.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { build } from 'esbuild';

import { HANDLER_ENV } from '../core/contracts/handler-env';
import { STOWAGE_ESBUILD_MAIN_FIELDS, STOWAGE_ESBUILD_TARGET } from '../lib/constructs/stowage-function';
import { round } from './support/random-stream';

const RUNS = 5;
const TARGET_LOAD_MS = 150;
const DUMMY_KEY_ARN = 'arn:aws:kms:eu-west-1:123456789012:key/00000000-0000-0000-0000-000000000000';

/** Each handler's required environment, with dummy values (nothing is called while loading). */
const HANDLERS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  'intake-api': {
    [HANDLER_ENV.UPLOADS_BUCKET]: 'stowage-dev-uploads',
    [HANDLER_ENV.UPLOADS_KEY_ARN]: DUMMY_KEY_ARN,
    [HANDLER_ENV.STATUS_TABLE]: 'stowage-dev-status',
    [HANDLER_ENV.MAX_UPLOAD_BYTES]: '104857600',
    [HANDLER_ENV.ALLOWED_CONTENT_TYPES]: 'audio/wav,audio/mpeg',
    [HANDLER_ENV.PRESIGN_EXPIRY_SECONDS]: '900',
    [HANDLER_ENV.PROCESSED_BUCKET]: 'stowage-dev-processed',
    [HANDLER_ENV.DOWNLOAD_EXPIRY_SECONDS]: '900',
    [HANDLER_ENV.ENV_NAME]: 'dev',
  },
  scan: {
    [HANDLER_ENV.UPLOADS_BUCKET]: 'stowage-dev-uploads',
    [HANDLER_ENV.RESULTS_BUS]: 'stowage-dev-results',
    [HANDLER_ENV.STATUS_TABLE]: 'stowage-dev-status',
    [HANDLER_ENV.ENV_NAME]: 'dev',
    [HANDLER_ENV.CLAMD_ADDRESS]: '127.0.0.1:3310',
  },
  quarantine: {
    [HANDLER_ENV.UPLOADS_BUCKET]: 'stowage-dev-uploads',
    [HANDLER_ENV.QUARANTINE_BUCKET]: 'stowage-dev-quarantine',
    [HANDLER_ENV.QUARANTINE_KEY_ARN]: DUMMY_KEY_ARN,
    [HANDLER_ENV.STATUS_TABLE]: 'stowage-dev-status',
    [HANDLER_ENV.ENV_NAME]: 'dev',
  },
  process: {
    [HANDLER_ENV.UPLOADS_BUCKET]: 'stowage-dev-uploads',
    [HANDLER_ENV.PROCESSED_BUCKET]: 'stowage-dev-processed',
    [HANDLER_ENV.PROCESSED_KEY_ARN]: DUMMY_KEY_ARN,
    [HANDLER_ENV.STATUS_TABLE]: 'stowage-dev-status',
    [HANDLER_ENV.ENV_NAME]: 'dev',
  },
};

/** Runs in the child: loads the bundle, prints the milliseconds it took and that a `handler` export exists. */
const LOADER = `
const started = process.hrtime.bigint();
const mod = require(process.argv[1]);
const ms = Number(process.hrtime.bigint() - started) / 1e6;
process.stdout.write(JSON.stringify({ ms, handler: typeof mod.handler }));
`;

async function main(): Promise<void> {
  const outDir = mkdtempSync(join(tmpdir(), 'stowage-bench-bundles-'));
  try {
    const results: Record<string, { bundleBytes: number; sourceMapBytes: number; loadMsMedian: number }> = {};
    for (const [name, env] of Object.entries(HANDLERS)) {
      const outfile = join(outDir, name, 'index.js');
      await build({
        entryPoints: [join(__dirname, '..', 'lambda', name, 'index.ts')],
        outfile,
        bundle: true,
        minify: true,
        sourcemap: true,
        sourcesContent: false,
        keepNames: true,
        format: 'cjs',
        platform: 'node',
        target: STOWAGE_ESBUILD_TARGET,
        mainFields: STOWAGE_ESBUILD_MAIN_FIELDS,
        logLevel: 'error',
      });
      const loads = Array.from({ length: RUNS }, () => loadOnce(outfile, env)).sort((a, b) => a - b);
      results[name] = {
        bundleBytes: statSync(outfile).size,
        sourceMapBytes: statSync(`${outfile}.map`).size,
        loadMsMedian: round(loads[Math.floor(RUNS / 2)]!),
      };
      console.log(
        `${name}: ${(results[name]!.bundleBytes / 1024).toFixed(0)} KiB, load ${results[name]!.loadMsMedian} ms`,
      );
    }
    const report = {
      what: `esbuild bundle (${STOWAGE_ESBUILD_TARGET}, cjs, ESM-first main fields, minify, sourcemap) and require() time in a fresh process`,
      node: process.version,
      runs: RUNS,
      targetLoadMs: TARGET_LOAD_MS,
      results,
      measuredAt: new Date().toISOString(),
    };
    mkdirSync(join(__dirname, 'results'), { recursive: true });
    writeFileSync(join(__dirname, 'results', 'handler-bundles.json'), `${JSON.stringify(report, null, 2)}\n`);
    console.log(JSON.stringify(report, null, 2));
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
}

/** Requires the bundle in a fresh node process with only `env` (plus PATH and a region) set. */
function loadOnce(bundle: string, env: Readonly<Record<string, string>>): number {
  const output = execFileSync(process.execPath, ['-e', LOADER, bundle], {
    env: { PATH: process.env.PATH ?? '', AWS_REGION: 'eu-west-1', ...env },
    encoding: 'utf8',
  });
  const { ms, handler } = JSON.parse(output) as { ms: number; handler: string };
  if (handler !== 'function') throw new Error(`${bundle} exports no handler function`);
  return ms;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
