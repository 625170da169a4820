/**
 * A message that does not have the expected shape. Retrying cannot fix it: the record fails, SQS redelivers it
 * until maxReceiveCount and then parks it in the DLQ, where operations can look at it.
 */
export class InvalidEventError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'InvalidEventError';
  }
}

/** Formats zod issues as `path: message` pairs, naming the field at fault. */
export function describeIssues(issues: readonly { path: readonly PropertyKey[]; message: string }[]): string {
  return issues
    .map((issue) => `${issue.path.map(String).join('.') || '(root)'}: ${issue.message}`)
    .join('; ');
}
