/** Port helpers for the local test servers. */
import { createServer } from 'node:net';
import type { Server } from 'node:net';

/** Loopback only: the test servers never listen on other interfaces. */
export const LOOPBACK = '127.0.0.1';

/**
 * Asks the kernel for `count` distinct free TCP ports on the loopback interface. The ports are released
 * before they are used, so another process could take one in between; servers then fail fast with a
 * clear error naming the port.
 */
export async function getFreePorts(count: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const server = createServer();
      servers.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, LOOPBACK, resolve);
      });
    }
    return servers.map((server) => {
      const address = server.address();
      if (!address || typeof address !== 'object') throw new Error('could not determine a free port');
      return address.port;
    });
  } finally {
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  }
}

/** One free TCP port on the loopback interface (see {@link getFreePorts}). */
export async function getFreePort(): Promise<number> {
  const [port] = await getFreePorts(1);
  return port;
}

/**
 * True when nothing listens on `port` of the loopback interface (a listen there succeeds); false when it is in
 * use. Other errors (e.g. EACCES for a privileged port) are thrown.
 */
export async function isPortFree(port: number): Promise<boolean> {
  const server = createServer();
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, LOOPBACK, resolve);
    });
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') return false;
    throw error;
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}

/** A port asked for: its number, and the environment variable it came from (absent: an option). */
export interface GivenPort {
  readonly port: number;
  readonly variable?: string;
}

/** The port asked for: `explicit` when given, else the environment variable `variable` when set, else none. */
export function givenPort(
  explicit: number | undefined,
  variable: string,
  environment: Readonly<Record<string, string | undefined>>,
): GivenPort | undefined {
  if (explicit !== undefined) return { port: explicit };
  const fromEnv = environment[variable];
  return fromEnv ? { port: Number(fromEnv), variable } : undefined;
}

/**
 * Resolves ports: each explicit value, else its environment variable, else a free port (all free ports
 * are picked together, so they differ). Throws when a value is not a TCP port or two resolve alike.
 */
export async function resolvePorts(
  wanted: readonly { readonly explicit: number | undefined; readonly envName: string }[],
): Promise<number[]> {
  return completePorts(
    wanted.map(({ explicit, envName }) => givenPort(explicit, envName, process.env)),
    wanted.map(({ envName }) => envName),
  );
}

/**
 * Validates the given ports and picks free ones for the rest (together, so they differ). `names` are the ports'
 * environment variables, for messages. Throws when a value is not a TCP port or two resolve alike.
 */
export async function completePorts(
  given: readonly (GivenPort | undefined)[],
  names: readonly string[],
): Promise<number[]> {
  const valid = given.map((wanted) =>
    wanted === undefined ? undefined : validatePort(wanted.port, wanted.variable ?? 'port option'),
  );
  const free = await getFreePorts(valid.filter((port) => port === undefined).length);
  let next = 0;
  const ports = valid.map((port) => port ?? free[next++]);
  if (new Set(ports).size !== ports.length) {
    throw new Error(`ports must differ, got ${ports.join(', ')} for ${names.join(', ')}`);
  }
  return ports;
}

function validatePort(port: number, source: string): number {
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`${source} must be a TCP port (1-65535), got ${String(port)}`);
  }
  return port;
}
