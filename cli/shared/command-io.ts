import type { OpsClients } from './aws-clients';
import type { Connection } from './connection';

/** Exit codes of `stowage report|cleanup|doctor`: 0 done, 1 failed (or a check failed), 2 bad usage. */
export const OPS_EXIT = { OK: 0, FAILED: 1, USAGE: 2 } as const;

/**
 * Everything `report`, `cleanup` and `doctor` touch outside their arguments: output, the environment (read once by
 * the CLI) and, for tests, the clock and the AWS clients.
 */
export interface CommandIo {
  /** Results (tables, JSON): one line each, to stdout. */
  readonly out: (line: string) => void;
  /** Messages and errors: one line each, to stderr. */
  readonly err: (line: string) => void;
  /** Environment variables (process.env in the CLI). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Default: the system clock. */
  readonly now?: () => Date;
  /** Default: createOpsClients. */
  readonly createClients?: (connection: Connection) => OpsClients;
}

/** The command's own process I/O: stdout, stderr and process.env, read once here. */
export function processCommandIo(): CommandIo {
  return {
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
    env: process.env,
  };
}

export function clockOf(io: CommandIo): () => Date {
  return io.now ?? (() => new Date());
}

/** The operation failed for a reason the user can act on: the command prints the message and exits 1. */
export class CommandFailure extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CommandFailure';
  }
}
