import { Command, CommanderError } from 'commander';
import { ConfigError } from '../lib/config';
import { registerBackupCommands } from './commands/backup/backup-program';
import type { BackupIo } from './commands/backup/backup-io';
import { EXIT, runScanCommand, UsageError } from './commands/scan';
import { registerCleanupCommand } from './commands/cleanup';
import { registerDoctorCommand } from './commands/doctor';
import { processLocalIo, registerLocalCommand } from './commands/local';
import { registerReportCommand } from './commands/report';
import { processCommandIo } from './shared/command-io';

/** What backup commands get from the process: output streams and the environment, read once here. */
function processBackupIo(): BackupIo {
  return {
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
    progress: (text) => process.stderr.write(text),
    isTty: Boolean(process.stderr.isTTY),
    env: process.env,
  };
}

/** The `stowage` command line. Each command lives in cli/commands/ and returns its exit code. */
export function buildProgram(): Command {
  const program = new Command('stowage')
    .description('Stowage: secure file intake and backup storage on AWS')
    .exitOverride()
    .showHelpAfterError();

  program
    .command('scan')
    .description(
      'Scan local files with the built-in engine (and clamd with --clamd); one JSON verdict per line.\n' +
        'Exit 0: all clean; 1: something infected or suspicious; 2: an error.',
    )
    .argument('<file...>', 'files to scan, in order')
    .option('--clamd <host:port>', 'also scan with this clamd (INSTREAM over TCP)')
    .option('--content-type <type>', 'declared type of every file (default: from its extension)')
    .option('--env <name>', "apply this environment's upload type allowlist (default: judge content only)")
    .action(async (files: string[], options: { clamd?: string; contentType?: string; env?: string }) => {
      process.exitCode = await runScanCommand(files, options, (line) => process.stdout.write(`${line}\n`));
    });

  const backup = program
    .command('backup')
    .description('Write, read and verify the backups bucket: push, list, pull, archive, restore, verify.');
  registerBackupCommands(backup, processBackupIo);
  registerReportCommand(program, processCommandIo);
  registerCleanupCommand(program, processCommandIo);
  registerDoctorCommand(program, processCommandIo);
  registerLocalCommand(program, processLocalIo);

  return program;
}

export async function main(argv: readonly string[]): Promise<void> {
  try {
    await buildProgram().parseAsync([...argv]);
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version exit 0; usage mistakes exit 2 like every other error.
      process.exitCode = error.exitCode === 0 ? 0 : EXIT.ERROR;
      return;
    }
    if (error instanceof UsageError || error instanceof ConfigError) {
      process.stderr.write(`stowage: ${error.message}\n`);
      process.exitCode = EXIT.ERROR;
      return;
    }
    throw error;
  }
}

if (require.main === module) {
  void main(process.argv);
}
