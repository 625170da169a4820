import { connect } from 'node:net';
import { fail, pass, skip, type CheckResult } from './check';

export interface ClamdTarget {
  readonly host: string;
  readonly port: number;
  /** Where the address came from, for the detail line. */
  readonly source: '--clamd' | 'intake.clamdAddress';
}

const NAME = 'clamd';

/** PING over TCP answered by PONG; SKIP when no clamd is configured (the ClamAV engine is off). */
export async function clamdCheck(target: ClamdTarget | undefined, timeoutMs = 3_000): Promise<CheckResult> {
  if (target === undefined) {
    return skip(
      NAME,
      'no clamd configured (intake.clamdAddress unset: the ClamAV engine is off)',
      'pass --clamd host:port to check one',
    );
  }
  const where = `${target.host}:${target.port} (${target.source})`;
  const outcome = await ping(target.host, target.port, timeoutMs);
  if (outcome.ok) return pass(NAME, `${where} answered PONG`);
  return fail(
    NAME,
    `${where}: ${outcome.problem}`,
    'is clamd running with TCPSocket/TCPAddr set, and reachable from here (a fleet is usually only reachable inside ' +
      'its VPC: run doctor there, or check the security group)?',
  );
}

function ping(
  host: string,
  port: number,
  timeoutMs: number,
): Promise<{ ok: true } | { ok: false; problem: string }> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    let reply = '';
    let settled = false;
    const finish = (result: { ok: true } | { ok: false; problem: string }): void => {
      if (settled) return;
      settled = true;
      socket.destroy();
      resolve(result);
    };
    const judge = (): void => {
      const text = reply.replace(/\0/g, '').trim();
      finish(
        text === 'PONG'
          ? { ok: true }
          : { ok: false, problem: `answered ${JSON.stringify(text)} instead of PONG` },
      );
    };
    socket.setTimeout(timeoutMs, () => finish({ ok: false, problem: `no answer within ${timeoutMs} ms` }));
    socket.on('error', (error: NodeJS.ErrnoException) =>
      finish({ ok: false, problem: `cannot connect: ${error.code ?? error.message}` }),
    );
    socket.on('connect', () => socket.write('zPING\0'));
    socket.on('data', (chunk: Buffer) => {
      reply += chunk.toString('utf8');
      if (reply.includes('\0')) judge();
    });
    socket.on('end', judge);
  });
}
