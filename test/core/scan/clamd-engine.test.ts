import { createHash } from 'node:crypto';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';

import {
  clamdScanTimeoutMs,
  createClamdEngine,
  DEFAULT_SCAN_THROUGHPUT_BYTES_PER_SECOND,
  DEFAULT_SCAN_TIMEOUT_FLOOR_MS,
  type ClamdEngineOptions,
} from '../../../core/scan/clamd-engine';
import { eicarBytes } from '../../../core/scan/eicar';
import { scanStream } from '../../../core/scan/scan-stream';
import type { EngineVerdict } from '../../../core/scan/verdict';
import { chunked, pseudoRandom } from './fixtures';

const MiB = 1024 * 1024;

type Behaviour =
  | { kind: 'reply'; text: string }
  | { kind: 'eicar-aware' }
  | { kind: 'size-limit'; afterBytes: number }
  | { kind: 'silent' }
  | { kind: 'close-after'; afterBytes: number };

interface FakeClamd {
  readonly port: number;
  /** SHA-256 of the bytes received in INSTREAM chunks, per connection. */
  readonly received: string[];
  readonly commands: string[];
  close(): Promise<void>;
}

/** A clamd stand-in speaking INSTREAM: parses the command and the length-prefixed chunks. */
async function startFakeClamd(behaviour: Behaviour): Promise<FakeClamd> {
  const received: string[] = [];
  const commands: string[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let buffer = Buffer.alloc(0);
    let command: string | undefined;
    let total = 0;
    const hash = createHash('sha256');
    const payload: Buffer[] = [];
    socket.on('data', (data: Buffer) => {
      buffer = Buffer.concat([buffer, data]);
      if (command === undefined) {
        const end = buffer.indexOf(0);
        if (end === -1) return;
        command = buffer.subarray(0, end).toString('latin1');
        commands.push(command);
        buffer = buffer.subarray(end + 1);
      }
      while (buffer.length >= 4) {
        const length = buffer.readUInt32BE(0);
        if (buffer.length < 4 + length) return;
        const chunk = buffer.subarray(4, 4 + length);
        buffer = buffer.subarray(4 + length);
        if (length === 0) {
          received.push(hash.digest('hex'));
          return finish(Buffer.concat(payload));
        }
        hash.update(chunk);
        total += length;
        if (behaviour.kind === 'eicar-aware') payload.push(Buffer.from(chunk));
        if (behaviour.kind === 'size-limit' && total > behaviour.afterBytes) {
          socket.end('INSTREAM size limit exceeded. ERROR\0');
          return;
        }
        if (behaviour.kind === 'close-after' && total > behaviour.afterBytes) {
          socket.destroy();
          return;
        }
      }
    });
    const finish = (body: Buffer): void => {
      if (behaviour.kind === 'reply') socket.end(behaviour.text);
      if (behaviour.kind === 'eicar-aware') {
        socket.end(
          body.includes(eicarBytes()) ? 'stream: Eicar-Test-Signature.UNOFFICIAL FOUND\0' : 'stream: OK\0',
        );
      }
    };
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    received,
    commands,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

async function unusedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('clamd engine (fake clamd)', () => {
  let fake: FakeClamd | undefined;
  afterEach(async () => {
    await fake?.close();
    fake = undefined;
  });

  async function scanWith(
    behaviour: Behaviour,
    data: Uint8Array,
    options: ClamdEngineOptions = {},
  ): Promise<EngineVerdict> {
    fake = await startFakeClamd(behaviour);
    const engine = createClamdEngine({ host: '127.0.0.1', port: fake.port, ...options });
    return engine.scan(chunked(data, 100_000), { fileName: 'a.bin' });
  }

  it('sends zINSTREAM and every byte in chunks, and reads OK as CLEAN', async () => {
    // Arrange
    const data = pseudoRandom(3 * MiB + 5);
    // Act
    const verdict = await scanWith({ kind: 'reply', text: 'stream: OK\0' }, data, { chunkSize: 32 * 1024 });
    // Assert
    expect(verdict).toEqual({ status: 'CLEAN', engine: 'clamav', bytesScanned: data.length });
    expect(fake!.commands).toEqual(['zINSTREAM']);
    expect(fake!.received).toEqual([createHash('sha256').update(data).digest('hex')]);
  });

  it('reads FOUND as INFECTED and strips .UNOFFICIAL', async () => {
    // Arrange
    const data = Buffer.concat([pseudoRandom(10_000), eicarBytes()]);
    // Act
    const verdict = await scanWith({ kind: 'eicar-aware' }, data);
    // Assert
    expect(verdict).toMatchObject({
      status: 'INFECTED',
      engine: 'clamav',
      signature: 'Eicar-Test-Signature',
    });
  });

  it('reads an ERROR reply as ERROR', async () => {
    // Arrange
    const data = pseudoRandom(1000);
    // Act
    const verdict = await scanWith({ kind: 'reply', text: 'stream: Can not allocate memory ERROR\0' }, data);
    // Assert
    expect(verdict).toMatchObject({
      status: 'ERROR',
      reason: 'clamd error: stream: Can not allocate memory ERROR',
    });
  });

  it('reads a scan-limit heuristic as ERROR, never CLEAN', async () => {
    // Arrange
    const data = pseudoRandom(1000);
    // Act
    const verdict = await scanWith(
      { kind: 'reply', text: 'stream: Heuristics.Limits.Exceeded.MaxScanSize FOUND\0' },
      data,
    );
    // Assert
    expect(verdict).toMatchObject({ status: 'ERROR', signature: 'Heuristics.Limits.Exceeded.MaxScanSize' });
  });

  it('reports the size-limit reply that clamd sends mid-stream as ERROR', async () => {
    // Arrange
    const data = pseudoRandom(8 * MiB);
    // Act
    const verdict = await scanWith({ kind: 'size-limit', afterBytes: MiB }, data);
    // Assert
    expect(verdict).toMatchObject({
      status: 'ERROR',
      reason: 'clamd error: INSTREAM size limit exceeded. ERROR',
    });
    expect(verdict.bytesScanned).toBeLessThan(data.length);
  });

  it('times out on a clamd that never answers', async () => {
    // Arrange
    const data = pseudoRandom(1000);
    // Act
    const verdict = await scanWith({ kind: 'silent' }, data, { idleTimeoutMs: 200, scanTimeoutFloorMs: 300 });
    // Assert
    expect(verdict).toMatchObject({ status: 'ERROR' });
    expect(verdict.reason).toMatch(/did not respond in time/);
  });

  it('reports a refused connection as ERROR', async () => {
    // Arrange
    const port = await unusedPort();
    const engine = createClamdEngine({ port, connectTimeoutMs: 1000 });
    // Act
    const verdict = await engine.scan(chunked(pseudoRandom(100)), {});
    // Assert
    expect(verdict).toMatchObject({ status: 'ERROR', engine: 'clamav', bytesScanned: 0 });
    expect(verdict.reason).toMatch(/cannot connect to clamd at 127\.0\.0\.1:\d+: .*ECONNREFUSED/);
  });

  it('stops and reports ERROR when the scan is aborted while clamd is silent', async () => {
    // Arrange
    fake = await startFakeClamd({ kind: 'silent' });
    const controller = new AbortController();
    const engine = createClamdEngine({ port: fake.port });
    setTimeout(() => controller.abort(new Error('deadline')), 100);
    // Act
    const verdict = await engine.scan(chunked(pseudoRandom(1000)), {}, controller.signal);
    // Assert
    expect(verdict).toMatchObject({ status: 'ERROR', reason: 'scan aborted: deadline' });
  });

  it('reports clamd closing the connection mid-stream as ERROR', async () => {
    // Arrange
    const data = pseudoRandom(16 * MiB);
    // Act
    const verdict = await scanWith({ kind: 'close-after', afterBytes: MiB }, data);
    // Assert: ERROR, and the reason points at the usual cause (the stream is over clamd's size limit).
    expect(verdict.status).toBe('ERROR');
    expect(verdict.reason).toMatch(/clamd/);
    expect(verdict.reason).toContain('exceeds its size limit, StreamMaxLength');
  });

  it('refuses objects above maxStreamLength without a CLEAN verdict', async () => {
    // Arrange
    const data = pseudoRandom(2 * MiB);
    // Act
    const verdict = await scanWith({ kind: 'reply', text: 'stream: OK\0' }, data, { maxStreamLength: MiB });
    // Assert
    expect(verdict).toMatchObject({ status: 'ERROR' });
    expect(verdict.reason).toContain('maxStreamLength');
  });

  it('runs next to the built-in engine in one pass through scanStream', async () => {
    // Arrange: clamd finds what the built-in engine cannot (a signature outside its knowledge).
    fake = await startFakeClamd({ kind: 'reply', text: 'stream: Win.Test.Other FOUND\0' });
    const data = pseudoRandom(2 * MiB);
    const { createBuiltinEngine } = await import('../../../core/scan/builtin-engine');
    // Act
    const verdict = await scanStream(
      chunked(data, 65_536),
      [createBuiltinEngine({ allowedTypes: 'any' }), createClamdEngine({ port: fake.port })],
      { fileName: 'x.bin' },
    );
    // Assert
    expect(verdict).toMatchObject({ status: 'INFECTED', engine: 'clamav', signature: 'Win.Test.Other' });
    expect(fake.received).toEqual([createHash('sha256').update(data).digest('hex')]);
  });

  it('does not wait for a hung clamd once the built-in engine found EICAR', async () => {
    // Arrange: clamd accepts and reads but never answers; its timeouts are far away.
    fake = await startFakeClamd({ kind: 'silent' });
    const data = Buffer.concat([eicarBytes(), pseudoRandom(4 * MiB)]);
    const { createBuiltinEngine } = await import('../../../core/scan/builtin-engine');
    const started = Date.now();
    // Act
    const verdict = await scanStream(
      chunked(data, 65_536),
      [createBuiltinEngine(), createClamdEngine({ port: fake.port, scanTimeoutFloorMs: 60_000 })],
      { fileName: 'x.bin' },
    );
    // Assert
    expect(Date.now() - started).toBeLessThan(3000);
    expect(verdict).toMatchObject({
      status: 'INFECTED',
      engine: 'builtin',
      signature: 'Eicar-Test-Signature',
    });
    expect(verdict.engines[1]).toMatchObject({
      engine: 'clamav',
      status: 'ERROR',
      reason: 'not needed: builtin found the object INFECTED',
    });
  });

  it('gives a hung clamd the floor plus size-based time, then reports ERROR for a clean object', async () => {
    // Arrange
    fake = await startFakeClamd({ kind: 'silent' });
    const data = pseudoRandom(MiB);
    const engine = createClamdEngine({
      port: fake.port,
      scanTimeoutFloorMs: 300,
      scanThroughputBytesPerSecond: 2 * MiB,
    });
    const started = Date.now();
    // Act
    const verdict = await engine.scan(chunked(data, 65_536), {});
    // Assert: 300 ms + 1 MiB at 2 MiB/s = 800 ms.
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(750);
    expect(elapsed).toBeLessThan(3000);
    expect(verdict).toMatchObject({ status: 'ERROR', engine: 'clamav' });
    expect(verdict.reason).toContain(`no verdict within the scan timeout, 800 ms for ${MiB} bytes`);
  });

  it('reports a clamd that died between scans as ERROR at once', async () => {
    // Arrange: a working clamd that then goes away.
    fake = await startFakeClamd({ kind: 'reply', text: 'stream: OK\0' });
    const engine = createClamdEngine({ port: fake.port });
    expect(await engine.scan(chunked(pseudoRandom(100)), {})).toMatchObject({ status: 'CLEAN' });
    await fake.close();
    fake = undefined;
    // Act
    const verdict = await engine.scan(chunked(pseudoRandom(100)), {});
    // Assert
    expect(verdict).toMatchObject({ status: 'ERROR', bytesScanned: 0 });
    expect(verdict.reason).toMatch(/ECONNREFUSED/);
  });

  it.each([
    [0, 15_000],
    [16 * MiB, 16_000],
    [1024 * MiB, 79_000],
  ])('scan timeout for %i bytes is %i ms with the defaults', (bytes, expected) => {
    expect(
      clamdScanTimeoutMs(bytes, {
        floorMs: DEFAULT_SCAN_TIMEOUT_FLOOR_MS,
        bytesPerSecond: DEFAULT_SCAN_THROUGHPUT_BYTES_PER_SECOND,
      }),
    ).toBe(expected);
  });

  it('rejects invalid options', () => {
    // Arrange
    const options = { port: 70000, chunkSize: 0 };
    // Act
    const create = () => createClamdEngine(options);
    // Assert
    expect(create).toThrow(/port must be 1-65535, got 70000; chunkSize must be positive, got 0/);
  });
});
