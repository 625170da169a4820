import { connect, type Socket } from 'node:net';

/** A failure talking to clamd, with a message fit for a verdict reason. */
export class ClamdConnectionError extends Error {
  override readonly name = 'ClamdConnectionError';
}

/** Longest reply kept; clamd's replies are one short line. */
const MAX_REPLY_BYTES = 4096;

/**
 * One TCP connection to clamd: promise-based writes that respect the socket's backpressure, a reply collector
 * that tolerates the server answering (or closing) before the request is complete, and timeouts.
 */
export class ClamdConnection {
  private readonly replyChunks: Buffer[] = [];
  private replyBytes = 0;
  private replyComplete = false;
  private closedFlag = false;
  private failure: Error | undefined;
  private timeoutDescription = 'idle timeout';
  private readonly waiters = new Set<() => void>();

  private constructor(
    private readonly socket: Socket,
    private readonly where: string,
  ) {
    socket.on('data', (data: Buffer) => {
      if (this.replyBytes < MAX_REPLY_BYTES) {
        this.replyChunks.push(data);
        this.replyBytes += data.length;
      }
      if (data.includes(0)) this.replyComplete = true;
      this.notify();
    });
    socket.on('end', () => {
      this.closedFlag = true;
      this.notify();
    });
    socket.on('close', () => {
      this.closedFlag = true;
      this.notify();
    });
    socket.on('error', (error: Error) => {
      this.failure ??= new ClamdConnectionError(`connection to clamd at ${where} failed: ${error.message}`);
      this.notify();
    });
    socket.on('drain', () => this.notify());
    socket.on('timeout', () => {
      this.failure ??= new ClamdConnectionError(
        `clamd at ${where} did not respond in time (${this.timeoutDescription})`,
      );
      socket.destroy();
      this.notify();
    });
  }

  /** Connects, failing with a ClamdConnectionError after `timeoutMs` or on abort. */
  static open(host: string, port: number, timeoutMs: number, signal?: AbortSignal): Promise<ClamdConnection> {
    const where = `${host}:${port}`;
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port });
      const fail = (message: string): void => {
        cleanup();
        socket.destroy();
        reject(new ClamdConnectionError(message));
      };
      const onError = (error: Error): void => fail(`cannot connect to clamd at ${where}: ${error.message}`);
      const onAbort = (): void => fail(`connection to clamd at ${where} aborted`);
      const timer = setTimeout(
        () => fail(`cannot connect to clamd at ${where}: timed out after ${timeoutMs} ms`),
        timeoutMs,
      );
      const cleanup = (): void => {
        clearTimeout(timer);
        socket.off('error', onError);
        signal?.removeEventListener('abort', onAbort);
      };
      socket.once('error', onError);
      signal?.addEventListener('abort', onAbort, { once: true });
      socket.once('connect', () => {
        cleanup();
        socket.setNoDelay(true);
        resolve(new ClamdConnection(socket, where));
      });
    });
  }

  /** True once clamd closed the connection or it failed. */
  get closed(): boolean {
    return this.closedFlag || this.failure !== undefined;
  }

  /** True once clamd has sent anything: during INSTREAM that means it gave up on the request (size limit). */
  get hasReply(): boolean {
    return this.replyBytes > 0;
  }

  /** The reply received so far. */
  get reply(): string {
    return Buffer.concat(this.replyChunks).toString('utf8');
  }

  /**
   * Sets the inactivity timeout: no bytes in either direction for this long fails the connection; `description`
   * names it in the failure message.
   */
  setIdleTimeout(ms: number, description = `idle timeout, ${ms} ms`): void {
    this.timeoutDescription = description;
    this.socket.setTimeout(ms);
  }

  /** Writes, resolving when the socket can take more (backpressure); rejects once the connection is unusable. */
  async write(data: Uint8Array): Promise<void> {
    this.throwIfUnusable();
    if (this.socket.write(data)) return;
    while (this.socket.writableNeedDrain) {
      this.throwIfUnusable();
      await this.next();
    }
  }

  /** Waits for the complete reply (NUL-terminated) or the end of the connection, whichever comes first. */
  async readReply(): Promise<string> {
    while (!this.replyComplete && !this.closedFlag) {
      if (this.failure) throw this.failure;
      await this.next();
    }
    if (!this.hasReply) {
      throw (
        this.failure ??
        new ClamdConnectionError(`clamd at ${this.where} closed the connection without a reply`)
      );
    }
    return this.reply;
  }

  destroy(): void {
    this.socket.destroy();
  }

  private throwIfUnusable(): void {
    if (this.failure) throw this.failure;
    if (this.closedFlag) {
      throw new ClamdConnectionError(`clamd at ${this.where} closed the connection during the stream`);
    }
  }

  private next(): Promise<void> {
    return new Promise((resolve) => this.waiters.add(resolve));
  }

  private notify(): void {
    const waiters = [...this.waiters];
    this.waiters.clear();
    for (const wake of waiters) wake();
  }
}
