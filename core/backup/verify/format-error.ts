/** The content is not a valid archive of the expected format (truncated, corrupted, wrong kind of file). */
export class FormatError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'FormatError';
  }
}

/**
 * The content cannot be opened by this verifier (a format it does not read for the source's kind, a compression it
 * has no decoder for): neither proven whole nor proven damaged, reported as `unverified`, never as passed.
 */
export class UnverifiableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnverifiableError';
  }
}
