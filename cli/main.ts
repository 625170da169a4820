/* eslint-disable @typescript-eslint/no-require-imports -- a command's module is require()d only when the command is
   registered; import() is no alternative: tsx leaves it a native ES import, which cannot resolve extensionless
   TypeScript paths. */
import { Command, CommanderError } from 'commander';
import { ConfigError } from '../lib/config/config-error';
import type * as BackupProgram from './commands/backup/backup-program';
import type * as Cleanup from './commands/cleanup';
import type * as Doctor from './commands/doctor';
import type * as Local from './commands/local';
import type * as Report from './commands/report';
import type * as Scan from './commands/scan';
import { EXIT, processCommandIo } from './shared/command-io';
import { findUnknownCommand } from './unknown-command';
import { UsageError } from './shared/usage-error';

/** Adds one top-level command (and its subcommands) to the program. */
type Registration = (program: Command) => void;

/**
 * The top-level commands, in help order. Each module is loaded only when its command is registered, and a command
 * line that names one registers only that one: `stowage backup push` does not load local mode's servers, the
 * operations commands or the CDK config schema (start-up is part of every push's wall time).
 */
const COMMANDS: readonly { readonly name: string; readonly load: () => Registration }[] = [
  { name: 'scan', load: () => (require('./commands/scan') as typeof Scan).registerScanCommand },
  {
    name: 'backup',
    load: () => {
      const { registerBackupCommand } = require('./commands/backup/backup-program') as typeof BackupProgram;
      return (program) => registerBackupCommand(program, processCommandIo);
    },
  },
  {
    name: 'report',
    load: () => {
      const { registerReportCommand } = require('./commands/report') as typeof Report;
      return (program) => registerReportCommand(program, processCommandIo);
    },
  },
  {
    name: 'cleanup',
    load: () => {
      const { registerCleanupCommand } = require('./commands/cleanup') as typeof Cleanup;
      return (program) => registerCleanupCommand(program, processCommandIo);
    },
  },
  {
    name: 'doctor',
    load: () => {
      const { registerDoctorCommand } = require('./commands/doctor') as typeof Doctor;
      return (program) => registerDoctorCommand(program, processCommandIo);
    },
  },
  {
    name: 'local',
    load: () => {
      const { registerLocalCommand } = require('./commands/local') as typeof Local;
      return (program) => registerLocalCommand(program, processCommandIo);
    },
  },
];

/**
 * The `stowage` command line. Each command lives in cli/commands/ and returns its exit code. With `argv`, only the
 * command it names is registered (all of them when it names none, e.g. `stowage --help`, or an unknown one, so
 * commander's error lists the real ones).
 */
export function buildProgram(argv?: readonly string[]): Command {
  const program = new Command('stowage')
    .description('Stowage: secure file intake and backup storage on AWS')
    .exitOverride()
    .showHelpAfterError();
  const named = COMMANDS.filter((command) => command.name === argv?.[2]);
  for (const command of named.length > 0 ? named : COMMANDS) command.load()(program);
  return program;
}

export async function main(argv: readonly string[]): Promise<void> {
  const program = buildProgram(argv);
  const unknown = findUnknownCommand(program, argv.slice(2));
  if (unknown) {
    process.stderr.write(
      `stowage: unknown command '${unknown.typed}' (commands: ${unknown.known.join(', ')}; see ${unknown.parent} --help)\n`,
    );
    process.exitCode = EXIT.USAGE;
    return;
  }
  try {
    await program.parseAsync([...argv]);
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version exit 0; usage mistakes exit 2 like every other error.
      process.exitCode = error.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
      return;
    }
    if (error instanceof UsageError || error instanceof ConfigError) {
      process.stderr.write(`stowage: ${error.message}\n`);
      process.exitCode = EXIT.USAGE;
      return;
    }
    throw error;
  }
}

if (require.main === module) {
  void main(process.argv);
}
