/**
 * A TCP-level fault proxy on 127.0.0.1 in front of the test RGW, for faults below HTTP: connections reset in the
 * middle of a request body, connections that go silent (bytes accepted, nothing forwarded, nothing answered), and
 * a slow downstream (server → client bytes paced), so a command can be caught mid-transfer.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export interface TcpFaults {
  /** Reset (RST) this many connections once each has carried more than `resetAfterBytes` from the client. */
  readonly resets?: number;
  readonly resetAfterBytes?: number;
  /** The first this many connections are black holes: accepted, never forwarded, never answered. */
  readonly silentConnections?: number;
  /** Server → client bytes per second (default: unlimited). */
  readonly downstreamBytesPerSecond?: number;
}

export interface TcpFaultProxy {
  readonly endpoint: string;
  /** Connections reset so far. */
  resets(): number;
  /** Connections held silent so far. */
  silenced(): number;
  close(): Promise<void>;
}

export async function startTcpFaultProxy(target: string, faults: TcpFaults): Promise<TcpFaultProxy> {
  const upstream = new URL(target);
  const sockets = new Set<Socket>();
  let resets = 0;
  let silenced = 0;
  let connections = 0;
  const server: Server = createServer((client) => {
    sockets.add(client);
    client.once('close', () => sockets.delete(client));
    client.on('error', () => undefined);
    connections++;
    if (connections <= (faults.silentConnections ?? 0)) {
      silenced++;
      client.resume(); // read and drop: the server "is there" but never answers
      return;
    }
    const server = connect(Number(upstream.port), upstream.hostname);
    sockets.add(server);
    server.once('close', () => sockets.delete(server));
    server.on('error', () => client.destroy());
    client.once('close', () => server.destroy());
    server.once('close', () => client.destroy());
    let carried = 0;
    client.on('data', (chunk: Buffer) => {
      carried += chunk.length;
      if (resets < (faults.resets ?? 0) && carried > (faults.resetAfterBytes ?? 0)) {
        resets++;
        client.resetAndDestroy();
        server.destroy();
        return;
      }
      if (!server.write(chunk)) {
        client.pause();
        server.once('drain', () => client.resume());
      }
    });
    client.once('end', () => server.end());
    const rate = faults.downstreamBytesPerSecond;
    if (!rate) {
      server.pipe(client);
      return;
    }
    // Paced: each chunk waits until the bytes sent so far fit the rate.
    const started = Date.now();
    let sent = 0;
    server.on('data', (chunk: Buffer) => {
      server.pause();
      sent += chunk.length;
      const due = started + (sent / rate) * 1000 - Date.now();
      setTimeout(
        () => {
          if (client.destroyed) return;
          client.write(chunk);
          server.resume();
        },
        Math.max(0, due),
      );
    });
    server.once('end', () => client.end());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    resets: () => resets,
    silenced: () => silenced,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
