/**
 * The logging the pipeline cores need. Powertools' Logger satisfies it (the adapters pass theirs); tests pass a
 * recording or silent one. Attributes are structured fields, never interpolated into the message.
 */
export interface PipelineLogger {
  info(message: string, attributes: Record<string, unknown>): void;
  warn(message: string, attributes: Record<string, unknown>): void;
  error(message: string, attributes: Record<string, unknown>): void;
}
