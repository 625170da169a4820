import { createServer, type Server } from 'node:net';
import { clamdCheck } from '../../../../cli/commands/doctor/clamd-check';

/** A TCP server on a free loopback port answering each connection with `reply` (or nothing). */
async function fakeClamd(
  reply: string | undefined,
): Promise<{ port: number; server: Server; received: string[] }> {
  const received: string[] = [];
  const server = createServer((socket) => {
    socket.on('data', (data) => {
      received.push(data.toString('utf8'));
      if (reply !== undefined) socket.end(reply);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return { port: address.port, server, received };
}

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

describe('clamd check', () => {
  it('passes when clamd answers PING with PONG', async () => {
    const clamd = await fakeClamd('PONG\0');
    servers.push(clamd.server);
    const result = await clamdCheck({ host: '127.0.0.1', port: clamd.port, source: '--clamd' });
    expect(result).toEqual({
      name: 'clamd',
      status: 'PASS',
      detail: `127.0.0.1:${clamd.port} (--clamd) answered PONG`,
    });
    expect(clamd.received.join('')).toBe('zPING\0');
  });

  it('fails another answer, a silent server and a closed port, with the reachability hint', async () => {
    const wrong = await fakeClamd('UNKNOWN COMMAND\0');
    const silent = await fakeClamd(undefined);
    servers.push(wrong.server, silent.server);
    const closed = await fakeClamd(undefined);
    await new Promise((resolve) => closed.server.close(resolve));

    const results = await Promise.all([
      clamdCheck({ host: '127.0.0.1', port: wrong.port, source: 'intake.clamdAddress' }),
      clamdCheck({ host: '127.0.0.1', port: silent.port, source: '--clamd' }, 200),
      clamdCheck({ host: '127.0.0.1', port: closed.port, source: '--clamd' }),
    ]);
    expect(results.map((r) => r.status)).toEqual(['FAIL', 'FAIL', 'FAIL']);
    expect(results[0]!.detail).toMatch(/answered "UNKNOWN COMMAND" instead of PONG/);
    expect(results[1]!.detail).toMatch(/no answer within 200 ms/);
    expect(results[2]!.detail).toMatch(/cannot connect: ECONNREFUSED/);
    expect(results[2]!.hint).toMatch(/TCPSocket/);
  });

  it('is SKIP when no clamd is configured', async () => {
    const result = await clamdCheck(undefined);
    expect(result.status).toBe('SKIP');
    expect(result.detail).toMatch(/intake.clamdAddress unset/);
  });
});
