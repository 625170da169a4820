/** The content is not a valid archive of the expected format (truncated, corrupted, wrong kind of file). */
export class FormatError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'FormatError';
  }
}
