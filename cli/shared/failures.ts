import { CommandFailure } from './command-io';
import { describeError, hintFor, isActionable } from './service-error';

/**
 * Runs `call`; a failure the user can act on (a service answer, missing credentials) becomes a CommandFailure
 * saying what was being done, the error and a hint. Anything else (a bug) propagates as is.
 */
export async function inContext<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof CommandFailure || !isActionable(error)) throw error;
    const hint = hintFor(error);
    throw new CommandFailure(`${what} failed: ${describeError(error)}${hint ? ` (${hint})` : ''}`, {
      cause: error,
    });
  }
}

/**
 * The command's error boundary: prints a CommandFailure (or an actionable service error) as `stowage <command>:
 * message` and returns exit code 1; usage and configuration errors, and bugs, propagate to the CLI.
 */
export async function runCommand(
  command: string,
  err: (line: string) => void,
  body: () => Promise<number>,
): Promise<number> {
  try {
    return await body();
  } catch (error) {
    if (error instanceof CommandFailure) {
      for (const line of error.message.split('\n')) err(`stowage ${command}: ${line}`);
      return 1;
    }
    if (isActionable(error)) {
      const hint = hintFor(error);
      err(`stowage ${command}: ${describeError(error)}${hint ? ` (${hint})` : ''}`);
      return 1;
    }
    throw error;
  }
}
