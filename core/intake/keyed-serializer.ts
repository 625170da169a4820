/**
 * Runs tasks with the same key one after another and tasks with different keys concurrently. Batch handlers
 * process records in parallel; two records about the same object (a duplicate delivery inside one batch) must
 * not race, or both would copy and both would publish. Run in turn, the second sees the first one's final
 * status and takes the duplicate path.
 */
export class KeyedSerializer {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    // The next task waits for this one whether it succeeds or fails; each caller still sees its own outcome.
    const result = previous.then(task, task);
    const tail = result.catch(() => undefined);
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }

  /** Keys with a task queued or running. */
  get size(): number {
    return this.tails.size;
  }
}
