import { spawnSync } from 'child_process';
import { join } from 'path';

import { buildProgram } from '../../cli/main';
import { findUnknownCommand } from '../../cli/unknown-command';

const REPO_ROOT = join(__dirname, '..', '..');
const ROOT_COMMANDS = ['scan', 'backup', 'report', 'cleanup', 'doctor', 'local'];
const BACKUP_COMMANDS = ['push', 'list', 'pull', 'delete', 'archive', 'restore', 'verify'];

function unknownIn(...args: string[]) {
  return findUnknownCommand(buildProgram(['node', 'stowage', ...args]), args);
}

describe('findUnknownCommand', () => {
  it.each([
    [['quarantine', '--help'], 'quarantine', ROOT_COMMANDS, 'stowage'],
    [['quarantine'], 'quarantine', ROOT_COMMANDS, 'stowage'],
    [['help', 'quarantine'], 'quarantine', ROOT_COMMANDS, 'stowage'],
    [['backup', 'foo', '--help'], 'backup foo', BACKUP_COMMANDS, 'stowage backup'],
    [['local', 'tokn'], 'local tokn', ['token'], 'stowage local'],
  ])('names %j', (args, typed, known, parent) => {
    expect(unknownIn(...args)).toEqual({ typed, known, parent });
  });

  it.each([
    [[]],
    [['--help']],
    [['help', 'backup']],
    [['backup', 'push', 'my file.dump', '--help']],
    [['scan', 'anything.bin']],
    [['local', '--port', '0', 'token']],
    [['local', 'token', '--user', 'x']],
  ])('accepts %j', (args) => {
    expect(unknownIn(...args)).toBeUndefined();
  });
});

describe('stowage with an unknown command (process)', () => {
  it.each([
    [
      ['quarantine', '--help'],
      "stowage: unknown command 'quarantine' (commands: scan, backup, report, cleanup, doctor, local; see stowage --help)",
    ],
    [
      ['backup', 'foo'],
      "stowage: unknown command 'backup foo' (commands: push, list, pull, delete, archive, restore, verify; see stowage backup --help)",
    ],
  ])('%j exits 2 naming it, with nothing on stdout', (args, message) => {
    // Act
    const run = spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'stowage.js'), ...args], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
    });
    // Assert
    expect(run.status).toBe(2);
    expect(run.stderr.trim()).toBe(message);
    expect(run.stdout).toBe('');
  });
});
