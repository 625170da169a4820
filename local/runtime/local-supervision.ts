/**
 * Which of local mode's servers are supervised, and how each is started again: only servers this run started
 * (reused ones belong to whoever started them), on the same ports (clients, the scan engine and RGW's
 * notification subscriptions keep their addresses), still following local mode's death.
 */
import { pingClamd, startClamd, type ClamdServer } from '../servers/clamd';
import { startRgw, type RgwOptions, type RgwServer } from '../servers/rgw';
import {
  superviseServers,
  type SupervisedServer,
  type Supervisor,
  type SupervisorOptions,
} from '../servers/supervisor';

/** How long clamd has to answer a health-check PING (it answers in microseconds, also while it scans). */
const CLAMD_PING_TIMEOUT_MS = 3_000;

export interface LocalSupervisionInput {
  /** RGW as started, with the options it was started with. */
  readonly rgw?: { readonly server: RgwServer; readonly options: RgwOptions };
  /** clamd as started, with its data directory. */
  readonly clamd?: { readonly server: ClamdServer; readonly dataDir: string };
}

/** The servers to supervise: started by this run (not reused), and RGW only on a persistent store. */
export function supervisedLocalServers(input: LocalSupervisionInput): SupervisedServer[] {
  const servers: SupervisedServer[] = [];
  const { rgw, clamd } = input;
  // A memstore cluster starts empty: restarting it would silently lose every bucket, so it is not restarted.
  if (rgw && !rgw.server.reused && rgw.server.objectStore === 'bluestore') {
    servers.push({
      name: 'RGW',
      pids: rgw.server.pids,
      restart: async () =>
        (await startRgw({ ...rgw.options, port: rgw.server.port, followParent: true })).pids,
    });
  }
  if (clamd && !clamd.server.reused && clamd.server.pid !== undefined) {
    servers.push({
      name: 'clamd',
      pids: [clamd.server.pid],
      healthy: () => pingClamd(clamd.server.host, clamd.server.port, CLAMD_PING_TIMEOUT_MS),
      restart: async () => {
        const restarted = await startClamd({
          dataDir: clamd.dataDir,
          port: clamd.server.port,
          followParent: true,
        });
        return restarted.pid === undefined ? [] : [restarted.pid];
      },
    });
  }
  return servers;
}

/** Starts supervising local mode's servers; see supervisedLocalServers and superviseServers. */
export function superviseLocalServers(input: LocalSupervisionInput, options: SupervisorOptions): Supervisor {
  return superviseServers(supervisedLocalServers(input), options);
}
