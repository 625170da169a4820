import type { EventEmitter } from 'events';
import type { Readable } from 'stream';
import type { BackupClients } from './backup-client';
import type { BackupConfig } from './backup-config';

/** Exit codes of `stowage backup …`: 0 done, 1 the operation failed (message on stderr), 2 bad usage. */
export const BACKUP_EXIT = { OK: 0, FAILED: 1, USAGE: 2 } as const;

/**
 * Everything a backup command touches outside its arguments: output, the environment (read once by the CLI),
 * and, for tests, the clock, sleeping and the AWS clients.
 */
export interface BackupIo {
  /** Results (keys, tables, JSON): one line each, to stdout. */
  readonly out: (line: string) => void;
  /** Messages and errors: one line each, to stderr. */
  readonly err: (line: string) => void;
  /** Raw progress output (carriage returns on a TTY), to stderr. */
  readonly progress: (text: string) => void;
  /** True when progress goes to a terminal: a live bar instead of periodic lines. */
  readonly isTty: boolean;
  /** Environment variables (process.env in the CLI). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Default: the system clock. */
  readonly now?: () => Date;
  /** Default: setTimeout. */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Default: createBackupClients. */
  readonly createClients?: (config: BackupConfig) => BackupClients;
  /** What `push -` reads. Default: process.stdin. */
  readonly stdin?: Readable;
  /** Where SIGINT and SIGTERM come from. Default: process. */
  readonly signals?: EventEmitter;
}

/** The operation failed for a reason the user can act on; the CLI prints the message and exits 1. */
export class BackupFailure extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BackupFailure';
  }
}

export function sleepFor(io: BackupIo): (ms: number) => Promise<void> {
  return io.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
}

export function clockOf(io: BackupIo): () => Date {
  return io.now ?? (() => new Date());
}
