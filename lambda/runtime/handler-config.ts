import type { z } from 'zod';

import { describeIssues } from '../../core/events/invalid-event-error';

/** A handler's environment is invalid: thrown at cold start, naming every bad variable, so the function never runs half-configured. */
export class HandlerConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HandlerConfigError';
  }
}

/** Validates a handler's environment (keys are the env var names of HANDLER_ENV) against its schema. */
export function parseHandlerEnv<Schema extends z.ZodType>(
  handler: string,
  schema: Schema,
  env: Readonly<Record<string, string | undefined>>,
): z.infer<Schema> {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    throw new HandlerConfigError(
      `invalid environment for the ${handler} handler: ${describeIssues(parsed.error.issues)}`,
    );
  }
  return parsed.data;
}
