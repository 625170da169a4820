import {
  DEFAULT_RETRY_POLICY,
  isTransientError,
  parseRetryPolicy,
  retryDelayMs,
  withRetries,
} from '../../../../cli/commands/backup/retry';

describe('retry policy', () => {
  it('defaults to 3 retries after 5, 10 and 20 seconds, then doubles', () => {
    expect(parseRetryPolicy(undefined, undefined)).toEqual(DEFAULT_RETRY_POLICY);
    expect([1, 2, 3, 4, 5].map((n) => retryDelayMs(DEFAULT_RETRY_POLICY, n))).toEqual([
      5000, 10000, 20000, 40000, 80000,
    ]);
  });

  it('parses --retries and --retry-delays (seconds) and refuses nonsense', () => {
    expect(parseRetryPolicy('2', '0.5, 1')).toEqual({ retries: 2, delaysMs: [500, 1000] });
    expect(() => parseRetryPolicy('-1', undefined)).toThrow('--retries must be a whole number');
    expect(() => parseRetryPolicy('1', '5,,10')).toThrow('--retry-delays must be seconds');
  });

  it('retries transient failures with the policy delays and stops at the first success', async () => {
    // Arrange
    const sleeps: number[] = [];
    const attempts: number[] = [];
    const transient = Object.assign(new Error('reset'), { code: 'ECONNRESET' });
    // Act
    const result = await withRetries(
      async (n) => {
        attempts.push(n);
        if (n < 3) throw transient;
        return 'done';
      },
      { retries: 5, delaysMs: [1, 2] },
      { sleep: async (ms) => void sleeps.push(ms), isRetryable: isTransientError },
    );
    // Assert
    expect(result).toBe('done');
    expect(attempts).toEqual([1, 2, 3]);
    expect(sleeps).toEqual([1, 2]);
  });

  it('rethrows a permanent failure at once and the last failure when retries are spent', async () => {
    const sleeps: number[] = [];
    const hooks = { sleep: async (ms: number) => void sleeps.push(ms), isRetryable: isTransientError };
    const denied = Object.assign(new Error('denied'), {
      name: 'AccessDenied',
      $metadata: { httpStatusCode: 403 },
    });
    await expect(
      withRetries(() => Promise.reject(denied), { retries: 3, delaysMs: [1] }, hooks),
    ).rejects.toBe(denied);
    const slow = Object.assign(new Error('slow'), { name: 'SlowDown', $metadata: { httpStatusCode: 503 } });
    await expect(withRetries(() => Promise.reject(slow), { retries: 2, delaysMs: [1] }, hooks)).rejects.toBe(
      slow,
    );
    expect(sleeps).toEqual([1, 2]);
  });

  it('classifies network, throttling and 5xx errors as transient, client errors not', () => {
    expect(isTransientError(Object.assign(new Error('x'), { code: 'ETIMEDOUT' }))).toBe(true);
    expect(isTransientError(Object.assign(new Error('x'), { $metadata: { httpStatusCode: 500 } }))).toBe(
      true,
    );
    expect(isTransientError(Object.assign(new Error('x'), { $metadata: { httpStatusCode: 429 } }))).toBe(
      true,
    );
    expect(isTransientError(Object.assign(new Error('x'), { $metadata: { httpStatusCode: 404 } }))).toBe(
      false,
    );
    expect(isTransientError(Object.assign(new Error('x'), { code: 'ENOENT' }))).toBe(false);
    expect(isTransientError('nope')).toBe(false);
  });
});
