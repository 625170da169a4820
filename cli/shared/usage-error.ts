/** Thrown for bad arguments; the CLI prints the message and exits 2. */
export class UsageError extends Error {}

/** The exit code of a usage mistake or an invalid configuration, for every command. */
export const USAGE_EXIT_CODE = 2;
