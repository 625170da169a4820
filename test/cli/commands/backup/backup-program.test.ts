import { Command } from 'commander';
import { registerBackupCommands } from '../../../../cli/commands/backup/backup-program';
import { recordingIo } from './fake-backup-io';

function optionHelp(command: string, flag: string): string | undefined {
  const backup = new Command('backup');
  registerBackupCommands(backup, () => recordingIo());
  const sub = backup.commands.find((c) => c.name() === command);
  return sub?.options.find((o) => o.long === flag)?.description;
}

describe('stowage backup help', () => {
  it.each(['push', 'pull'])('%s --retry-delays says that waits double past the list', (command) => {
    expect(optionHelp(command, '--retry-delays')).toContain('past the list each wait doubles the last');
  });

  it.each(['push', 'pull', 'list', 'delete'])('%s takes --timeout and --connect-timeout', (command) => {
    expect(optionHelp(command, '--timeout')).toContain('default 60');
    expect(optionHelp(command, '--connect-timeout')).toContain('default 10');
  });
});
