import type { LocalIntake } from './local-intake';

/** How often dead letters are looked for and reported. */
const DEAD_LETTER_POLL_MS = 2_000;

/** Reports new dead letters of the pipeline's queues on `err` until the returned function is called. */
export function watchDeadLetters(intake: LocalIntake, err: (line: string) => void): () => void {
  const reported = new Map<string, number>();
  const check = (): void => {
    for (const [name, queue] of Object.entries(intake.queues)) {
      const letters = queue.deadLettered;
      for (const letter of letters.slice(reported.get(name) ?? 0)) {
        err(
          `dead letter on the ${name} queue after ${letter.receiveCount} receives (message ${letter.messageId}): ` +
            `${letter.lastError}`,
        );
      }
      reported.set(name, letters.length);
    }
  };
  const timer = setInterval(check, DEAD_LETTER_POLL_MS);
  timer.unref();
  return () => {
    clearInterval(timer);
    check();
  };
}
