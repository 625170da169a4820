import { createHash } from 'node:crypto';

import { ChunkChannel } from './chunk-channel';
import { errorMessage, type ScanEngine, type ScanInput, type ScanSubject } from './scan-engine';
import { combineVerdicts, type EngineVerdict, type ScanVerdict } from './verdict';

/** Engine name used for verdicts about the stream itself (length mismatch). */
export const STREAM_CHECK_ENGINE = 'stream';

export interface ScanStreamOptions {
  /** Bytes queued per engine before reading from the source pauses. Default 1 MiB. */
  readonly highWaterMark?: number;
  /** Aborts the scan: reading stops, engines are failed and `scanStream` rejects with the abort reason. */
  readonly signal?: AbortSignal;
}

const DEFAULT_HIGH_WATER_MARK = 1024 * 1024;

/**
 * Reads `source` once, feeding every chunk to all engines concurrently and to a SHA-256 hash, and combines the
 * engines' verdicts by severity (see `verdict.ts`).
 *
 * Memory is bounded by `highWaterMark` per engine: reading pauses while any engine that is still reading has a
 * full queue. An engine that returns early (its verdict is certain, or it failed) stops receiving chunks; the
 * source is still read to its end so `sha256` and `bytesScanned` always cover the whole object.
 *
 * Failures: an engine that rejects yields an ERROR verdict for that engine. A source that fails (network error,
 * abort) makes `scanStream` reject with that error, since nothing can be said about bytes that were never read and
 * the caller should retry. A source whose length differs from `subject.size` yields an ERROR verdict.
 */
export async function scanStream(
  source: ScanInput,
  engines: readonly ScanEngine[],
  subject: ScanSubject,
  options: ScanStreamOptions = {},
): Promise<ScanVerdict> {
  if (engines.length === 0) {
    throw new Error('scanStream needs at least one engine');
  }
  const { signal } = options;
  signal?.throwIfAborted();
  const channels = engines.map(() => new ChunkChannel(options.highWaterMark ?? DEFAULT_HIGH_WATER_MARK));
  const runs = engines.map((engine, index) => runEngine(engine, channels[index]!, subject, signal));

  const hash = createHash('sha256');
  let bytes = 0;
  try {
    for await (const chunk of source) {
      signal?.throwIfAborted();
      if (!(chunk instanceof Uint8Array)) {
        throw new TypeError('scanStream expects byte chunks; do not set an encoding on the source stream');
      }
      hash.update(chunk);
      bytes += chunk.length;
      for (let i = 0; i < channels.length; i++) {
        const full = channels[i]!.write(chunk);
        if (full) await full;
      }
    }
  } catch (error) {
    const failure = error instanceof Error ? error : new Error(String(error));
    for (const channel of channels) channel.fail(failure);
    await Promise.allSettled(runs);
    throw error;
  }
  for (const channel of channels) channel.end();
  const verdicts: EngineVerdict[] = await Promise.all(runs);

  if (subject.size !== undefined && subject.size !== bytes) {
    verdicts.push({
      status: 'ERROR',
      engine: STREAM_CHECK_ENGINE,
      reason: `stream length ${bytes} differs from the declared size ${subject.size}`,
      bytesScanned: bytes,
    });
  }
  return {
    ...combineVerdicts(verdicts),
    bytesScanned: bytes,
    sha256: hash.digest('hex'),
    engines: verdicts,
  };
}

async function runEngine(
  engine: ScanEngine,
  channel: ChunkChannel,
  subject: ScanSubject,
  signal: AbortSignal | undefined,
): Promise<EngineVerdict> {
  try {
    return await engine.scan(channel, subject, signal);
  } catch (error) {
    return {
      status: 'ERROR',
      engine: engine.name,
      reason: `engine failed: ${errorMessage(error)}`,
      bytesScanned: 0,
    };
  } finally {
    channel.close();
  }
}
