/**
 * Keeps the servers a local run started alive: watches their pids (and asks those that can whether they still
 * answer: a stopped or deadlocked clamd is alive but useless), and when one exits unexpectedly, says so and
 * starts the server again after a backoff (doubling per failure in a row). A restart that fails, or a server that
 * dies again before it ran `stableMs`, counts as a failure; after `maxFailures` in a row it gives up on that server
 * with a clear message (the other servers stay supervised). Stopping the supervisor first is part of local mode's
 * shutdown order, so that a server being stopped on purpose is not restarted.
 */
import { setTimeout as delay } from 'node:timers/promises';

import { isProcessAlive } from './process';

/** One server under supervision. */
export interface SupervisedServer {
  /** Name in messages, e.g. `clamd` or `RGW`. */
  readonly name: string;
  /** Pids of its processes as started; all must stay alive. */
  readonly pids: readonly number[];
  /** Starts it again (stopping what is left of it first); resolves with the new pids once it answers. */
  restart(): Promise<readonly number[]>;
  /**
   * Answers true while the server works (clamd: PING). A server alive but not answering (stopped, deadlocked)
   * `unhealthyAfter` times in a row is restarted like a dead one. Default: liveness of the pids only.
   */
  healthy?(): Promise<boolean>;
}

export interface SupervisorOptions {
  /** How often pids are checked. Default 500 ms. */
  readonly checkIntervalMs?: number;
  /** Wait before the first restart after a failure; doubles per failure in a row. Default 1,000 ms. */
  readonly backoffMs?: number;
  /** Longest wait between restarts. Default 30,000 ms. */
  readonly maxBackoffMs?: number;
  /** Failures in a row (failed restarts, or deaths within `stableMs` of a restart) before giving up. Default 5. */
  readonly maxFailures?: number;
  /** Running this long after a restart resets the failure count. Default 60,000 ms. */
  readonly stableMs?: number;
  /** How often `healthy` is asked. Default 10,000 ms. */
  readonly healthCheckIntervalMs?: number;
  /** Failed health checks in a row after which a live server is restarted. Default 3. */
  readonly unhealthyAfter?: number;
  /** Where the supervisor's lines go (local mode: stderr). */
  readonly say: (line: string) => void;
}

/** What the supervisor knows about one server. */
export interface SupervisedState {
  readonly name: string;
  readonly pids: readonly number[];
  readonly restarts: number;
  readonly gaveUp: boolean;
}

export interface Supervisor {
  /** Current state of every server. */
  state(): readonly SupervisedState[];
  /** Stops watching; a restart in progress is awaited (its server then belongs to the caller's shutdown). */
  stop(): Promise<void>;
}

/** Watches `servers` until `stop()`; see the module comment. */
export function superviseServers(
  servers: readonly SupervisedServer[],
  options: SupervisorOptions,
): Supervisor {
  const checkIntervalMs = options.checkIntervalMs ?? 500;
  const backoffMs = options.backoffMs ?? 1_000;
  const maxBackoffMs = options.maxBackoffMs ?? 30_000;
  const maxFailures = options.maxFailures ?? 5;
  const stableMs = options.stableMs ?? 60_000;
  const healthCheckIntervalMs = options.healthCheckIntervalMs ?? 10_000;
  const unhealthyAfter = options.unhealthyAfter ?? 3;
  let stopped = false;
  const stopping = new AbortController();
  const watched = servers.map((server) => ({
    server,
    pids: [...server.pids],
    restarts: 0,
    failures: 0,
    startedAt: Date.now(),
    gaveUp: false,
    failedChecks: 0,
    recovering: undefined as Promise<void> | undefined,
  }));

  const recover = async (entry: (typeof watched)[number], why: string): Promise<void> => {
    const { name } = entry.server;
    if (Date.now() - entry.startedAt >= stableMs) entry.failures = 0;
    entry.failedChecks = 0;
    let cause = why;
    for (;;) {
      entry.failures += 1;
      if (entry.failures > maxFailures) {
        entry.gaveUp = true;
        options.say(
          `stowage local: giving up on ${name} after ${maxFailures} failed restarts in a row (${cause}); ` +
            `uploads that need it fail and are dead-lettered; restart local mode once the cause is fixed`,
        );
        return;
      }
      const wait = Math.min(maxBackoffMs, backoffMs * 2 ** (entry.failures - 1));
      options.say(
        `stowage local: ${name} ${cause}; restarting it in ${wait} ms (attempt ${entry.failures} of ${maxFailures})`,
      );
      await delay(wait, undefined, { signal: stopping.signal }).catch(() => undefined);
      if (stopped) return;
      try {
        entry.pids = [...(await entry.server.restart())];
        entry.restarts += 1;
        entry.startedAt = Date.now();
        options.say(`stowage local: ${name} restarted (pid ${entry.pids.join(', ')})`);
        return;
      } catch (error) {
        cause = `could not be restarted: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`;
      }
    }
  };

  const check = (): void => {
    if (stopped) return;
    for (const entry of watched) {
      if (entry.gaveUp || entry.recovering) continue;
      const dead = entry.pids.filter((pid) => !isProcessAlive(pid));
      if (dead.length === 0) continue;
      const cause = `pid ${dead.join(', ')} exited unexpectedly`;
      entry.recovering = recover(entry, cause).finally(() => (entry.recovering = undefined));
    }
  };
  const checkHealth = async (): Promise<void> => {
    for (const entry of watched) {
      const { healthy } = entry.server;
      if (stopped || !healthy || entry.gaveUp || entry.recovering) continue;
      const ok = await healthy.call(entry.server).catch(() => false);
      if (stopped || entry.recovering) continue;
      entry.failedChecks = ok ? 0 : entry.failedChecks + 1;
      if (entry.failedChecks < unhealthyAfter) continue;
      const cause = `(pid ${entry.pids.join(', ')}) did not answer ${unhealthyAfter} health checks in a row`;
      entry.recovering = recover(entry, cause).finally(() => (entry.recovering = undefined));
    }
  };
  let probing: Promise<void> | undefined;
  const timer = setInterval(check, checkIntervalMs);
  timer.unref();
  const healthTimer = setInterval(() => {
    probing ??= checkHealth().finally(() => (probing = undefined));
  }, healthCheckIntervalMs);
  healthTimer.unref();

  return {
    state: () =>
      watched.map((entry) => ({
        name: entry.server.name,
        pids: entry.pids,
        restarts: entry.restarts,
        gaveUp: entry.gaveUp,
      })),
    async stop() {
      stopped = true;
      stopping.abort();
      clearInterval(timer);
      clearInterval(healthTimer);
      await probing;
      await Promise.all(watched.map((entry) => entry.recovering));
    },
  };
}
