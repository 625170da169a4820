import { spawnSync } from 'child_process';
import { join, relative } from 'path';
import { buildProgram } from '../../cli/main';

const REPO_ROOT = join(__dirname, '..', '..');
const ALL_COMMANDS = ['scan', 'backup', 'report', 'cleanup', 'doctor', 'local'];
const names = (argv?: readonly string[]): string[] =>
  buildProgram(argv).commands.map((command) => command.name());

describe('buildProgram', () => {
  it('registers every command, in help order, without a command line', () => {
    expect(names()).toEqual(ALL_COMMANDS);
  });

  it('registers only the command a command line names, with all its subcommands', () => {
    // Act
    const program = buildProgram(['node', 'stowage', 'backup', 'push', 'db.dump']);
    // Assert
    expect(program.commands.map((command) => command.name())).toEqual(['backup']);
    expect(program.commands[0]!.commands.map((command) => command.name())).toEqual([
      'push',
      'list',
      'pull',
      'delete',
      'archive',
      'restore',
      'verify',
    ]);
  });

  it('registers every command for --help and for an unknown command, so both can list them', () => {
    expect(names(['node', 'stowage', '--help'])).toEqual(ALL_COMMANDS);
    expect(names(['node', 'stowage', 'bakup', 'push'])).toEqual(ALL_COMMANDS);
    expect(names(['node', 'stowage'])).toEqual(ALL_COMMANDS);
  });

  it('does not load the other commands, verification or the config schema for `backup push`', () => {
    // Arrange: a fresh Node process, as bin/stowage.js starts one, that builds the program and lists its modules.
    const script =
      "require('tsx/cjs/api').register();" +
      "require('./cli/main.ts').buildProgram(['node', 'stowage', 'backup', 'push', 'db.dump']);" +
      'process.stdout.write(JSON.stringify(Object.keys(require.cache)));';
    // Act
    const run = spawnSync(process.execPath, ['-e', script], { cwd: REPO_ROOT, encoding: 'utf8' });
    // Assert
    expect(run.status).toBe(0);
    const loaded = (JSON.parse(run.stdout) as string[]).map((path) => relative(REPO_ROOT, path));
    expect(loaded).toContain('cli/commands/backup/backup-program.ts');
    expect(
      loaded.filter((path) =>
        /^(cli\/commands\/(local|doctor|report|cleanup|scan)|cli\/commands\/backup\/(push|verify|pull)\.ts|lib\/config\/schema|local\/|node_modules\/@aws-sdk\/client-s3\/)/.test(
          path,
        ),
      ),
    ).toEqual([]);
  });
});
