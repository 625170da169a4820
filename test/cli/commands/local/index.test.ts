import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { decodeJwt } from 'jose';

import { buildProgram } from '../../../../cli/main';
import { runLocalCommand, runLocalTokenCommand, type LocalCommandIo } from '../../../../cli/commands/local';
import { EXIT } from '../../../../cli/shared/command-io';
import type { LocalModeOptions } from '../../../../local/runtime/local-mode';
import { PreflightError } from '../../../../local/runtime/local-preflight';
import type { ShutdownReason } from '../../../../local/runtime/shutdown';

/** An io whose local mode is a fake that records its options; "Ctrl-C" comes at once. */
function fakeIo(
  start?: (options: LocalModeOptions) => Promise<{ stop(): Promise<void> }>,
  reason: ShutdownReason = { kind: 'signal', signal: 'SIGINT' },
) {
  const out: string[] = [];
  const err: string[] = [];
  const started: LocalModeOptions[] = [];
  const stop = jest.fn(async () => undefined);
  const io: LocalCommandIo = {
    out: (line) => out.push(line),
    err: (line) => err.push(line),
    env: { AWS_ACCESS_KEY_ID: 'k' },
    watchShutdown: () => ({ reason: Promise.resolve(reason), dispose: () => undefined }),
    start:
      start ??
      (async (options) => {
        started.push(options);
        return { stop };
      }),
  };
  return { io, out, err, started, stop };
}

const dirs: string[] = [];
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

describe('stowage local', () => {
  it('maps the flags to local mode, waits for the signal, stops, exits 0', async () => {
    // Arrange
    const { io, out, started, stop } = fakeIo();

    // Act
    const code = await runLocalCommand(
      {
        port: '0',
        dataDir: '/tmp/x',
        fresh: true,
        s3Endpoint: 'http://127.0.0.1:9000',
        clamav: false,
        verbose: true,
      },
      io,
    );

    // Assert
    expect(code).toBe(EXIT.OK);
    expect(started[0]).toMatchObject({
      port: 0,
      dataDir: '/tmp/x',
      fresh: true,
      s3Endpoint: 'http://127.0.0.1:9000',
      clamav: false,
      logLevel: 'INFO',
      environment: { AWS_ACCESS_KEY_ID: 'k' },
    });
    expect(stop).toHaveBeenCalledTimes(1);
    expect(out).toEqual(['SIGINT: stopping (again to force)', 'stopped']);
  });

  it.each<[string, ShutdownReason, number, string]>([
    [
      'SIGHUP (a closed terminal)',
      { kind: 'signal', signal: 'SIGHUP' },
      0,
      'SIGHUP: stopping (again to force)',
    ],
    [
      'stdout closed',
      { kind: 'output-closed', stream: 'stdout', code: 'EPIPE' },
      0,
      'stdout closed (EPIPE): stopping',
    ],
    [
      'an uncaught error',
      { kind: 'fatal', error: new Error('boom') },
      1,
      'unexpected error, stopping: Error: boom',
    ],
  ])('stops everything on %s and exits %i', async (_name, reason, exitCode, line) => {
    // Arrange
    const { io, out, err, stop } = fakeIo(undefined, reason);
    // Act
    const code = await runLocalCommand({}, io);
    // Assert
    expect(code).toBe(exitCode);
    expect(stop).toHaveBeenCalledTimes(1);
    expect([...out, ...err].join('\n')).toContain(line);
  });

  it('defaults: port and data directory left to local mode, ClamAV on, WARN logs', async () => {
    // Arrange
    const { io, started } = fakeIo();

    // Act
    await runLocalCommand({}, io);

    // Assert
    expect(started[0]).toMatchObject({ fresh: false, clamav: true, logLevel: 'WARN' });
    expect(started[0]).not.toHaveProperty('port');
    expect(started[0]).not.toHaveProperty('dataDir');
  });

  it.each(['http', '-1', '70000', '1.5'])(
    'refuses --port %s with exit code 2, starting nothing',
    async (port) => {
      // Arrange
      const { io, err, started } = fakeIo();

      // Act
      const code = await runLocalCommand({ port }, io);

      // Assert
      expect(code).toBe(EXIT.USAGE);
      expect(err[0]).toContain(`--port must be a TCP port (1-65535, or 0 for a free one), got '${port}'`);
      expect(started).toEqual([]);
    },
  );

  it('exits 2 with the install command when servers are missing, 1 on other start failures', async () => {
    // Arrange
    const missing = fakeIo(async () => {
      throw new PreflightError('local mode needs clamd ... sudo bash scripts/install-debian-deps.sh');
    });
    const broken = fakeIo(async () => {
      throw new Error('port 8787 on 127.0.0.1 is in use: stop what listens there, or pass --port N');
    });

    // Act
    const missingCode = await runLocalCommand({}, missing.io);
    const brokenCode = await runLocalCommand({}, broken.io);

    // Assert
    expect(missingCode).toBe(EXIT.USAGE);
    expect(missing.err).toEqual([
      'stowage local: local mode needs clamd ... sudo bash scripts/install-debian-deps.sh',
    ]);
    expect(brokenCode).toBe(EXIT.FAILED);
    expect(broken.err[0]).toContain('pass --port N');
  });

  it('exits 1 when stopping fails', async () => {
    // Arrange
    const { io, err } = fakeIo(async () => ({
      stop: async () => {
        throw new Error('radosgw did not exit');
      },
    }));

    // Act / Assert
    await expect(runLocalCommand({}, io)).resolves.toBe(EXIT.FAILED);
    expect(err).toEqual(['stowage local: stopping failed: radosgw did not exit']);
  });

  it('is registered on the stowage program with its token subcommand', () => {
    // Act
    const local = buildProgram().commands.find((command) => command.name() === 'local');

    // Assert
    expect(local?.options.map((option) => option.long)).toEqual(
      expect.arrayContaining([
        '--port',
        '--data-dir',
        '--fresh',
        '--s3-endpoint',
        '--no-clamav',
        '--verbose',
      ]),
    );
    expect(local?.commands.map((command) => command.name())).toEqual(['token']);
  });
});

describe('stowage local token', () => {
  function dataDir(): string {
    const dir = mkdtempSync(path.join(tmpdir(), 'stowage-local-token-'));
    dirs.push(dir);
    return dir;
  }

  it('prints a token for the user, for the dev audience, with the asked lifetime', async () => {
    // Arrange
    const { io, out, err } = fakeIo();
    const dir = dataDir();

    // Act
    const code = await runLocalTokenCommand({ user: 'bob', expiresIn: '600', dataDir: dir }, io);

    // Assert
    expect(code).toBe(EXIT.OK);
    const claims = decodeJwt(out[0] ?? '');
    expect(claims).toMatchObject({ sub: 'bob', aud: 'stowage-dev', iss: 'stowage-local' });
    expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBe(600);
    expect(err[0]).toContain(`local mode has not run from ${dir} yet`);
  });

  it.each([
    [{ user: 'bob', expiresIn: 'soon' }, "--expires-in must be a whole number of seconds, got 'soon'"],
    [{ user: '../etc' }, 'mintToken: user:'],
    [{ user: 'bob', expiresIn: '0' }, 'mintToken: expiresInSeconds: must be at least 1'],
  ])('refuses %j with exit code 2, saying why', async (options, message) => {
    // Arrange
    const { io, out, err } = fakeIo();

    // Act
    const code = await runLocalTokenCommand({ ...options, dataDir: dataDir() }, io);

    // Assert
    expect(code).toBe(EXIT.USAGE);
    expect(out).toEqual([]);
    expect(err.join('\n')).toContain(message);
  });

  it('reads --data-dir whether it comes before or after `token`', async () => {
    // Arrange
    const dir = dataDir();
    const writes: string[] = [];
    const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      writes.push(String(chunk));
      return true;
    });
    const errSpy = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);

    try {
      // Act
      await buildProgram().parseAsync([
        'node',
        'stowage',
        'local',
        'token',
        '--user',
        'eve',
        '--data-dir',
        dir,
      ]);
      await buildProgram().parseAsync([
        'node',
        'stowage',
        'local',
        '--data-dir',
        dir,
        'token',
        '--user',
        'eve',
      ]);
    } finally {
      spy.mockRestore();
      errSpy.mockRestore();
      process.exitCode = undefined;
    }

    // Assert: both signed with the key now in that directory.
    expect(writes).toHaveLength(2);
    expect(writes.map((token) => decodeJwt(token.trim()).sub)).toEqual(['eve', 'eve']);
  });
});
