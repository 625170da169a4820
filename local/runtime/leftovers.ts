/**
 * What a start finds of an earlier run in the data directory: servers that still run from it (started by
 * `stowage servers`, the tests, or a local mode whose stop did not finish) are reused when they answer and stopped
 * when they do not (a half-dead cluster, a stopped or hung clamd). Either way local mode says which, with pids, so
 * nothing happens to processes behind the operator's back.
 */
import { clamdStatus } from '../servers/clamd';
import { rgwStatus } from '../servers/rgw';

/** What to do with one server's leftovers. */
export interface Leftover {
  readonly server: 'RGW' | 'clamd';
  readonly action: 'reuse' | 'stop';
  readonly pids: readonly number[];
  readonly dataDir: string;
}

/** Looks at the servers of `dirs` before a start; the start itself then reuses or stops them (startRgw/startClamd). */
export async function findLeftovers(dirs: {
  readonly rgw?: string;
  readonly clamd?: string;
}): Promise<Leftover[]> {
  const found: Leftover[] = [];
  if (dirs.rgw !== undefined) {
    const status = await rgwStatus({ dataDir: dirs.rgw });
    if (status.pids.length > 0) {
      found.push({
        server: 'RGW',
        action: status.running ? 'reuse' : 'stop',
        pids: status.pids,
        dataDir: dirs.rgw,
      });
    }
  }
  if (dirs.clamd !== undefined) {
    const status = await clamdStatus({ dataDir: dirs.clamd });
    if (status.pid !== undefined) {
      found.push({
        server: 'clamd',
        action: status.running ? 'reuse' : 'stop',
        pids: [status.pid],
        dataDir: dirs.clamd,
      });
    }
  }
  return found;
}

/** The line local mode prints about one leftover. */
export function describeLeftover(leftover: Leftover): string {
  const which = `${leftover.server} (pid ${leftover.pids.join(', ')}) already running from ${leftover.dataDir}`;
  return leftover.action === 'reuse'
    ? `stowage local: reusing ${which}; this run did not start it, so it keeps running when local mode stops`
    : `stowage local: stopping ${which}: it does not answer; starting a new one`;
}
