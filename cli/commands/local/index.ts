import type { Command } from 'commander';

import { EXIT, type CommandIo } from '../../shared/command-io';

import { loadConfig } from '../../../lib/config';
import { DEFAULT_DATA_DIR, dataDirPaths, readLocalState } from '../../../local/runtime/local-data-dir';
import { openLocalJwt } from '../../../local/runtime/local-jwt';
import {
  DEFAULT_API_PORT,
  startLocalMode,
  type LocalMode,
  type LocalModeOptions,
} from '../../../local/runtime/local-mode';
import { PreflightError } from '../../../local/runtime/local-preflight';
import {
  describeShutdown,
  shutdownExitCode,
  watchForShutdown,
  type ShutdownWatch,
} from '../../../local/runtime/shutdown';

/**
 * What `stowage local` touches outside its arguments: the CLI's CommandIo output (ready lines and notes to stdout,
 * failures and alerts to stderr) and environment, and local mode itself. Exit codes (EXIT): 0 stopped cleanly (or
 * token printed), 1 failed, 2 bad usage or missing packages.
 */
export interface LocalCommandIo extends Pick<CommandIo, 'out' | 'err' | 'env'> {
  /**
   * Watches for what stops local mode (SIGINT, SIGTERM, SIGHUP, stdout/stderr closed, an uncaught error).
   * Default: watchForShutdown on this process.
   */
  readonly watchShutdown?: () => ShutdownWatch;
  /** Starts local mode. Default: startLocalMode. */
  readonly start?: (options: LocalModeOptions) => Promise<Pick<LocalMode, 'stop'>>;
}

/** How long the process may linger once local mode has stopped before it exits anyway. */
const EXIT_GRACE_MS = 5_000;

/** `stowage local`'s flags, as commander parses them. */
export interface LocalCommandOptions {
  /** `--port N`, as typed. Default: local mode's (8787). */
  readonly port?: string;
  /** `--data-dir DIR`. Default: local mode's (`.stowage`). */
  readonly dataDir?: string;
  /** `--fresh`. Default false. */
  readonly fresh?: boolean;
  /** `--s3-endpoint URL`. Default: local mode's own RGW. */
  readonly s3Endpoint?: string;
  /** False with `--no-clamav`. Default true. */
  readonly clamav?: boolean;
  /** `--verbose`: INFO logs. Default false (WARN). */
  readonly verbose?: boolean;
}

/** `stowage local token`'s flags. */
export interface LocalTokenOptions {
  /** `--user NAME`: the token's `sub`. Required. */
  readonly user: string;
  /** `--expires-in S`, as typed. Default: 3600 seconds. */
  readonly expiresIn?: string;
  /** `--data-dir DIR` (before or after `token`). Default `.stowage`. */
  readonly dataDir?: string;
}

/** Registers `stowage local` and `stowage local token` on `program`; each action sets the exit code. */
export function registerLocalCommand(program: Command, io: () => LocalCommandIo): void {
  const local = program
    .command('local')
    .description(
      'Run Stowage on this machine (npm start): Ceph RGW + clamd, the env buckets, the intake API with local JWTs,\n' +
        'the pipeline, the backup verifier and the upload page. Ctrl-C stops what it started.\n' +
        'Exit 0 stopped, 1 failed, 2 bad usage or missing packages (prints the install command).',
    )
    .option(
      '--port <n>',
      `port of the API and page on 127.0.0.1 (default ${DEFAULT_API_PORT}; 0 = a free one)`,
    )
    .option('--data-dir <dir>', `state directory, kept across restarts (default ${DEFAULT_DATA_DIR}/)`)
    .option('--fresh', 'stop the servers of the data directory and wipe its local mode state first')
    .option(
      '--s3-endpoint <url>',
      'use this S3-compatible server instead of starting Ceph RGW (credentials: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)',
    )
    .option('--no-clamav', 'scan with the built-in engine only (no clamd)')
    .option('--verbose', 'log at INFO instead of WARN')
    .action(async (options: LocalCommandOptions) => {
      process.exitCode = await runLocalCommand(options, io());
      // Everything local mode started is stopped; a handle an uncaught error left open must not keep it alive.
      setTimeout(() => process.exit(), EXIT_GRACE_MS).unref();
    });

  local
    .command('token')
    .description('Print a JWT the local API accepts (signed with the data directory key).')
    .requiredOption('--user <name>', "the token's subject: 1-128 letters, digits, '-' or '_'")
    .option('--expires-in <seconds>', 'lifetime in seconds (default 3600, at most 30 days)')
    .option('--data-dir <dir>', `local mode's data directory (default ${DEFAULT_DATA_DIR}/)`)
    .action(async (options: LocalTokenOptions, command: Command) => {
      // `local` has --data-dir too and takes it when it is given after `token`: read both.
      const parentDataDir = command.parent?.opts<LocalCommandOptions>().dataDir;
      process.exitCode = await runLocalTokenCommand(
        { ...options, dataDir: options.dataDir ?? parentDataDir },
        io(),
      );
    });
}

/**
 * `stowage local`: starts local mode, waits for a reason to stop (Ctrl-C, SIGTERM, SIGHUP, its output closed, an
 * uncaught error), stops everything it started; returns the exit code.
 */
export async function runLocalCommand(options: LocalCommandOptions, io: LocalCommandIo): Promise<number> {
  let port: number | undefined;
  if (options.port !== undefined) {
    port = /^\d+$/.test(options.port) ? Number(options.port) : Number.NaN;
    if (!Number.isInteger(port) || port > 65535) {
      io.err(
        `stowage local: --port must be a TCP port (1-65535, or 0 for a free one), got '${options.port}'`,
      );
      return EXIT.USAGE;
    }
  }
  const start = io.start ?? startLocalMode;
  // Listening before starting: a Ctrl-C during start-up stops cleanly once the start has finished.
  const shutdown = (io.watchShutdown ?? watchForShutdown)();
  let mode: Pick<LocalMode, 'stop'>;
  try {
    mode = await start({
      ...(port === undefined ? {} : { port }),
      ...(options.dataDir === undefined ? {} : { dataDir: options.dataDir }),
      fresh: options.fresh ?? false,
      ...(options.s3Endpoint === undefined ? {} : { s3Endpoint: options.s3Endpoint }),
      clamav: options.clamav ?? true,
      logLevel: options.verbose ? 'INFO' : 'WARN',
      out: io.out,
      err: io.err,
      environment: io.env,
    });
  } catch (error) {
    shutdown.dispose();
    io.err(`stowage local: ${error instanceof Error ? error.message : String(error)}`);
    return error instanceof PreflightError ? EXIT.USAGE : EXIT.FAILED;
  }
  const reason = await shutdown.reason;
  // A requested stop is news for stdout; a closed output or an error goes to stderr (stdout may be the closed one).
  const say = reason.kind === 'signal' ? io.out : io.err;
  say(describeShutdown(reason));
  try {
    await mode.stop();
  } catch (error) {
    io.err(`stowage local: stopping failed: ${error instanceof Error ? error.message : String(error)}`);
    return EXIT.FAILED;
  }
  say('stopped');
  return shutdownExitCode(reason) === 0 ? EXIT.OK : EXIT.FAILED;
}

/** `stowage local token --user NAME`: prints a token for the local API; returns the exit code. */
export async function runLocalTokenCommand(options: LocalTokenOptions, io: LocalCommandIo): Promise<number> {
  let expiresInSeconds: number | undefined;
  if (options.expiresIn !== undefined) {
    expiresInSeconds = /^\d+$/.test(options.expiresIn) ? Number(options.expiresIn) : Number.NaN;
    if (Number.isNaN(expiresInSeconds)) {
      io.err(
        `stowage local token: --expires-in must be a whole number of seconds, got '${options.expiresIn}'`,
      );
      return EXIT.USAGE;
    }
  }
  const dataDir = dataDirPaths(options.dataDir ?? DEFAULT_DATA_DIR).root;
  let audiences: readonly string[];
  try {
    const state = readLocalState(dataDir);
    if (!state) {
      io.err(
        `note: local mode has not run from ${dataDir} yet; its API will accept this token (same signing key)`,
      );
    }
    audiences = state?.jwt.audiences ?? loadConfig('dev', { environment: {} }).intake.jwt.audiences;
  } catch (error) {
    io.err(`stowage local token: ${error instanceof Error ? error.message : String(error)}`);
    return EXIT.FAILED;
  }
  try {
    const jwt = await openLocalJwt({ dataDir, audiences });
    io.out(
      await jwt.mintToken({
        user: options.user,
        ...(expiresInSeconds === undefined ? {} : { expiresInSeconds }),
      }),
    );
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    io.err(`stowage local token: ${message}`);
    // mintToken's validation names the bad option (`mintToken: user: …`): a usage error.
    return message.startsWith('mintToken:') ? EXIT.USAGE : EXIT.FAILED;
  }
  return EXIT.OK;
}
