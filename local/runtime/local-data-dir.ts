/**
 * Local mode's data directory: what lives in it, the facts a running local mode publishes for other commands
 * (`local.json`), the lock that keeps two runtimes out of one directory, and the wipe behind `--fresh`.
 */
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';

import { z } from 'zod';

import { isProcessAlive, readPidFile } from '../servers/process';

/** Default data directory, relative to the working directory (`npm start` runs in the repository). */
export const DEFAULT_DATA_DIR = '.stowage';

/** The entries local mode creates in its data directory: `--fresh` removes these and nothing else. */
export const DATA_DIR_ENTRIES = {
  marker: '.stowage-local',
  lock: 'local.lock',
  state: 'local.json',
  rgw: 'rgw',
  clamd: 'clamd',
  jwt: 'jwt',
  status: 'status',
  logs: 'logs',
} as const;

/** What a local mode run publishes in `<dataDir>/local.json` (mode 0600) for `stowage local token` and others. */
export const localStateSchema = z.object({
  kind: z.literal('stowage-local'),
  /** Pid of the process running local mode; `running` false once it stopped. */
  pid: z.number().int(),
  running: z.boolean(),
  startedAt: z.string(),
  stoppedAt: z.string().optional(),
  dataDir: z.string(),
  envName: z.string(),
  apiUrl: z.string(),
  s3Url: z.string(),
  pageUrl: z.string(),
  s3: z.object({
    endpoint: z.string(),
    region: z.string(),
    /** True when local mode started (or reused) its own RGW; false with `--s3-endpoint`. */
    managed: z.boolean(),
    /** The credentials of local mode's own RGW user; absent for an external server (never written to disk). */
    accessKeyId: z.string().optional(),
    secretAccessKey: z.string().optional(),
  }),
  buckets: z.record(z.string(), z.string()),
  kmsKeyIds: z.record(z.string(), z.string()),
  jwt: z.object({
    dir: z.string(),
    issuer: z.string(),
    audiences: z.array(z.string()).min(1),
    keyId: z.string(),
  }),
  ports: z.object({
    api: z.number().int(),
    rgw: z.number().int().optional(),
    clamd: z.number().int().optional(),
  }),
  verifier: z.object({ schedule: z.string(), nextRunAt: z.string().optional() }),
});

export type LocalState = z.infer<typeof localStateSchema>;

/** Absolute paths of the data directory's entries. */
export function dataDirPaths(
  dataDir: string,
): Record<keyof typeof DATA_DIR_ENTRIES, string> & { root: string } {
  const root = path.resolve(dataDir);
  const paths = Object.fromEntries(
    Object.entries(DATA_DIR_ENTRIES).map(([name, entry]) => [name, path.join(root, entry)]),
  ) as Record<keyof typeof DATA_DIR_ENTRIES, string>;
  return { ...paths, root };
}

/** The facts the last local mode run published, or undefined when none ran from `dataDir` (throws when unreadable). */
export function readLocalState(dataDir: string): LocalState | undefined {
  const file = dataDirPaths(dataDir).state;
  if (!existsSync(file)) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`${file} is not JSON: ${(error as Error).message}`, { cause: error });
  }
  const result = localStateSchema.safeParse(parsed);
  if (!result.success) {
    const problems = result.error.issues.map(
      (issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`,
    );
    throw new Error(`${file} is not a local mode state file: ${problems.join('; ')}`);
  }
  return result.data;
}

export function writeLocalState(dataDir: string, state: LocalState): void {
  const file = dataDirPaths(dataDir).state;
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  // A rename: readers never see half a file.
  renameSync(temporary, file);
}

/** Creates the data directory (when missing) and marks it as local mode's, so `--fresh` may wipe it later. */
export function prepareDataDir(dataDir: string): void {
  const { root, marker } = dataDirPaths(dataDir);
  mkdirSync(root, { recursive: true });
  if (!existsSync(marker)) {
    writeFileSync(marker, 'This directory holds Stowage local mode state (`npx stowage local`).\n');
  }
}

/**
 * Removes what local mode keeps in `dataDir` (DATA_DIR_ENTRIES), leaving anything else in it alone. Refuses a
 * directory with content but without local mode's marker: `--data-dir` pointing somewhere else by mistake must
 * never delete anything. The caller stops the servers first.
 */
export function wipeDataDir(dataDir: string): void {
  const paths = dataDirPaths(dataDir);
  if (!existsSync(paths.root)) return;
  assertLocalDataDir(dataDir);
  for (const name of Object.keys(DATA_DIR_ENTRIES) as (keyof typeof DATA_DIR_ENTRIES)[]) {
    if (name === 'lock' || name === 'marker') continue;
    rmSync(paths[name], { recursive: true, force: true });
  }
}

/**
 * Throws unless `dataDir` is missing, empty or marked as local mode's (`.stowage-local`): a `--data-dir` that
 * points somewhere else by mistake must never have anything stopped or deleted in it.
 */
export function assertLocalDataDir(dataDir: string): void {
  const paths = dataDirPaths(dataDir);
  if (!existsSync(paths.root) || existsSync(paths.marker)) return;
  if (readdirSync(paths.root).length > 0) {
    throw new Error(
      `refusing to wipe ${paths.root}: it is not a Stowage local mode data directory (no ${DATA_DIR_ENTRIES.marker})`,
    );
  }
}

/** Thrown when another local mode runs from the same data directory. */
export class DataDirBusyError extends Error {
  constructor(
    readonly dataDir: string,
    readonly pid: number,
  ) {
    super(
      `local mode is already running from ${dataDir} (pid ${pid}): stop it first (Ctrl-C in its terminal), ` +
        'or use another --data-dir',
    );
    this.name = 'DataDirBusyError';
  }
}

/** A held data directory lock. */
export interface DataDirLock {
  release(): void;
}

/** The pid of the live process holding the data directory's lock, if any. */
export function lockHolder(dataDir: string): number | undefined {
  const holder = readPidFile(dataDirPaths(dataDir).lock);
  return holder !== undefined && isProcessAlive(holder) ? holder : undefined;
}

/**
 * Takes the data directory's lock for the lifetime of a local mode run (a lock left by a dead process is taken
 * over). Throws DataDirBusyError when a live process holds it.
 */
export function acquireDataDirLock(dataDir: string): DataDirLock {
  const { root, lock } = dataDirPaths(dataDir);
  for (;;) {
    try {
      const fd = openSync(lock, 'wx', 0o600);
      writeFileSync(fd, `${process.pid}\n`);
      closeSync(fd);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = readPidFile(lock);
      // This very process counts too: two runtimes in one process must not share a directory either.
      if (holder !== undefined && isProcessAlive(holder)) {
        throw new DataDirBusyError(root, holder);
      }
      rmSync(lock, { force: true });
    }
  }
  let released = false;
  return {
    release() {
      if (released) return;
      released = true;
      if (readPidFile(lock) === process.pid) rmSync(lock, { force: true });
    },
  };
}
