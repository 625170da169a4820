/** Jest global teardown for integration tests: stops the servers global-setup.ts started. */
import { rmSync } from 'node:fs';
import { takeRunningServers } from './state';

export default async function globalTeardown(): Promise<void> {
  const servers = takeRunningServers();
  if (!servers || servers.keep) return;
  const started = Date.now();
  await Promise.all([servers.rgw.stop(), servers.clamd.stop(), servers.postgres.stop()]);
  rmSync(servers.dataDir, { recursive: true, force: true });
  console.log(`integration servers stopped in ${Date.now() - started} ms`);
}
