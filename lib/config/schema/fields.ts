/**
 * Field types and handler settings every section of the environment config shares: day counts, regions, IAM ARNs,
 * log levels, and the size, time and concurrency of a handler (plain, or fed by an SQS queue).
 */
import { z } from 'zod';

/** A positive whole number of days. */
export const days = z.number().int('must be a whole number of days').positive('must be at least 1 day');
/** An AWS region name such as eu-west-1. */
export const awsRegion = z
  .string()
  .regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, 'must be an AWS region such as eu-west-1');
/** An IAM role or user ARN. */
export const iamArn = z
  .string()
  .regex(/^arn:aws[a-z-]*:iam::\d{12}:(role|user)\/.+$/, 'must be an IAM role or user ARN');

/** Log levels of the handlers' structured (Powertools) logs. */
export const LOG_LEVELS = ['DEBUG', 'INFO', 'WARN', 'ERROR'] as const;

/** Size, time and concurrency of one handler. */
export const handlerSettingsSchema = z.object({
  /** Memory in MB (Lambda allots CPU in proportion). */
  memoryMb: z.number().int().min(128, 'must be at least 128 MB').max(10240, 'must be at most 10240 MB'),
  /** Timeout in seconds. */
  timeoutSeconds: z
    .number()
    .int()
    .min(1, 'must be at least 1 second')
    .max(900, 'must be at most 900 seconds'),
  /** Reserved concurrency: a cap that also protects the account's pool. */
  reservedConcurrency: z.number().int().min(1, 'must be at least 1'),
});

/** Settings of a handler fed by an SQS queue. */
export const queueHandlerSettingsSchema = handlerSettingsSchema.extend({
  /** Messages per invocation (partial batch responses report each failed one). */
  batchSize: z.number().int().min(1, 'must be at least 1').max(10, 'must be at most 10'),
  /** Reserved concurrency; also the event source's maximum concurrency, which SQS needs to be at least 2. */
  reservedConcurrency: z.number().int().min(2, 'must be at least 2 (SQS event sources scale from 2)'),
});
