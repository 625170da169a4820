import { isTransientAwsError } from '../../../core/aws/aws-errors';
import { isPayloadHashMismatch } from '../../../core/aws/s3-errors';
import { UsageError } from '../../shared/usage-error';

/** How often and after how long a failed attempt is tried again. */
export interface RetryPolicy {
  /** Retries after the first attempt (0: try once). */
  readonly retries: number;
  /** Wait before retry 1, 2, …; past the end of the list each wait doubles the previous one. */
  readonly delaysMs: readonly number[];
}

/** Defaults: 3 retries after 5, 10 and 20 seconds. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = { retries: 3, delaysMs: [5_000, 10_000, 20_000] };

/** `--retries N` and `--retry-delays 5,10,20` (seconds, fractions allowed) into a policy. */
export function parseRetryPolicy(retries: string | undefined, delays: string | undefined): RetryPolicy {
  const count = retries === undefined ? DEFAULT_RETRY_POLICY.retries : Number(retries);
  if (!Number.isInteger(count) || count < 0 || count > 20) {
    throw new UsageError(`--retries must be a whole number from 0 to 20, got '${retries}'`);
  }
  if (delays === undefined) return { retries: count, delaysMs: DEFAULT_RETRY_POLICY.delaysMs };
  const delaysMs = delays.split(',').map((part) => {
    const seconds = Number(part.trim());
    if (part.trim() === '' || !Number.isFinite(seconds) || seconds < 0 || seconds > 3600) {
      throw new UsageError(
        `--retry-delays must be seconds separated by commas, e.g. 5,10,20, got '${delays}'`,
      );
    }
    return Math.round(seconds * 1000);
  });
  return { retries: count, delaysMs };
}

/** The wait before retry number `retry` (1-based): from the list, then exponential. */
export function retryDelayMs(policy: RetryPolicy, retry: number): number {
  const listed = policy.delaysMs[retry - 1];
  if (listed !== undefined) return listed;
  const last = policy.delaysMs[policy.delaysMs.length - 1] ?? 1_000;
  return last * 2 ** (retry - policy.delaysMs.length);
}

export interface RetryHooks {
  readonly sleep: (ms: number) => Promise<void>;
  /** Whether a failure is worth another attempt. */
  readonly isRetryable: (error: unknown) => boolean;
  /** Called before each wait. */
  readonly onRetry?: (error: unknown, retry: number, delayMs: number) => void;
}

/** Runs `attempt` until it succeeds, fails with a non-retryable error, or the retries are spent. */
export async function withRetries<T>(
  attempt: (attemptNumber: number) => Promise<T>,
  policy: RetryPolicy,
  hooks: RetryHooks,
): Promise<T> {
  for (let retry = 0; ; retry++) {
    try {
      return await attempt(retry + 1);
    } catch (error) {
      if (retry >= policy.retries || !hooks.isRetryable(error)) throw error;
      const delayMs = retryDelayMs(policy, retry + 1);
      hooks.onRetry?.(error, retry + 1, delayMs);
      await hooks.sleep(delayMs);
    }
  }
}

/**
 * Worth another attempt: what core/aws/aws-errors classifies as transient (network failures, timeouts, throttling,
 * server-side errors), and a body whose SHA-256 differs from the signed one: damaged on the way (a file that changed
 * is told apart before). Not access, missing buckets or bad input.
 */
export function isTransientError(error: unknown): boolean {
  return isTransientAwsError(error) || isPayloadHashMismatch(error);
}
