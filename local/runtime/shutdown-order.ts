/**
 * The order in which local mode stops what it started, by name: start-up registers each thing under its step as
 * soon as it exists, and stopping runs the steps in SHUTDOWN_ORDER whatever order start-up got to (a failed start
 * stops only what was registered). Changing the order means editing this list, which its test pins.
 */

/** The steps, first to last. */
export const SHUTDOWN_ORDER = [
  /** Stop restarting servers, so that the servers being stopped below are not started again. */
  'supervision',
  /** Stop taking requests: the API, the page, the JWKS. */
  'http',
  /** The backup verifier's schedule (a run in progress finishes). */
  'verifier',
  /** The notification receiver and the queues (batches in flight finish). */
  'queues',
  /** Report the last dead letters. */
  'dead-letters',
  /** Flush the handlers' metric totals. */
  'metrics',
  /** S3 clients. */
  'clients',
  /** The servers this run started (RGW, clamd); reused ones are left running. */
  'servers',
  /** local.json says stopped. */
  'state',
  /** The data directory's lock, last: until here another local mode must not start on it. */
  'lock',
] as const;

export type ShutdownStep = (typeof SHUTDOWN_ORDER)[number];

type Stopper = () => Promise<void> | void;

/** What local mode has to stop, by step. */
export class ShutdownPlan {
  private readonly steps = new Map<ShutdownStep, Stopper[]>();

  /** Registers `stop` under `step`; several in one step run newest first. */
  add(step: ShutdownStep, stop: Stopper): void {
    const stoppers = this.steps.get(step) ?? [];
    stoppers.unshift(stop);
    this.steps.set(step, stoppers);
  }

  /** What is registered, one entry per stopper, in the order run() stops them (start-up's tests read it). */
  registered(): ShutdownStep[] {
    return SHUTDOWN_ORDER.flatMap((step) => (this.steps.get(step) ?? []).map(() => step));
  }

  /**
   * Runs every registered stopper in SHUTDOWN_ORDER, each even when an earlier one failed, and returns what failed
   * (empty: all stopped). What ran is forgotten, so a second call stops nothing twice.
   */
  async run(): Promise<string[]> {
    const problems: string[] = [];
    for (const step of SHUTDOWN_ORDER) {
      const stoppers = this.steps.get(step) ?? [];
      this.steps.delete(step);
      for (const stop of stoppers) {
        try {
          await stop();
        } catch (error) {
          problems.push(`${step}: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
    }
    return problems;
  }
}
