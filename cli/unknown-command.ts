import type { Command } from 'commander';

/** A command line naming a command that does not exist. */
export interface UnknownCommand {
  /** The command words typed up to the unknown one, e.g. `backup foo`. */
  readonly typed: string;
  /** The commands that exist where the unknown one was given. */
  readonly known: readonly string[];
  /** The command whose help lists them, e.g. `stowage backup`. */
  readonly parent: string;
}

/**
 * Finds the first word of `args` (the command line after `node stowage`) that names no command where one is
 * expected: before any option, at a level whose command has subcommands and takes no arguments of its own (the
 * root, `backup`, `local`). commander reports most of these itself, but prints the root help and exits 0 when
 * `--help` follows an unknown command (`stowage quarantine --help`), and `stowage help quarantine` names nothing.
 */
export function findUnknownCommand(program: Command, args: readonly string[]): UnknownCommand | undefined {
  let command = program;
  const typed: string[] = [];
  // `stowage help X` asks for X's help: X must exist.
  let index = args[0] === 'help' && args.length > 1 ? 1 : 0;
  for (; index < args.length; index++) {
    const word = args[index] as string;
    if (word.startsWith('-')) return undefined;
    if (command.commands.length === 0 || command.registeredArguments.length > 0) return undefined;
    const next = command.commands.find((sub) => sub.name() === word || sub.aliases().includes(word));
    if (!next) {
      return {
        typed: [...typed, word].join(' '),
        known: command.commands.map((sub) => sub.name()),
        parent: [program.name(), ...typed].join(' '),
      };
    }
    command = next;
    typed.push(word);
  }
  return undefined;
}
