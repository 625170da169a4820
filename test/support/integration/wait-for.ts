/**
 * Polls `probe` until it returns a value other than undefined, or fails after `timeoutMs` naming what it waited
 * for and the last value seen. For conditions reached asynchronously (events, queues): never a fixed sleep.
 */
export async function waitFor<T>(
  description: string,
  probe: () => Promise<T | undefined> | T | undefined,
  options: { readonly timeoutMs?: number; readonly intervalMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 15_000);
  const intervalMs = options.intervalMs ?? 20;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${options.timeoutMs ?? 15_000} ms waiting for ${description}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
