import { readFile, realpath, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, sep } from 'node:path';

import { Logger } from '@aws-lambda-powertools/logger';
import { z } from 'zod';

import { createApiGatewayAdapter, type HttpApiHandler } from './api-gateway-adapter';
import type { LocalJwt } from './local-jwt';

/** What `/config.js` hands the upload page as `window.STOWAGE_CONFIG`. */
export interface PageConfig {
  /** The Bearer token the page sends to the API. */
  readonly token: string;
  /** The user the token is for (`sub`), shown on the page. */
  readonly user: string;
  /** Largest upload the API presigns, in bytes. */
  readonly maxUploadBytes: number;
  /** Content types the API presigns. */
  readonly allowedContentTypes: readonly string[];
}

export interface LocalHttpServerOptions {
  /** Interface to listen on. Default `127.0.0.1`. */
  readonly host?: string;
  /** TCP port; 0 picks a free one. Default 0. */
  readonly port?: number;
  /** The intake API's Lambda handler (createIntakeHttpApiHandler) behind `/uploads` and `/uploads/*`. Required. */
  readonly handler: HttpApiHandler;
  /** The local identity provider: authorizes API requests, serves `/.well-known/jwks.json`. Required. */
  readonly jwt: Pick<LocalJwt, 'authorize' | 'jwks'>;
  /** Directory of the upload page's static files (local/web/, with index.html). Required. */
  readonly webRoot: string;
  /** The page's config, or a function giving it per request (e.g. to mint a fresh token). Required. */
  readonly pageConfig: PageConfig | (() => PageConfig | Promise<PageConfig>);
  /** S3 endpoint the page posts uploads to (presigned POST); its origin is the CSP's extra connect-src. Required. */
  readonly s3Endpoint: string;
  /** Largest API request body, in bytes (413 above). Default: the adapter's DEFAULT_MAX_BODY_BYTES (1 MiB). */
  readonly maxBodyBytes?: number;
  /** Further `Host` header values accepted besides the loopback names of the port. Default: none. */
  readonly allowedHosts?: readonly string[];
  /**
   * Where failures (ERROR, with the error) and requests their client aborted (INFO, no stack: nothing failed here)
   * are logged. Default: a Powertools Logger at WARN, service `stowage-local`.
   */
  readonly logger?: Pick<Logger, 'error' | 'info'>;
}

export interface LocalHttpServer {
  /** Base URL, e.g. `http://127.0.0.1:43817` (the API and the page share it). */
  readonly url: string;
  /** The port listened on. */
  readonly port: number;
  /** Stops listening and ends every connection, keep-alive ones included. Idempotent. */
  close(): Promise<void>;
}

export const JWKS_PATH = '/.well-known/jwks.json';
export const PAGE_CONFIG_PATH = '/config.js';

/** Content types of the files a page is made of; anything else is served as application/octet-stream. */
const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.webmanifest': 'application/manifest+json',
};

const pageConfigSchema = z.object({
  token: z.string().min(1, 'must not be empty'),
  user: z.string().min(1, 'must not be empty'),
  maxUploadBytes: z.int('must be a whole number').min(1, 'must be at least 1'),
  allowedContentTypes: z.array(z.string().min(1, 'must not be empty')).min(1, 'must list at least one type'),
});

function validPageConfig(value: unknown): PageConfig {
  const result = pageConfigSchema.safeParse(value);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `pageConfig.${issue.path.join('.')}: ${issue.message}`);
  throw new Error(`invalid page config: ${problems.join('; ')}`);
}

/** `window.STOWAGE_CONFIG = {…};` with the JSON escaped so no value can close the script or break the line. */
export function pageConfigScript(config: PageConfig): string {
  const json = JSON.stringify({
    token: config.token,
    user: config.user,
    maxUploadBytes: config.maxUploadBytes,
    allowedContentTypes: [...config.allowedContentTypes],
  })
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
  return `window.STOWAGE_CONFIG = ${json};\n`;
}

/** The page's Content-Security-Policy: its own origin only, plus the S3 endpoint for the presigned POST. */
export function contentSecurityPolicy(s3Origin: string): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    `connect-src 'self' ${s3Origin}`,
    `form-action 'self' ${s3Origin}`,
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

function s3OriginOf(endpoint: string): string {
  if (!URL.canParse(endpoint)) throw new Error(`s3Endpoint: '${endpoint}' is not a URL`);
  const url = new URL(endpoint);
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new Error(`s3Endpoint: '${endpoint}' must be an http(s):// URL`);
  return url.origin;
}

/** True for a Node system error with one of `codes` (not `instanceof Error`: it may come from another realm). */
function isErrnoException(error: unknown, ...codes: string[]): boolean {
  return (
    typeof error === 'object' && error !== null && codes.includes((error as NodeJS.ErrnoException).code ?? '')
  );
}

/** True when reading `request` failed because its client closed the connection before sending all of it. */
export function isClientAbort(request: IncomingMessage, error: unknown): boolean {
  return (
    request.destroyed &&
    !request.complete &&
    (isErrnoException(error, 'ECONNRESET', 'ERR_STREAM_PREMATURE_CLOSE') ||
      (error as Error)?.message === 'aborted')
  );
}

function hostForUrl(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/**
 * The file under `root` (a real path) that `pathname` names, or undefined when it names none that may be served:
 * `..`, `.` and hidden segments, backslashes and NUL are refused before the file system is asked, and the file's
 * real path (symbolic links resolved) must still be inside the root. `/` is index.html.
 */
async function staticFile(root: string, pathname: string): Promise<string | undefined> {
  const decoded = decodeURIComponent(pathname);
  if (decoded.includes('\0') || decoded.includes('\\')) return undefined;
  const segments = decoded.split('/').filter((segment) => segment !== '');
  if (segments.some((segment) => segment.startsWith('.'))) return undefined;
  const candidate = segments.length === 0 ? join(root, 'index.html') : join(root, ...segments);
  let real: string;
  try {
    real = await realpath(candidate);
    if (!real.startsWith(`${root}${sep}`) || !(await stat(real)).isFile()) return undefined;
  } catch (error) {
    if (isErrnoException(error, 'ENOENT', 'ENOTDIR', 'ENAMETOOLONG')) return undefined;
    throw error;
  }
  return real;
}

/**
 * The local HTTP front: the intake API behind API Gateway's behaviour (routes, JWT authorizer, payload 2.0, 413,
 * 404) on `/uploads` and `/uploads/*`, the page's static files from `webRoot` (`GET /` is index.html), its config
 * at `/config.js` and the JWKS at `/.well-known/jwks.json`. Page responses carry a CSP and the usual hardening
 * headers, and `Cache-Control: no-store`. Requests whose `Host` is not this server's (DNS rebinding) get 421;
 * `/config.js`, which carries a token, is refused to cross-site fetches and other origins' scripts.
 */
export async function startLocalHttpServer(options: LocalHttpServerOptions): Promise<LocalHttpServer> {
  const host = options.host ?? '127.0.0.1';
  const logger = options.logger ?? new Logger({ serviceName: 'stowage-local', logLevel: 'WARN' });
  const s3Origin = s3OriginOf(options.s3Endpoint);
  if (typeof options.pageConfig !== 'function') validPageConfig(options.pageConfig);
  let root: string;
  try {
    root = await realpath(options.webRoot);
  } catch (error) {
    if (isErrnoException(error, 'ENOENT', 'ENOTDIR'))
      throw new Error(`webRoot: ${options.webRoot} does not exist`, { cause: error });
    throw error;
  }
  if (!(await stat(root)).isDirectory()) throw new Error(`webRoot: ${options.webRoot} is not a directory`);
  const pageConfig = async (): Promise<PageConfig> =>
    validPageConfig(
      typeof options.pageConfig === 'function' ? await options.pageConfig() : options.pageConfig,
    );

  const api = createApiGatewayAdapter({
    handler: options.handler,
    authorize: (authorization) => options.jwt.authorize(authorization),
    ...(options.maxBodyBytes === undefined ? {} : { maxBodyBytes: options.maxBodyBytes }),
    logger,
  });
  const pageHeaders: Readonly<Record<string, string>> = {
    'content-security-policy': contentSecurityPolicy(s3Origin),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': 'same-origin',
  };
  let allowedHosts = new Set<string>();

  const reply = (
    request: IncomingMessage,
    response: ServerResponse,
    statusCode: number,
    contentType: string,
    body: string | Buffer,
    headers: Readonly<Record<string, string>> = {},
  ): void => {
    const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
    response.writeHead(statusCode, {
      ...pageHeaders,
      ...headers,
      'content-type': contentType,
      'content-length': String(bytes.length),
    });
    response.end(request.method === 'HEAD' ? undefined : bytes);
  };
  const text = 'text/plain; charset=utf-8';

  const dispatch = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    if (!allowedHosts.has((request.headers.host ?? '').toLowerCase())) {
      request.resume();
      reply(request, response, 421, text, 'Misdirected Request: unknown Host\n');
      return;
    }
    const pathname = (request.url ?? '/').split('?', 1)[0] ?? '/';
    if (pathname === '/uploads' || pathname.startsWith('/uploads/')) {
      await api(request, response);
      return;
    }
    request.resume();
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      reply(request, response, 405, text, 'Method Not Allowed\n', { allow: 'GET, HEAD' });
      return;
    }
    if (pathname === JWKS_PATH) {
      reply(request, response, 200, 'application/json; charset=utf-8', JSON.stringify(options.jwt.jwks()));
      return;
    }
    if (pathname === PAGE_CONFIG_PATH) {
      // The script carries a Bearer token: only this origin's page (or a non-browser client) may load it.
      const site = request.headers['sec-fetch-site'];
      if (site !== undefined && site !== 'same-origin' && site !== 'none') {
        reply(request, response, 403, text, 'Forbidden\n');
        return;
      }
      reply(request, response, 200, 'text/javascript; charset=utf-8', pageConfigScript(await pageConfig()));
      return;
    }
    let file: string | undefined;
    try {
      file = await staticFile(root, pathname);
    } catch (error) {
      if (!(error instanceof URIError)) throw error;
      reply(request, response, 400, text, 'Bad Request: malformed percent-encoding\n');
      return;
    }
    if (!file) {
      reply(request, response, 404, text, 'Not Found\n');
      return;
    }
    const type = CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream';
    reply(request, response, 200, type, await readFile(file));
  };

  const server = createServer((request, response) => {
    dispatch(request, response).catch((error: unknown) => {
      if (isClientAbort(request, error)) {
        // The client went away mid-request (closed tab, cancelled upload): nothing to answer, nothing broke.
        logger.info('client aborted the request', { method: request.method, url: request.url });
        response.destroy();
        return;
      }
      logger.error('request failed', { method: request.method, url: request.url, error: error as Error });
      if (response.headersSent) {
        response.destroy();
        return;
      }
      reply(request, response, 500, text, 'Internal Server Error\n');
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  allowedHosts = new Set(
    [hostForUrl(host), 'localhost', '127.0.0.1', '[::1]']
      .map((name) => `${name}:${port}`)
      .concat(options.allowedHosts ?? [])
      .map((name) => name.toLowerCase()),
  );

  let closing: Promise<void> | undefined;
  return {
    url: `http://${hostForUrl(host)}:${port}`,
    port,
    close() {
      closing ??= new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
