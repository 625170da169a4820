/**
 * Synthesizes every environment through the real CDK CLI (`cdk synth -c env=NAME`), with the rule
 * packs that run in every synth. Exits non-zero on the first env that fails.
 */
import { spawnSync } from 'child_process';
import { join } from 'path';
import { ENV_NAMES } from '../lib/config';

const root = join(__dirname, '..');
const cdk = join(root, 'node_modules', '.bin', 'cdk');

for (const env of ENV_NAMES) {
  const started = Date.now();
  const result = spawnSync(cdk, ['synth', '--quiet', '-c', `env=${env}`, '--output', join('cdk.out', env)], {
    cwd: root,
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, CDK_DISABLE_VERSION_CHECK: 'true' },
  });
  if (result.status !== 0) {
    console.error(`synth of env '${env}' failed (exit ${result.status ?? result.signal})`);
    process.exit(1);
  }
  console.log(`synth ${env}: ok, zero unacknowledged rule-pack findings (${Date.now() - started} ms)`);
}
