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
 * Combining: CLEAN needs every engine to finish and find nothing. INFECTED needs only one engine: as soon as one
 * reports INFECTED (the most severe status, which no other engine can overrule) the others are cancelled (their
 * signal is aborted and their verdict is an ERROR saying why, without waiting for them), so a hung or slow clamd
 * never delays what the built-in engine found in milliseconds. The source is still read to its end for the hash.
 * SUSPICIOUS does not cancel: another engine may still name a signature (INFECTED), and the wait is bounded by
 * each engine's own timeouts (clamd's grows with the object's size). An engine that stops reading (clamd stopped,
 * its socket buffers full) holds back the bytes the others see once its queue is full, until its own idle timeout
 * (clamd: 30 s without progress) fails it; that bound is the price of the memory bound.
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
  const controllers = engines.map(() => new AbortController());
  const abortAll = (): void => controllers.forEach((controller) => controller.abort(signal?.reason));
  signal?.addEventListener('abort', abortAll, { once: true });
  const runs = engines.map(async (engine, index) => {
    const verdict = await runEngine(engine, channels[index]!, subject, controllers[index]!.signal);
    if (SETTLES_ALONE.has(verdict.status)) {
      const cancelled = new EngineCancelledError(`${verdict.engine} found the object ${verdict.status}`);
      controllers.forEach((controller, other) => {
        if (other !== index) controller.abort(cancelled);
      });
    }
    return verdict;
  });
  try {
    return await readAndCombine(source, channels, runs, subject, signal);
  } finally {
    signal?.removeEventListener('abort', abortAll);
  }
}

/** Statuses that decide the combined verdict alone: no other engine's answer could change it. */
const SETTLES_ALONE: ReadonlySet<EngineVerdict['status']> = new Set(['INFECTED']);

/** Why an engine was stopped before it finished: another engine's verdict already decided the scan. */
export class EngineCancelledError extends Error {
  override readonly name = 'EngineCancelledError';
}

async function readAndCombine(
  source: ScanInput,
  channels: readonly ChunkChannel[],
  runs: readonly Promise<EngineVerdict>[],
  subject: ScanSubject,
  signal: AbortSignal | undefined,
): Promise<ScanVerdict> {
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

/**
 * Runs one engine; settles as soon as its signal is aborted (scan aborted, or cancelled because another engine
 * decided the verdict), even if the engine itself is still waiting on something (a hung clamd).
 */
async function runEngine(
  engine: ScanEngine,
  channel: ChunkChannel,
  subject: ScanSubject,
  signal: AbortSignal,
): Promise<EngineVerdict> {
  const failed = (reason: string): EngineVerdict => ({
    status: 'ERROR',
    engine: engine.name,
    reason,
    bytesScanned: 0,
  });
  let onAbort: (() => void) | undefined;
  const stopped = new Promise<EngineVerdict>((resolve) => {
    onAbort = () =>
      resolve(
        signal.reason instanceof EngineCancelledError
          ? failed(`not needed: ${signal.reason.message}`)
          : failed(`scan aborted: ${errorMessage(signal.reason)}`),
      );
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    const scanned = engine
      .scan(channel, subject, signal)
      .catch((error: unknown) => failed(`engine failed: ${errorMessage(error)}`));
    return await Promise.race([scanned, stopped]);
  } finally {
    signal.removeEventListener('abort', onAbort!);
    channel.close();
  }
}
