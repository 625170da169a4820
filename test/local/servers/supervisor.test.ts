import { spawn, type ChildProcess } from 'node:child_process';

import { isProcessAlive } from '../../../local/servers/process';
import { superviseServers, type Supervisor } from '../../../local/servers/supervisor';

/** A stand-in server: a real `sleep` process. */
const children: ChildProcess[] = [];
function startSleeper(): number {
  const child = spawn('sleep', ['600'], { stdio: 'ignore' });
  children.push(child);
  return child.pid!;
}

async function waitUntil(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('superviseServers', () => {
  let supervisor: Supervisor | undefined;
  afterEach(async () => {
    await supervisor?.stop();
    supervisor = undefined;
    for (const child of children.splice(0)) child.kill('SIGKILL');
  });

  it('restarts a server whose process exits, with a backoff, and says so', async () => {
    // Arrange
    const lines: string[] = [];
    const first = startSleeper();
    const restart = jest.fn(async () => [startSleeper()]);
    supervisor = superviseServers([{ name: 'clamd', pids: [first], restart }], {
      checkIntervalMs: 10,
      backoffMs: 50,
      say: (line) => lines.push(line),
    });
    // Act
    process.kill(first, 'SIGKILL');
    await waitUntil(() => supervisor!.state()[0]!.restarts === 1);
    // Assert
    const [state] = supervisor.state();
    expect(restart).toHaveBeenCalledTimes(1);
    expect(state!.pids).toHaveLength(1);
    expect(isProcessAlive(state!.pids[0]!)).toBe(true);
    expect(lines[0]).toBe(
      `stowage local: clamd pid ${first} exited unexpectedly; restarting it in 50 ms (attempt 1 of 5)`,
    );
    expect(lines[1]).toBe(`stowage local: clamd restarted (pid ${state!.pids[0]})`);
  });

  it('doubles the backoff per failure in a row and gives up after maxFailures with a clear message', async () => {
    // Arrange
    const lines: string[] = [];
    const first = startSleeper();
    const restart = jest.fn(async (): Promise<number[]> => {
      throw new Error('port 3310 is in use\nlog tail…');
    });
    supervisor = superviseServers([{ name: 'RGW', pids: [first], restart }], {
      checkIntervalMs: 10,
      backoffMs: 10,
      maxFailures: 3,
      say: (line) => lines.push(line),
    });
    // Act
    process.kill(first, 'SIGKILL');
    await waitUntil(() => supervisor!.state()[0]!.gaveUp);
    // Assert
    expect(restart).toHaveBeenCalledTimes(3);
    expect(lines.map((line) => /restarting it in (\d+) ms/.exec(line)?.[1]).filter(Boolean)).toEqual([
      '10',
      '20',
      '40',
    ]);
    expect(lines[1]).toContain('RGW could not be restarted: port 3310 is in use; restarting it in 20 ms');
    expect(lines.at(-1)).toBe(
      'stowage local: giving up on RGW after 3 failed restarts in a row (could not be restarted: port 3310 is in ' +
        'use); uploads that need it fail and are dead-lettered; restart local mode once the cause is fixed',
    );
  });

  it('counts a server that dies again soon after its restart as a failure in a row', async () => {
    // Arrange: every restarted process dies at once.
    const lines: string[] = [];
    const first = startSleeper();
    const restart = jest.fn(async () => {
      const pid = startSleeper();
      process.kill(pid, 'SIGKILL');
      return [pid];
    });
    supervisor = superviseServers([{ name: 'clamd', pids: [first], restart }], {
      checkIntervalMs: 10,
      backoffMs: 5,
      maxFailures: 2,
      say: (line) => lines.push(line),
    });
    // Act
    process.kill(first, 'SIGKILL');
    await waitUntil(() => supervisor!.state()[0]!.gaveUp);
    // Assert
    expect(restart).toHaveBeenCalledTimes(2);
    expect(lines.at(-1)).toContain('giving up on clamd after 2 failed restarts in a row');
  });

  it('does not restart anything once stopped, and stop does not wait out a backoff', async () => {
    // Arrange
    const first = startSleeper();
    const restart = jest.fn(async () => [startSleeper()]);
    const lines: string[] = [];
    supervisor = superviseServers([{ name: 'clamd', pids: [first], restart }], {
      checkIntervalMs: 10,
      backoffMs: 60_000,
      say: (line) => lines.push(line),
    });
    process.kill(first, 'SIGKILL');
    await waitUntil(() => lines.length === 1);
    // Act
    const started = Date.now();
    await supervisor.stop();
    // Assert
    expect(Date.now() - started).toBeLessThan(1000);
    expect(restart).not.toHaveBeenCalled();
  });

  it('restarts a live server that fails its health check unhealthyAfter times in a row (a hung clamd)', async () => {
    // Arrange: the process stays alive; the health check fails from now on.
    const lines: string[] = [];
    const first = startSleeper();
    let answering = true;
    const checks: boolean[] = [];
    const restart = jest.fn(async () => {
      answering = true;
      return [startSleeper()];
    });
    supervisor = superviseServers(
      [
        {
          name: 'clamd',
          pids: [first],
          restart,
          healthy: async () => {
            checks.push(answering);
            return answering;
          },
        },
      ],
      {
        checkIntervalMs: 10,
        healthCheckIntervalMs: 10,
        unhealthyAfter: 3,
        backoffMs: 10,
        say: (l) => lines.push(l),
      },
    );
    await waitUntil(() => checks.length >= 2);
    // Act
    answering = false;
    await waitUntil(() => supervisor!.state()[0]!.restarts === 1);
    // Assert
    expect(restart).toHaveBeenCalledTimes(1);
    expect(isProcessAlive(first)).toBe(true); // stopping the hung one is the restart's job (startClamd)
    expect(lines[0]).toBe(
      `stowage local: clamd (pid ${first}) did not answer 3 health checks in a row; restarting it in 10 ms (attempt 1 of 5)`,
    );
  });

  it('does not restart a server whose health check fails now and then', async () => {
    // Arrange: every other check fails.
    let calls = 0;
    const restart = jest.fn(async () => [startSleeper()]);
    supervisor = superviseServers(
      [{ name: 'clamd', pids: [startSleeper()], restart, healthy: async () => ++calls % 2 === 0 }],
      { healthCheckIntervalMs: 5, unhealthyAfter: 2, say: () => undefined },
    );
    // Act
    await waitUntil(() => calls >= 20);
    // Assert
    expect(restart).not.toHaveBeenCalled();
  });
});
