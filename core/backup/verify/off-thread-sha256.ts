import { types } from 'node:util';
import { Worker } from 'node:worker_threads';
import { createGunzip } from 'node:zlib';

const MiB = 1024 * 1024;

/** How the worker inflates: into one output buffer it reuses, or through a zlib stream (a fresh buffer per step). */
export type GunzipOutput = 'reused-buffer' | 'stream';

export interface OffThreadSha256Options {
  /** Bytes per slot of the shared ring; larger chunks are split across slots. Default 1 MiB. */
  readonly slotBytes?: number;
  /** Slots in the ring: at most this many slots' bytes wait to be hashed. Default 4. */
  readonly slots?: number;
  /** Also gunzip the bytes on the worker, in steps of this many output bytes. Default: no gunzip. */
  readonly gunzipChunkBytes?: number;
  /**
   * How to inflate with `gunzipChunkBytes`. Default 'reused-buffer' (one output buffer for the whole stream, driven
   * through the zlib stream's own handle) where canInflateIntoReusedBuffer(), else 'stream'.
   */
  readonly gunzipOutput?: GunzipOutput;
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

/** The ring the verifier uses: 4 MiB of shared memory, allocated on the first chunk that is not shared already. */
export const DEFAULT_OFF_THREAD_SHA256 = { slotBytes: MiB, slots: 4 } as const;

// Plain JavaScript evaluated in the worker, so the same code runs under tsx, ts-jest and an esbuild bundle (no
// separate worker file to ship). Messages arrive in order: `ring` hands over the ring, `slot` is a ring slot to
// process and give back, `shared` is a caller's shared chunk to process in place and acknowledge, `digest` ends the
// input. With `gunzipChunkBytes` each chunk is also inflated: by default into ONE reused output buffer, through
// the zlib stream's own handle (`writeSync`, as zlib's synchronous API drives it), so inflating allocates nothing
// per step; the 'stream' fallback writes to a zlib stream and gives a chunk back only once zlib has consumed it.
// Either way a chunk is given back only when inflated, so the worker holds no more input than it was handed, and
// after an inflate error the rest is still hashed.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const zlib = require('node:zlib');
const hash = require('node:crypto').createHash('sha256');
let ring;
let inflated = 0;
let inflateError;
let inflater;
const noteError = (error) => {
  inflateError ??= { message: String(error.message), code: String(error.code) };
};
const reusedBufferGunzip = (gunzip, outBytes) => {
  const handle = gunzip._handle;
  const state = gunzip._writeState;
  if (!handle || typeof handle.writeSync !== 'function' || !(state instanceof Uint32Array)) return undefined;
  const out = Buffer.allocUnsafeSlow(outBytes);
  const step = (bytes, flush) => {
    let offset = 0;
    let available = bytes.length;
    for (;;) {
      handle.writeSync(flush, bytes, offset, available, out, 0, out.length);
      // zlib reports an error through the stream, synchronously (zlibOnError destroys it with the error).
      if (gunzip.errored) return noteError(gunzip.errored);
      const outLeft = state[0];
      inflated += out.length - outLeft;
      offset += available - state[1];
      available = state[1];
      // Output full: more may be pending. Otherwise the input is consumed, or the gzip has ended (as in zlib's
      // own stream, the rest of this input is then ignored: trailing zero padding).
      if (outLeft !== 0) return;
    }
  };
  return {
    write(bytes, done) {
      if (!inflateError) step(bytes, zlib.constants.Z_NO_FLUSH);
      done();
    },
    end(done) {
      if (!inflateError) step(Buffer.alloc(0), zlib.constants.Z_FINISH);
      gunzip.destroy();
      done();
    },
  };
};
const streamGunzip = (gunzip) => {
  const held = new Set();
  gunzip.on('data', (chunk) => (inflated += chunk.length));
  gunzip.on('error', () => {
    for (const done of [...held]) held.delete(done), done();
  });
  return {
    write(bytes, done) {
      if (inflateError || gunzip.errored) return done();
      held.add(done);
      gunzip.write(bytes, () => held.delete(done) && done());
    },
    end(done) {
      if (inflateError || gunzip.errored || gunzip.readableEnded) return done();
      let ended = false;
      const once = () => ended || ((ended = true), done());
      gunzip.once('end', once);
      gunzip.once('error', once);
      gunzip.end();
      gunzip.resume();
    },
  };
};
if (workerData.gunzipChunkBytes) {
  const gunzip = zlib.createGunzip({ chunkSize: workerData.gunzipChunkBytes });
  gunzip.on('error', noteError);
  inflater =
    (workerData.gunzipOutput === 'reused-buffer' && reusedBufferGunzip(gunzip, workerData.gunzipChunkBytes)) ||
    streamGunzip(gunzip);
}
const processChunk = (bytes, done) => {
  hash.update(bytes);
  if (!inflater) return done();
  inflater.write(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length), done);
};
parentPort.on('message', (message) => {
  if (message.ring) {
    ring = new Uint8Array(message.ring);
  } else if (message.shared) {
    processChunk(new Uint8Array(message.shared, message.offset, message.length), () =>
      parentPort.postMessage({ shared: true }),
    );
  } else if (message.digest) {
    const finish = () =>
      parentPort.postMessage({
        digest: hash.digest('hex'),
        gunzip: inflater ? { inflatedBytes: inflated, error: inflateError } : undefined,
      });
    if (inflater) inflater.end(finish);
    else finish();
  } else {
    const start = message.slot * workerData.slotBytes;
    processChunk(ring.subarray(start, start + message.length), () => parentPort.postMessage({ slot: message.slot }));
  }
});
`;
let reusedBufferInflate: boolean | undefined;

/**
 * Whether this Node's zlib streams expose the handle and write state that inflating into a reused buffer drives
 * (`_handle.writeSync`, `_writeState`: how zlib's own synchronous API works). Checked once; the worker checks again.
 */
export function canInflateIntoReusedBuffer(): boolean {
  if (reusedBufferInflate === undefined) {
    const gunzip = createGunzip() as unknown as {
      _handle?: { writeSync?: unknown };
      _writeState?: unknown;
      close(): void;
    };
    reusedBufferInflate =
      typeof gunzip._handle?.writeSync === 'function' && types.isUint32Array(gunzip._writeState);
    gunzip.close();
  }
  return reusedBufferInflate;
}

type WorkerMessage = { slot?: number; shared?: true; digest?: string; gunzip?: OffThreadGunzip };
type Waiter = { resolve: () => void; reject: (error: unknown) => void };

/**
 * SHA-256 computed on a worker thread, so the verifier's reading shares the JS thread with no hashing; with
 * `gunzipChunkBytes` the worker also inflates the same bytes to the end (for a plain gzip). A chunk in shared
 * memory (a SharedArrayBuffer, as readObjectInOrder's transient chunks are) is read by the worker in place: no
 * copy, and `update` resolves once the worker is done with it. Any other chunk is copied into a fixed ring of
 * shared slots (`slots × slotBytes`, allocated once, on first use): memory does not grow with the object, and no
 * per-chunk buffers wait for a garbage collection; `update` waits only while every slot is still being processed.
 * Every byte passed to `update` is hashed, in order. A worker failure rejects the pending and all later calls;
 * `destroy` must be called when done (also after a failure).
 */
export class OffThreadSha256 {
  /** How the worker inflates (`gunzipChunkBytes`); undefined when it only hashes. */
  readonly gunzipOutput: GunzipOutput | undefined;
  private readonly worker: Worker;
  private ring: Uint8Array | undefined;
  private readonly slotBytes: number;
  private readonly slots: number;
  private readonly free: number[] = [];
  private waiting: Waiter | undefined;
  /** `update` calls waiting for the worker to be done with their shared chunk, oldest first. */
  private readonly sharedWaiting: Waiter[] = [];
  private digestWaiting:
    { resolve: (result: OffThreadResult) => void; reject: (error: unknown) => void } | undefined;
  private failure: unknown;
  /** The slot being filled, and how many bytes it holds. */
  private current: number | undefined;
  private filled = 0;
  private finished = false;

  constructor(options: OffThreadSha256Options = {}) {
    this.slotBytes = options.slotBytes ?? DEFAULT_OFF_THREAD_SHA256.slotBytes;
    this.slots = options.slots ?? DEFAULT_OFF_THREAD_SHA256.slots;
    if (!(
      Number.isInteger(this.slotBytes) &&
      this.slotBytes > 0 &&
      Number.isInteger(this.slots) &&
      this.slots > 0
    )) {
      throw new RangeError('slotBytes and slots must be positive integers');
    }
    const gunzipChunkBytes = options.gunzipChunkBytes;
    if (gunzipChunkBytes !== undefined && !(Number.isInteger(gunzipChunkBytes) && gunzipChunkBytes > 0)) {
      throw new RangeError('gunzipChunkBytes must be a positive integer');
    }
    for (let slot = 0; slot < this.slots; slot++) this.free.push(slot);
    this.gunzipOutput =
      gunzipChunkBytes === undefined
        ? undefined
        : (options.gunzipOutput ?? (canInflateIntoReusedBuffer() ? 'reused-buffer' : 'stream'));
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: {
        slotBytes: this.slotBytes,
        gunzipChunkBytes: gunzipChunkBytes ?? 0,
        gunzipOutput: this.gunzipOutput,
      },
    });
    this.worker.on('message', (message: WorkerMessage) => this.onMessage(message));
    this.worker.on('error', (error) => this.fail(error));
    this.worker.on('exit', (code) => {
      if (!this.finished) this.fail(new Error(`the SHA-256 worker exited early (code ${code})`));
    });
  }

  /**
   * Queues `chunk` for hashing. A chunk in shared memory is processed in place and this resolves once the worker
   * is done with it; any other chunk is copied into the ring and this resolves once it is copied. Either way the
   * caller may reuse the chunk's memory afterwards.
   */
  async update(chunk: Uint8Array): Promise<void> {
    if (types.isSharedArrayBuffer(chunk.buffer)) return this.processShared(chunk);
    let offset = 0;
    while (offset < chunk.length) {
      this.current ??= await this.freeSlot();
      const room = this.slotBytes - this.filled;
      const part = chunk.subarray(offset, offset + Math.min(room, chunk.length - offset));
      this.ringBytes().set(part, this.current * this.slotBytes + this.filled);
      this.filled += part.length;
      offset += part.length;
      if (this.filled === this.slotBytes) this.send();
    }
  }

  /** Hands a shared chunk to the worker after whatever the ring holds, and waits until it is processed. */
  private async processShared(chunk: Uint8Array): Promise<void> {
    this.throwIfFailed();
    if (chunk.length === 0) return;
    this.send();
    const done = new Promise<void>((resolve, reject) => this.sharedWaiting.push({ resolve, reject }));
    this.worker.postMessage({ shared: chunk.buffer, offset: chunk.byteOffset, length: chunk.length });
    return done;
  }

  /** The ring, allocated and handed to the worker on first use. */
  private ringBytes(): Uint8Array {
    if (this.ring === undefined) {
      const shared = new SharedArrayBuffer(this.slotBytes * this.slots);
      this.ring = new Uint8Array(shared);
      this.worker.postMessage({ ring: shared });
    }
    return this.ring;
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
    } else if (message.shared) {
      this.sharedWaiting.shift()?.resolve();
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
    for (const shared of this.sharedWaiting.splice(0)) shared.reject(this.failure);
  }

  private throwIfFailed(): void {
    if (this.failure !== undefined) throw this.failure;
  }
}
