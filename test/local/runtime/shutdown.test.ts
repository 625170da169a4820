import { EventEmitter } from 'node:events';

import {
  describeShutdown,
  FORCED_EXIT_CODE,
  shutdownExitCode,
  STOP_SIGNALS,
  watchForShutdown,
  type ShutdownHost,
} from '../../../local/runtime/shutdown';

/** A stand-in for `process`: an emitter with stdout/stderr emitters and a recorded exit. */
function fakeHost(): ShutdownHost &
  EventEmitter & { stdout: EventEmitter; stderr: EventEmitter; exits: number[] } {
  const host = new EventEmitter() as EventEmitter & {
    stdout: EventEmitter;
    stderr: EventEmitter;
    exits: number[];
    exit(code: number): void;
  };
  host.stdout = new EventEmitter();
  host.stderr = new EventEmitter();
  host.exits = [];
  host.exit = (code) => void host.exits.push(code);
  return host;
}

function epipe(): Error {
  return Object.assign(new Error('write EPIPE'), { code: 'EPIPE' });
}

describe('watchForShutdown', () => {
  it.each(STOP_SIGNALS)('resolves with %s', async (signal) => {
    // Arrange
    const host = fakeHost();
    const watch = watchForShutdown(host);
    // Act
    host.emit(signal, signal);
    // Assert
    await expect(watch.reason).resolves.toEqual({ kind: 'signal', signal });
  });

  it('resolves when stdout is closed, and swallows every later write error on it', async () => {
    // Arrange
    const host = fakeHost();
    const watch = watchForShutdown(host);
    // Act: without a listener, EventEmitter would throw these.
    host.stdout.emit('error', epipe());
    host.stdout.emit('error', epipe());
    watch.dispose();
    host.stdout.emit('error', epipe());
    host.stderr.emit('error', epipe());
    // Assert
    await expect(watch.reason).resolves.toEqual({ kind: 'output-closed', stream: 'stdout', code: 'EPIPE' });
  });

  it.each(['uncaughtException', 'unhandledRejection'])('resolves as fatal on %s', async (event) => {
    // Arrange
    const host = fakeHost();
    const watch = watchForShutdown(host);
    const error = new Error('boom');
    // Act
    host.emit(event, error);
    // Assert
    const reason = await watch.reason;
    expect(reason).toEqual({ kind: 'fatal', error });
    expect(shutdownExitCode(reason)).toBe(1);
  });

  it('exits at once on a second stop signal while stopping', async () => {
    // Arrange
    const host = fakeHost();
    const watch = watchForShutdown(host);
    host.emit('SIGINT', 'SIGINT');
    await watch.reason;
    // Act
    host.emit('SIGTERM', 'SIGTERM');
    // Assert
    expect(host.exits).toEqual([FORCED_EXIT_CODE]);
  });

  it('removes its signal listeners on dispose', () => {
    // Arrange
    const host = fakeHost();
    const watch = watchForShutdown(host);
    // Act
    watch.dispose();
    // Assert
    for (const event of [...STOP_SIGNALS, 'uncaughtException', 'unhandledRejection']) {
      expect(host.listenerCount(event)).toBe(0);
    }
  });

  it('says why it stops', () => {
    expect(describeShutdown({ kind: 'signal', signal: 'SIGHUP' })).toBe('SIGHUP: stopping (again to force)');
    expect(describeShutdown({ kind: 'output-closed', stream: 'stdout', code: 'EPIPE' })).toBe(
      'stdout closed (EPIPE): stopping',
    );
    expect(shutdownExitCode({ kind: 'signal', signal: 'SIGTERM' })).toBe(0);
  });
});
