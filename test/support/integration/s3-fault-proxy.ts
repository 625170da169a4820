/**
 * A fault-injecting HTTP proxy on 127.0.0.1 in front of the test RGW: answers chosen S3 requests with an S3 error
 * (e.g. 503 SlowDown), or forwards them with one body byte flipped (damage on the way, which the server must notice),
 * and forwards everything else unchanged, byte for byte, with the client's own Host header (so SigV4 signatures stay
 * valid). Records every request it saw, so tests can assert the retries really happened.
 */
import { Agent, createServer, request as httpRequest } from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The S3 operations the proxy tells apart (anything else is named by its HTTP method). */
export type S3Operation =
  | 'PutObject'
  | 'UploadPart'
  | 'CreateMultipartUpload'
  | 'CompleteMultipartUpload'
  | 'AbortMultipartUpload'
  | 'GetObject'
  | 'HeadObject'
  | 'DeleteObject'
  | `${string} ${string}`;

interface S3FaultMatch {
  readonly operation: S3Operation;
  /** Let this many matching requests through before failing any. Default: 0. */
  readonly after?: number;
  /** Fail this many matching requests (after `after`). Default: all of them. */
  readonly times?: number;
}

/** The proxy answers with this S3 error itself. */
export interface S3ErrorFault extends S3FaultMatch {
  readonly status: number;
  /** S3 error code, e.g. `SlowDown`, `AccessDenied`. */
  readonly code: string;
  readonly message: string;
}

/** The proxy forwards the request with the first byte of its body inverted (same length, same signature). */
export interface S3BodyDamageFault extends S3FaultMatch {
  readonly damageBody: true;
}

export type S3Fault = S3ErrorFault | S3BodyDamageFault;

export interface ProxiedRequest {
  readonly operation: S3Operation;
  readonly method: string;
  readonly url: string;
  /** The status the client got. */
  readonly status: number;
  /** True when the proxy answered itself (a fault) instead of forwarding. */
  readonly injected: boolean;
}

export interface S3FaultProxy {
  /** `http://127.0.0.1:<port>`: give it to the client as its endpoint. */
  readonly endpoint: string;
  /** Every request answered so far, in order of completion. */
  readonly requests: readonly ProxiedRequest[];
  /** The requests of one operation. */
  requestsOf(operation: S3Operation): ProxiedRequest[];
  close(): Promise<void>;
}

/** Starts a proxy to `target` (e.g. the RGW endpoint) that injects `faults`. */
export async function startS3FaultProxy(target: string, faults: readonly S3Fault[]): Promise<S3FaultProxy> {
  const upstream = new URL(target);
  const agent = new Agent({ keepAlive: true });
  const requests: ProxiedRequest[] = [];
  const matched = new Map<S3Fault, number>();

  const faultFor = (operation: S3Operation): S3Fault | undefined => {
    for (const fault of faults) {
      if (fault.operation !== operation) continue;
      const seen = matched.get(fault) ?? 0;
      matched.set(fault, seen + 1);
      const after = fault.after ?? 0;
      if (seen >= after && seen < after + (fault.times ?? Number.POSITIVE_INFINITY)) return fault;
    }
    return undefined;
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const method = req.method ?? 'GET';
    const url = req.url ?? '/';
    const operation = s3OperationOf(method, url, req.headers);
    const record = (status: number, injected: boolean): void => {
      requests.push({ operation, method, url, status, injected });
    };
    const fault = faultFor(operation);
    if (fault && !('damageBody' in fault)) {
      // Read the whole body first, as S3 does, so the client never sees its upload cut off.
      req.resume();
      req.once('end', () => {
        const body =
          '<?xml version="1.0" encoding="UTF-8"?>\n' +
          `<Error><Code>${fault.code}</Code><Message>${fault.message}</Message>` +
          '<RequestId>stowage-fault-proxy</RequestId></Error>';
        res.writeHead(fault.status, {
          'content-type': 'application/xml',
          'content-length': Buffer.byteLength(body),
          'x-amz-request-id': 'stowage-fault-proxy',
        });
        res.end(body);
        record(fault.status, true);
      });
      return;
    }
    const headers = { ...req.headers };
    for (const hopByHop of ['connection', 'keep-alive', 'proxy-connection', 'expect'])
      delete headers[hopByHop];
    const injected = fault !== undefined;
    const forward = httpRequest(
      { host: upstream.hostname, port: upstream.port, method, path: url, headers, agent },
      (upstreamRes) => {
        res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
        upstreamRes.pipe(res);
        upstreamRes.once('end', () => record(upstreamRes.statusCode ?? 502, injected));
      },
    );
    forward.once('error', (error) => {
      record(502, false);
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`fault proxy: upstream failed: ${error.message}`);
    });
    if (!injected) {
      req.pipe(forward);
      return;
    }
    let damaged = false;
    req.on('data', (chunk: Buffer) => {
      if (!damaged && chunk.length > 0) {
        chunk[0] = chunk[0]! ^ 0xff;
        damaged = true;
      }
      forward.write(chunk);
    });
    req.once('end', () => forward.end());
  };

  const server: Server = createServer(handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    requestsOf: (operation) => requests.filter((request) => request.operation === operation),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      agent.destroy();
    },
  };
}

/** Names the S3 operation of a path-style request (`/<bucket>/<key>?<subresources>`). */
export function s3OperationOf(method: string, url: string, headers: IncomingHttpHeaders): S3Operation {
  const parsed = new URL(url, 'http://proxy.invalid');
  const query = parsed.searchParams;
  const hasKey = parsed.pathname.split('/').filter(Boolean).length >= 2;
  if (hasKey) {
    if (method === 'PUT' && query.has('uploadId') && query.has('partNumber')) return 'UploadPart';
    if (method === 'POST' && query.has('uploads')) return 'CreateMultipartUpload';
    if (method === 'POST' && query.has('uploadId')) return 'CompleteMultipartUpload';
    if (method === 'DELETE' && query.has('uploadId')) return 'AbortMultipartUpload';
    const plain = [...query.keys()].every((name) => name === 'versionId' || name.startsWith('x-id'));
    if (plain && method === 'PUT' && headers['x-amz-copy-source'] === undefined) return 'PutObject';
    if (plain && method === 'GET') return 'GetObject';
    if (plain && method === 'HEAD') return 'HeadObject';
    if (plain && method === 'DELETE') return 'DeleteObject';
  }
  return `${method} ${parsed.pathname}`;
}
