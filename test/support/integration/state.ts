/**
 * Hands the running servers from global setup to global teardown. Both run in Jest's parent process and
 * share `globalThis`; the test workers get endpoints through environment variables instead (servers.ts).
 */
import type { ClamdServer } from '../../../local/servers/clamd';
import type { PostgresServer } from '../../../local/servers/postgres';
import type { RgwServer } from '../../../local/servers/rgw';

export interface RunningServers {
  readonly dataDir: string;
  /** True when the servers live in STOWAGE_TEST_SERVERS_DIR and must be left running. */
  readonly keep: boolean;
  readonly rgw: RgwServer;
  readonly clamd: ClamdServer;
  readonly postgres: PostgresServer;
}

const KEY = Symbol.for('stowage.integration.servers');

type Holder = { [KEY]?: RunningServers };

export function setRunningServers(servers: RunningServers): void {
  (globalThis as Holder)[KEY] = servers;
}

/** True until global teardown has taken the servers. */
export function hasRunningServers(): boolean {
  return (globalThis as Holder)[KEY] !== undefined;
}

/** Returns the servers recorded by global setup (once) and forgets them. */
export function takeRunningServers(): RunningServers | undefined {
  const holder = globalThis as Holder;
  const servers = holder[KEY];
  delete holder[KEY];
  return servers;
}
