/**
 * What makes a running local mode stop, so that it never leaves the servers it started behind: a stop signal
 * (SIGINT from Ctrl-C, SIGTERM, SIGHUP from a closed terminal), its output going away (EPIPE on stdout or stderr:
 * `npm start | head -3`, a log reader that quit) and a programming error (an uncaught exception or unhandled
 * rejection). SIGKILL cannot be caught: the servers follow it through their parent-death signal instead
 * (`DaemonSpec.followParent`).
 */

/** Why local mode stops. */
export type ShutdownReason =
  | { readonly kind: 'signal'; readonly signal: NodeJS.Signals }
  | { readonly kind: 'output-closed'; readonly stream: 'stdout' | 'stderr'; readonly code: string }
  | { readonly kind: 'fatal'; readonly error: unknown };

/** Signals that ask local mode to stop; a second one while stopping forces the exit. */
export const STOP_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/** Exit code after a forced exit (a second stop signal while stopping): 128 + SIGINT, as shells report Ctrl-C. */
export const FORCED_EXIT_CODE = 130;

/** The part of `process` the watcher listens on (a fake in tests). */
export interface ShutdownHost extends Pick<NodeJS.EventEmitter, 'on' | 'off'> {
  readonly stdout: { on(event: 'error', listener: (error: Error) => void): unknown };
  readonly stderr: { on(event: 'error', listener: (error: Error) => void): unknown };
  exit(code: number): never | void;
}

export interface ShutdownWatch {
  /** Resolves with the first reason to stop. */
  readonly reason: Promise<ShutdownReason>;
  /** Removes the signal and error-event listeners (the stream error listeners stay: output may still fail). */
  dispose(): void;
}

/**
 * Listens for every reason to stop and resolves `reason` with the first. After that, a second stop signal exits at
 * once (FORCED_EXIT_CODE), a second fatal error is ignored (the first one is being handled), and write errors on
 * stdout or stderr are swallowed for good, so that a closed pipe never kills the process before its servers stop.
 */
export function watchForShutdown(host: ShutdownHost = process as unknown as ShutdownHost): ShutdownWatch {
  let settle: (reason: ShutdownReason) => void = () => undefined;
  let settled = false;
  const reason = new Promise<ShutdownReason>((resolve) => {
    settle = (value) => {
      if (settled) return;
      settled = true;
      resolve(value);
    };
  });
  const onSignal = (signal: NodeJS.Signals): void => {
    if (settled) host.exit(FORCED_EXIT_CODE);
    else settle({ kind: 'signal', signal });
  };
  const onFatal = (error: unknown): void => settle({ kind: 'fatal', error });
  const onOutputError = (stream: 'stdout' | 'stderr') => (error: Error) =>
    settle({ kind: 'output-closed', stream, code: (error as NodeJS.ErrnoException).code ?? error.message });

  for (const signal of STOP_SIGNALS) host.on(signal, onSignal);
  host.on('uncaughtException', onFatal);
  host.on('unhandledRejection', onFatal);
  host.stdout.on('error', onOutputError('stdout'));
  host.stderr.on('error', onOutputError('stderr'));
  return {
    reason,
    dispose() {
      for (const signal of STOP_SIGNALS) host.off(signal, onSignal);
      host.off('uncaughtException', onFatal);
      host.off('unhandledRejection', onFatal);
    },
  };
}

/** One line saying why local mode stops, e.g. `SIGHUP: stopping` or `stdout closed (EPIPE): stopping`. */
export function describeShutdown(reason: ShutdownReason): string {
  switch (reason.kind) {
    case 'signal':
      return `${reason.signal}: stopping (again to force)`;
    case 'output-closed':
      return `${reason.stream} closed (${reason.code}): stopping`;
    case 'fatal':
      return `unexpected error, stopping: ${reason.error instanceof Error ? (reason.error.stack ?? reason.error.message) : String(reason.error)}`;
  }
}

/** Exit code once stopped: 0 for a requested stop (signal, output closed), 1 after a fatal error. */
export function shutdownExitCode(reason: ShutdownReason): number {
  return reason.kind === 'fatal' ? 1 : 0;
}
