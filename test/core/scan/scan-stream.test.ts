import { createHash, randomFillSync } from 'node:crypto';
import { Readable } from 'node:stream';

import { createBuiltinEngine } from '../../../core/scan/builtin-engine';
import { eicarBytes } from '../../../core/scan/eicar';
import type { ScanEngine, ScanInput } from '../../../core/scan/scan-engine';
import { scanStream } from '../../../core/scan/scan-stream';
import type { EngineVerdict, ScanStatus } from '../../../core/scan/verdict';
import { chunked, minimalWav, pseudoRandom } from './fixtures';

const MiB = 1024 * 1024;

/** An engine that reads everything and answers a fixed status. */
function fixedEngine(name: string, status: ScanStatus, extra: Partial<EngineVerdict> = {}): ScanEngine {
  return {
    name,
    async scan(input: ScanInput): Promise<EngineVerdict> {
      let bytes = 0;
      for await (const chunk of input) bytes += chunk.length;
      return { status, engine: name, bytesScanned: bytes, ...extra };
    },
  };
}

const wavSubject = { declaredContentType: 'audio/wav', fileName: 'a.wav' };

describe('scanStream', () => {
  it('computes sha256 and bytesScanned over the same bytes as crypto', async () => {
    // Arrange
    const data = minimalWav((5 * MiB + 4) / 2);
    pseudoRandom(5 * MiB + 4).copy(data, 44);
    // Act
    const verdict = await scanStream(
      Readable.from(chunked(data, 65_536)),
      [createBuiltinEngine()],
      wavSubject,
    );
    // Assert
    expect(verdict.sha256).toBe(createHash('sha256').update(data).digest('hex'));
    expect(verdict).toMatchObject({ status: 'CLEAN', engine: 'builtin', bytesScanned: data.length });
  });

  it('hashes the whole object even when an engine stops reading early and another is cancelled', async () => {
    // Arrange
    const data = Buffer.concat([eicarBytes(), pseudoRandom(3 * MiB)]);
    // Act
    const verdict = await scanStream(
      chunked(data, 4096),
      [createBuiltinEngine(), fixedEngine('b', 'CLEAN')],
      {
        fileName: 'x.bin',
      },
    );
    // Assert
    expect(verdict.sha256).toBe(createHash('sha256').update(data).digest('hex'));
    expect(verdict.bytesScanned).toBe(data.length);
    expect(verdict.engines[0]).toMatchObject({ status: 'INFECTED', bytesScanned: 4096 });
    expect(verdict.engines[1]).toMatchObject({
      status: 'ERROR',
      reason: 'not needed: builtin found the object INFECTED',
    });
  });

  it('settles INFECTED at once without waiting for an engine that never answers', async () => {
    // Arrange: an engine that ignores its input and its signal (a hung clamd behind a stuck socket).
    let hungSignal: AbortSignal | undefined;
    const hung: ScanEngine = {
      name: 'hung',
      scan: (_input, _subject, signal) => {
        hungSignal = signal;
        return new Promise<EngineVerdict>(() => undefined);
      },
    };
    // EICAR within the first highWaterMark bytes: the hung engine's full queue holds back what comes later.
    const data = Buffer.concat([pseudoRandom(100_000), eicarBytes(), pseudoRandom(MiB)]);
    const started = Date.now();
    // Act
    const verdict = await scanStream(chunked(data, 65_536), [hung, createBuiltinEngine()], {
      fileName: 'x.bin',
    });
    // Assert
    expect(Date.now() - started).toBeLessThan(2000);
    expect(verdict).toMatchObject({
      status: 'INFECTED',
      engine: 'builtin',
      signature: 'Eicar-Test-Signature',
    });
    expect(verdict.engines[0]).toMatchObject({ status: 'ERROR', engine: 'hung' });
    expect(hungSignal?.aborted).toBe(true);
    expect(verdict.sha256).toBe(createHash('sha256').update(data).digest('hex'));
  });

  it('waits for every engine before CLEAN and before SUSPICIOUS', async () => {
    // Arrange: a slow engine that would name a signature.
    const slow: ScanEngine = {
      name: 'slow',
      async scan(input) {
        for await (const chunk of input) void chunk;
        await new Promise((resolve) => setTimeout(resolve, 300));
        return { status: 'INFECTED', engine: 'slow', signature: 'Late', bytesScanned: 1 };
      },
    };
    // Act
    const verdict = await scanStream(chunked(pseudoRandom(1000)), [fixedEngine('a', 'SUSPICIOUS'), slow], {});
    // Assert
    expect(verdict).toMatchObject({ status: 'INFECTED', engine: 'slow', signature: 'Late' });
  });

  it.each<[ScanStatus[], ScanStatus, string]>([
    [['CLEAN', 'CLEAN'], 'CLEAN', 'a+b'],
    [['CLEAN', 'ERROR'], 'ERROR', 'b'],
    [['ERROR', 'SUSPICIOUS'], 'SUSPICIOUS', 'b'],
    [['SUSPICIOUS', 'INFECTED'], 'INFECTED', 'b'],
    [['INFECTED', 'ERROR'], 'INFECTED', 'a'],
    [['SUSPICIOUS', 'SUSPICIOUS'], 'SUSPICIOUS', 'a+b'],
  ])('combines %j into %s', async (statuses, expected, engine) => {
    // Arrange
    const engines = statuses.map((status, i) =>
      fixedEngine(i === 0 ? 'a' : 'b', status, { reason: `r${i}` }),
    );
    // Act
    const verdict = await scanStream(chunked(pseudoRandom(1000)), engines, {});
    // Assert
    expect(verdict.status).toBe(expected);
    expect(verdict.engine).toBe(engine);
  });

  it('turns an engine that throws into an ERROR verdict for that engine', async () => {
    // Arrange
    const broken: ScanEngine = {
      name: 'broken',
      async scan(input: ScanInput): Promise<EngineVerdict> {
        for await (const chunk of input) if (chunk.length > 0) throw new Error('boom');
        throw new Error('unreachable');
      },
    };
    // Act
    const verdict = await scanStream(chunked(pseudoRandom(3 * MiB)), [fixedEngine('a', 'CLEAN'), broken], {});
    // Assert
    expect(verdict).toMatchObject({ status: 'ERROR', engine: 'broken', reason: 'engine failed: boom' });
  });

  it('rejects when the source fails, after the engines have stopped', async () => {
    // Arrange
    async function* failing(): AsyncGenerator<Uint8Array> {
      yield pseudoRandom(1000);
      throw new Error('socket hang up');
    }
    // Act
    const result = scanStream(failing(), [createBuiltinEngine(), fixedEngine('a', 'CLEAN')], {});
    // Assert
    await expect(result).rejects.toThrow('socket hang up');
  });

  it('reports a stream shorter than the declared size as ERROR', async () => {
    // Arrange
    const data = minimalWav();
    // Act
    const verdict = await scanStream(chunked(data), [createBuiltinEngine()], {
      ...wavSubject,
      size: data.length + 1,
    });
    // Assert
    expect(verdict).toMatchObject({ status: 'ERROR', engine: 'stream' });
    expect(verdict.reason).toContain(
      `stream length ${data.length} differs from the declared size ${data.length + 1}`,
    );
  });

  it('rejects string chunks and an empty engine list', async () => {
    // Arrange
    const text = Readable.from(['not bytes']);
    // Act
    const stringResult = scanStream(text as unknown as ScanInput, [fixedEngine('a', 'CLEAN')], {});
    const noEngines = scanStream(chunked(Buffer.alloc(1)), [], {});
    // Assert
    await expect(stringResult).rejects.toThrow(TypeError);
    await expect(noEngines).rejects.toThrow('at least one engine');
  });

  it('stops reading the source when an engine falls behind (backpressure)', async () => {
    // Arrange
    let produced = 0;
    let consumed = 0;
    let maxAhead = 0;
    async function* source(): AsyncGenerator<Uint8Array> {
      for (let i = 0; i < 200; i++) {
        produced += 16 * 1024;
        maxAhead = Math.max(maxAhead, produced - consumed);
        yield Buffer.alloc(16 * 1024);
      }
    }
    const slow: ScanEngine = {
      name: 'slow',
      async scan(input: ScanInput): Promise<EngineVerdict> {
        for await (const chunk of input) {
          await new Promise((resolve) => setImmediate(resolve));
          consumed += chunk.length;
        }
        return { status: 'CLEAN', engine: 'slow', bytesScanned: consumed };
      },
    };
    // Act
    const verdict = await scanStream(
      source(),
      [slow, fixedEngine('fast', 'CLEAN')],
      {},
      { highWaterMark: 64 * 1024 },
    );
    // Assert
    expect(verdict.status).toBe('CLEAN');
    expect(maxAhead).toBeLessThanOrEqual(64 * 1024 + 2 * 16 * 1024);
  });

  it('rejects with the abort reason when aborted', async () => {
    // Arrange
    const controller = new AbortController();
    async function* source(): AsyncGenerator<Uint8Array> {
      yield Buffer.alloc(10);
      controller.abort(new Error('Lambda timeout near'));
      yield Buffer.alloc(10);
    }
    // Act
    const result = scanStream(source(), [fixedEngine('a', 'CLEAN')], {}, { signal: controller.signal });
    // Assert
    await expect(result).rejects.toThrow('Lambda timeout near');
  });

  it('scans a 256 MiB generated stream with bounded memory', async () => {
    // Arrange
    const total = 256 * MiB;
    const chunk = Buffer.alloc(64 * 1024);
    const hash = createHash('sha256');
    async function* generate(): AsyncGenerator<Uint8Array> {
      for (let sent = 0; sent < total; sent += chunk.length) {
        const fresh = Buffer.from(randomFillSync(chunk)); // a new buffer per chunk, as a network stream yields
        hash.update(fresh);
        yield fresh;
      }
    }
    global.gc?.();
    const before = process.memoryUsage().rss;
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
    // Act
    const verdict = await scanStream(generate(), [createBuiltinEngine({ allowedTypes: 'any' })], {
      fileName: 'big.bin',
    });
    clearInterval(sampler);
    peak = Math.max(peak, process.memoryUsage().rss);
    // Assert
    expect(verdict).toMatchObject({ status: 'CLEAN', bytesScanned: total, sha256: hash.digest('hex') });
    expect(peak - before).toBeLessThan(96 * MiB);
  });
});
