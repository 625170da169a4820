import { Worker } from 'node:worker_threads';

const MiB = 1024 * 1024;

export interface OffThreadSha256Options {
  /** Bytes per slot of the shared ring; larger chunks are split across slots. Default 1 MiB. */
  readonly slotBytes?: number;
  /** Slots in the ring: at most this many slots' bytes wait to be hashed. Default 4. */
  readonly slots?: number;
  /** Also gunzip the bytes on the worker, in steps of this many output bytes. Default: no gunzip. */
  readonly gunzipChunkBytes?: number;
}

/** What the worker found when it also inflated the bytes (`gunzipChunkBytes`). */
export interface OffThreadGunzip {
  /** Bytes inflated (up to the error, when there is one). */
  readonly inflatedBytes: number;
  /** zlib's error (Z_DATA_ERROR, Z_BUF_ERROR for a truncated stream, ...); absent when the gzip is whole. */
  readonly error?: { readonly message: string; readonly code: string };
}

/** The worker's answer to `finish`. */
export interface OffThreadResult {
  readonly digest: string;
  /** Present when the worker also inflated the bytes. */
  readonly gunzip?: OffThreadGunzip;
}

/** The ring the verifier uses: 4 MiB of shared memory, fixed for the whole read. */
export const DEFAULT_OFF_THREAD_SHA256 = { slotBytes: MiB, slots: 4 } as const;

// Plain JavaScript evaluated in the worker, so the same code runs under tsx, ts-jest and an esbuild bundle (no
// separate worker file to ship). Messages arrive in order; each hashes one slot (and, with `gunzipChunkBytes`, inflates it
// in place), then hands the slot back: a slot is released only once zlib has consumed it, so the worker
// holds at most `slots` slots' worth of input whatever the object's size. After an inflate error the rest is
// still hashed. The inflated bytes (and their garbage) stay on this thread.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const hash = require('node:crypto').createHash('sha256');
const ring = new Uint8Array(workerData.ring);
const held = new Set();
const release = (slot) => {
  if (held.delete(slot)) parentPort.postMessage({ slot });
};
let gunzip;
let inflated = 0;
let inflateError;
if (workerData.gunzipChunkBytes) {
  gunzip = require('node:zlib').createGunzip({ chunkSize: workerData.gunzipChunkBytes });
  gunzip.on('data', (chunk) => (inflated += chunk.length));
  gunzip.on('error', (error) => {
    inflateError ??= { message: String(error.message), code: String(error.code) };
    for (const slot of [...held]) release(slot);
  });
}
parentPort.on('message', (message) => {
  if (message.digest) {
    const finish = () =>
      parentPort.postMessage({
        digest: hash.digest('hex'),
        gunzip: gunzip ? { inflatedBytes: inflated, error: inflateError } : undefined,
      });
    if (!gunzip || inflateError) return finish();
    let done = false;
    const once = () => {
      if (!done) (done = true), finish();
    };
    gunzip.once('end', once);
    gunzip.once('error', once);
    gunzip.end();
    gunzip.resume();
    return;
  }
  const start = message.slot * workerData.slotBytes;
  const bytes = ring.subarray(start, start + message.length);
  hash.update(bytes);
  held.add(message.slot);
  if (!gunzip || inflateError) return release(message.slot);
  // No copy: the slot stays held until zlib has consumed it.
  gunzip.write(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length), () => release(message.slot));
});
`;
type WorkerMessage = { slot?: number; digest?: string; gunzip?: OffThreadGunzip };

/**
 * SHA-256 computed on a worker thread, so the verifier's reading shares the JS thread with no hashing; with
 * `gunzipChunkBytes` the worker also inflates the same bytes to the end (for a plain gzip). Bytes are copied into a fixed ring of shared slots (`slots × slotBytes`, allocated once: memory does not grow
 * with the object, and no per-chunk buffers wait for a garbage collection); `update` waits only while every slot is
 * still being hashed. Every byte passed to `update` is hashed, in order. A worker failure rejects the pending and
 * all later calls; `destroy` must be called when done (also after a failure).
 */
export class OffThreadSha256 {
  private readonly worker: Worker;
  private readonly ring: Uint8Array;
  private readonly slotBytes: number;
  private readonly free: number[] = [];
  private waiting: { resolve: () => void; reject: (error: unknown) => void } | undefined;
  private digestWaiting:
    { resolve: (result: OffThreadResult) => void; reject: (error: unknown) => void } | undefined;
  private failure: unknown;
  /** The slot being filled, and how many bytes it holds. */
  private current: number | undefined;
  private filled = 0;
  private finished = false;

  constructor(options: OffThreadSha256Options = {}) {
    this.slotBytes = options.slotBytes ?? DEFAULT_OFF_THREAD_SHA256.slotBytes;
    const slots = options.slots ?? DEFAULT_OFF_THREAD_SHA256.slots;
    if (!(Number.isInteger(this.slotBytes) && this.slotBytes > 0 && Number.isInteger(slots) && slots > 0)) {
      throw new RangeError('slotBytes and slots must be positive integers');
    }
    const gunzipChunkBytes = options.gunzipChunkBytes;
    if (gunzipChunkBytes !== undefined && !(Number.isInteger(gunzipChunkBytes) && gunzipChunkBytes > 0)) {
      throw new RangeError('gunzipChunkBytes must be a positive integer');
    }
    const shared = new SharedArrayBuffer(this.slotBytes * slots);
    this.ring = new Uint8Array(shared);
    for (let slot = 0; slot < slots; slot++) this.free.push(slot);
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: {
        ring: shared,
        slotBytes: this.slotBytes,
        gunzipChunkBytes: options.gunzipChunkBytes ?? 0,
      },
    });
    this.worker.on('message', (message: WorkerMessage) => this.onMessage(message));
    this.worker.on('error', (error) => this.fail(error));
    this.worker.on('exit', (code) => {
      if (!this.finished) this.fail(new Error(`the SHA-256 worker exited early (code ${code})`));
    });
  }

  /** Queues `chunk` for hashing; resolves once it is copied into the ring (the caller may then reuse it). */
  async update(chunk: Uint8Array): Promise<void> {
    let offset = 0;
    while (offset < chunk.length) {
      this.current ??= await this.freeSlot();
      const room = this.slotBytes - this.filled;
      const part = chunk.subarray(offset, offset + Math.min(room, chunk.length - offset));
      this.ring.set(part, this.current * this.slotBytes + this.filled);
      this.filled += part.length;
      offset += part.length;
      if (this.filled === this.slotBytes) this.send();
    }
  }

  /** Hands the slot being filled to the worker (small chunks are gathered into full slots first). */
  private send(): void {
    if (this.current === undefined) return;
    this.worker.postMessage({ slot: this.current, length: this.filled });
    this.current = undefined;
    this.filled = 0;
  }

  /** The hex digest of every byte passed to `update`, after the worker has hashed them all. */
  async digest(): Promise<string> {
    return (await this.finish()).digest;
  }

  /** Ends the input: the digest, and with `gunzipChunkBytes` what inflating every byte to the end found. */
  async finish(): Promise<OffThreadResult> {
    this.throwIfFailed();
    this.send();
    const result = new Promise<OffThreadResult>(
      (resolve, reject) => (this.digestWaiting = { resolve, reject }),
    );
    this.worker.postMessage({ digest: true });
    return result;
  }

  /** Stops the worker. Safe to call more than once. */
  async destroy(): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    await this.worker.terminate();
  }

  private async freeSlot(): Promise<number> {
    this.throwIfFailed();
    while (this.free.length === 0) {
      await new Promise<void>((resolve, reject) => (this.waiting = { resolve, reject }));
    }
    return this.free.shift()!;
  }

  private onMessage(message: WorkerMessage): void {
    if (message.slot !== undefined) {
      this.free.push(message.slot);
      const waiting = this.waiting;
      this.waiting = undefined;
      waiting?.resolve();
    } else if (message.digest !== undefined) {
      const waiting = this.digestWaiting;
      this.digestWaiting = undefined;
      waiting?.resolve({ digest: message.digest, ...(message.gunzip ? { gunzip: message.gunzip } : {}) });
    }
  }

  private fail(error: unknown): void {
    this.failure ??= error;
    const { waiting, digestWaiting } = this;
    this.waiting = undefined;
    this.digestWaiting = undefined;
    waiting?.reject(this.failure);
    digestWaiting?.reject(this.failure);
  }

  private throwIfFailed(): void {
    if (this.failure !== undefined) throw this.failure;
  }
}
