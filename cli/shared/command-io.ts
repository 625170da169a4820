/** What every `stowage` command shares: its exit codes, its process I/O and the failure it reports and exits 1 on. */

import type { EventEmitter } from 'events';
import type { Readable } from 'stream';
import type { OpsClients } from './aws-clients';
import type { Connection } from './connection';

/**
 * Exit codes of every `stowage` command: 0 done, 1 failed (the message on stderr, or a check failed), 2 bad usage or
 * configuration. `backup push` and `backup pull` interrupted by a signal exit 130/143 (INTERRUPT_EXIT).
 */
export const EXIT = { OK: 0, FAILED: 1, USAGE: 2 } as const;

/**
 * Everything a command touches outside its arguments: output, the environment (read once by the CLI) and, for tests,
 * the clock, sleeping, the AWS clients and the process's stdin and signals. `createClients` makes the command's
 * clients (`Clients`) from what it connects with (`Target`): the operations commands' by default, the backup
 * commands' with `CommandIo<BackupClients, BackupConfig>`.
 */
export interface CommandIo<Clients = OpsClients, Target = Connection> {
  /** Results (keys, tables, JSON): one line each, to stdout. */
  readonly out: (line: string) => void;
  /** Messages and errors: one line each, to stderr. */
  readonly err: (line: string) => void;
  /** Raw progress output (carriage returns on a TTY), to stderr. Default: none. */
  readonly progress?: (text: string) => void;
  /** True when progress goes to a terminal: a live bar instead of periodic lines. Default false. */
  readonly isTty?: boolean;
  /** Environment variables (process.env in the CLI). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Default: the system clock. */
  readonly now?: () => Date;
  /** Default: setTimeout. */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Default: the command's own (createOpsClients, createBackupClients). */
  readonly createClients?: (target: Target) => Clients;
  /** What `backup push -` reads. Default: process.stdin. */
  readonly stdin?: Readable;
  /** Where SIGINT and SIGTERM come from. Default: process. */
  readonly signals?: EventEmitter;
}

/** The command's own process I/O: stdout, stderr (progress too) and process.env, read once here. */
export function processCommandIo<Clients = OpsClients, Target = Connection>(): CommandIo<Clients, Target> {
  return {
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
    progress: (text) => process.stderr.write(text),
    isTty: Boolean(process.stderr.isTTY),
    env: process.env,
  };
}

export function clockOf(io: Pick<CommandIo, 'now'>): () => Date {
  return io.now ?? (() => new Date());
}

export function sleepFor(io: Pick<CommandIo, 'sleep'>): (ms: number) => Promise<void> {
  return io.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
}

export function progressOf(io: Pick<CommandIo, 'progress'>): (text: string) => void {
  return io.progress ?? (() => undefined);
}

/** The operation failed for a reason the user can act on: the command prints the message and exits 1. */
export class CommandFailure extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CommandFailure';
  }
}
