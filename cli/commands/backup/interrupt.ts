import type { EventEmitter } from 'events';

/** The signals a backup command turns into a clean stop, and the shell's exit code for each (128 + number). */
export const INTERRUPT_EXIT = { SIGINT: 130, SIGTERM: 143 } as const;
export type InterruptSignal = keyof typeof INTERRUPT_EXIT;

/** Thrown (or raised through an AbortSignal) when SIGINT or SIGTERM stopped the command. */
export class InterruptedError extends Error {
  constructor(readonly signal: InterruptSignal) {
    super(`interrupted by ${signal}`);
    this.name = 'InterruptedError';
  }
}

export interface InterruptWatch {
  /** Aborted, with an InterruptedError as its reason, when a signal arrives. */
  readonly signal: AbortSignal;
  /** The signal that arrived, if any. */
  received(): InterruptSignal | undefined;
  /** Removes the handlers: the process's default behaviour is back. */
  dispose(): void;
}

/**
 * While a command runs, SIGINT and SIGTERM abort `signal` instead of killing the process, so the command can undo
 * what it started (abort a multipart upload, remove a partial file) and exit 130 or 143. A second signal of either
 * kind while that cleanup runs is ignored: the cleanup itself has timeouts.
 */
export function watchInterrupts(signals: EventEmitter = process): InterruptWatch {
  const controller = new AbortController();
  let received: InterruptSignal | undefined;
  const handlers = (Object.keys(INTERRUPT_EXIT) as InterruptSignal[]).map((name) => {
    const handler = (): void => {
      if (received) return;
      received = name;
      controller.abort(new InterruptedError(name));
    };
    signals.on(name, handler);
    return [name, handler] as const;
  });
  return {
    signal: controller.signal,
    received: () => received,
    dispose() {
      for (const [name, handler] of handlers) signals.off(name, handler);
    },
  };
}

/** Throws the interrupt when `signal` was aborted by one. */
export function throwIfInterrupted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) {
    throw signal.reason instanceof InterruptedError ? signal.reason : new Error('aborted');
  }
}
