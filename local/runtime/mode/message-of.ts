/** The message of a caught value, for local mode's start-up errors and console lines. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
