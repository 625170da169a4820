import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { Agent } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';

import type { HttpApiHandler } from '../../../local/runtime/api-gateway-adapter';
import { openLocalJwt, type LocalJwt } from '../../../local/runtime/local-jwt';
import {
  pageConfigScript,
  startLocalHttpServer,
  type LocalHttpServer,
  type LocalHttpServerOptions,
  type PageConfig,
} from '../../../local/runtime/local-http-server';
import { send } from './http-test-client';
import { AUDIENCE, craftToken, otherKey, storedSigningKey, tempDataDir } from './jwt-fixtures';

const S3_ENDPOINT = 'http://127.0.0.1:7480';
const SECRET = 'TOP-SECRET-OUTSIDE-WEB-ROOT';
const INDEX_HTML = '<!doctype html><title>Stowage</title><script src="/config.js"></script>';

let data: ReturnType<typeof tempDataDir>;
let webRoot: string;
let jwt: LocalJwt;
let server: LocalHttpServer | undefined;

const PAGE_CONFIG: PageConfig = {
  token: 'page-token',
  user: 'alice',
  maxUploadBytes: 10 * 1024 * 1024,
  allowedContentTypes: ['application/pdf', 'image/png'],
};

/** The handler echoes the subject it was given, so a test can see `sub` reach it. */
const echoHandler = jest.fn<ReturnType<HttpApiHandler>, Parameters<HttpApiHandler>>(async (event) => ({
  statusCode: event.routeKey === 'POST /uploads' ? 201 : 200,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ sub: event.requestContext.authorizer.jwt.claims.sub, routeKey: event.routeKey }),
}));

async function start(overrides: Partial<LocalHttpServerOptions> = {}): Promise<LocalHttpServer> {
  server = await startLocalHttpServer({
    handler: echoHandler,
    jwt,
    webRoot,
    pageConfig: PAGE_CONFIG,
    s3Endpoint: S3_ENDPOINT,
    logger: { error: jest.fn(), info: jest.fn() },
    ...overrides,
  });
  return server;
}

beforeAll(async () => {
  // data dir layout: jwt/ (key), web/ (the root), secret.txt beside it, and a link out of the root.
  data = tempDataDir();
  jwt = await openLocalJwt({ dataDir: data.dir, audiences: [AUDIENCE] });
  webRoot = join(data.dir, 'web');
  mkdirSync(join(webRoot, 'sub'), { recursive: true });
  writeFileSync(join(webRoot, 'index.html'), INDEX_HTML);
  writeFileSync(join(webRoot, 'app.js'), 'console.log("app");');
  writeFileSync(join(webRoot, 'styles.css'), 'body { margin: 0; }');
  writeFileSync(join(webRoot, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  writeFileSync(join(webRoot, 'sub', 'notes.txt'), 'notes');
  writeFileSync(join(webRoot, 'blob.bin'), Buffer.from([0, 1, 2]));
  writeFileSync(join(webRoot, '.env'), SECRET);
  writeFileSync(join(data.dir, 'secret.txt'), SECRET);
  symlinkSync(join(data.dir, 'secret.txt'), join(webRoot, 'link-out.txt'));
});

afterAll(() => {
  data.cleanup();
});

beforeEach(() => {
  echoHandler.mockClear();
});

afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('local HTTP server: the page', () => {
  it('serves index.html at / with the CSP allowing the S3 endpoint, hardening headers and no-store', async () => {
    // Arrange
    const { url } = await start();

    // Act
    const response = await send(url, { path: '/' });

    // Assert
    expect(response.status).toBe(200);
    expect(response.text).toBe(INDEX_HTML);
    expect(response.headers).toMatchObject({
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
      'referrer-policy': 'no-referrer',
    });
    const csp = response.headers['content-security-policy'];
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain(`connect-src 'self' ${S3_ENDPOINT}`);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
  });

  it.each([
    ['/app.js', 'text/javascript; charset=utf-8'],
    ['/styles.css', 'text/css; charset=utf-8'],
    ['/favicon.svg', 'image/svg+xml'],
    ['/sub/notes.txt', 'text/plain; charset=utf-8'],
    ['/blob.bin', 'application/octet-stream'],
  ])('serves %s as %s, not cached', async (path, contentType) => {
    // Arrange
    const { url } = await start();

    // Act
    const response = await send(url, { path });

    // Assert
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toBe(contentType);
    expect(response.headers['cache-control']).toBe('no-store');
  });

  it('answers HEAD with the headers only', async () => {
    // Arrange
    const { url } = await start();

    // Act
    const response = await send(url, { method: 'HEAD', path: '/app.js' });

    // Assert
    expect(response.status).toBe(200);
    expect(response.headers['content-length']).toBe(String('console.log("app");'.length));
    expect(response.body).toHaveLength(0);
  });

  it.each([
    ['a parent segment', '/../secret.txt'],
    ['a nested parent segment', '/sub/../../secret.txt'],
    ['an encoded parent segment', '/%2e%2e/secret.txt'],
    ['an encoded slash', '/..%2fsecret.txt'],
    ['a fully encoded path', '/%2e%2e%2f%2e%2e%2fsecret.txt'],
    ['a backslash', '/..%5csecret.txt'],
    ['an absolute path', '//etc/passwd'],
    ['a NUL byte', '/index.html%00.txt'],
    ['a hidden file', '/.env'],
    ['a symbolic link out of the root', '/link-out.txt'],
  ])('refuses %s and never serves what is outside the root', async (_case, path) => {
    // Arrange
    const { url } = await start();

    // Act
    const response = await send(url, { path });

    // Assert
    expect(response.status).toBe(404);
    expect(response.text).not.toContain(SECRET);
    expect(response.text).not.toContain('root:');
  });

  it('answers a malformed percent-encoding with 400', async () => {
    // Arrange
    const { url } = await start();

    // Act
    const response = await send(url, { path: '/%E0%A4%A' });

    // Assert
    expect(response.status).toBe(400);
  });

  it('answers an unknown file with 404 and a non-GET method with 405', async () => {
    // Arrange
    const { url } = await start();

    // Act
    const missing = await send(url, { path: '/nope.js' });
    const posted = await send(url, { method: 'POST', path: '/', body: 'x' });

    // Assert
    expect(missing.status).toBe(404);
    expect(posted.status).toBe(405);
    expect(posted.headers.allow).toBe('GET, HEAD');
  });

  it('refuses a request for another Host (DNS rebinding) with 421', async () => {
    // Arrange
    const { url, port } = await start();

    // Act
    const rebound = await send(url, { path: '/config.js', headers: { host: `evil.example:${port}` } });
    const localhost = await send(url, { path: '/config.js', headers: { host: `localhost:${port}` } });

    // Assert
    expect(rebound.status).toBe(421);
    expect(rebound.text).not.toContain('page-token');
    expect(localhost.status).toBe(200);
  });
});

describe('local HTTP server: /config.js', () => {
  it('hands the page its config as window.STOWAGE_CONFIG', async () => {
    // Arrange
    const { url } = await start();

    // Act
    const response = await send(url, { path: '/config.js' });

    // Assert
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(response.headers['cache-control']).toBe('no-store');
    expect(response.headers['cross-origin-resource-policy']).toBe('same-origin');
    expect(response.text).toBe(`window.STOWAGE_CONFIG = ${JSON.stringify(PAGE_CONFIG)};\n`);
    const sandbox = { window: {} as Record<string, unknown> };
    runInNewContext(response.text, sandbox);
    expect(sandbox.window.STOWAGE_CONFIG).toEqual(PAGE_CONFIG);
  });

  it('asks a config function per request (a fresh token each page load)', async () => {
    // Arrange
    let loads = 0;
    const { url } = await start({
      pageConfig: async () => ({ ...PAGE_CONFIG, token: `token-${++loads}` }),
    });

    // Act
    const first = await send(url, { path: '/config.js' });
    const second = await send(url, { path: '/config.js' });

    // Assert
    expect(first.text).toContain('"token":"token-1"');
    expect(second.text).toContain('"token":"token-2"');
  });

  it('escapes values so none can close the script element or break the line', () => {
    // Act
    const script = pageConfigScript({ ...PAGE_CONFIG, user: '</script><script>alert(1)</script>\u2028&' });

    // Assert
    expect(script).not.toMatch(/<|>|&|\u2028/);
    const sandbox = { window: {} as Record<string, { user?: string }> };
    runInNewContext(script, sandbox);
    expect(sandbox.window.STOWAGE_CONFIG?.user).toBe('</script><script>alert(1)</script>\u2028&');
  });

  it.each(['cross-site', 'same-site'])('refuses to hand the token to a %s request', async (site) => {
    // Arrange
    const { url } = await start();

    // Act
    const response = await send(url, { path: '/config.js', headers: { 'sec-fetch-site': site } });

    // Assert
    expect(response.status).toBe(403);
    expect(response.text).not.toContain('page-token');
  });

  it('serves it to its own page (same-origin) and to direct navigation (none)', async () => {
    // Arrange
    const { url } = await start();

    // Act
    const sameOrigin = await send(url, { path: '/config.js', headers: { 'sec-fetch-site': 'same-origin' } });
    const direct = await send(url, { path: '/config.js', headers: { 'sec-fetch-site': 'none' } });

    // Assert
    expect(sameOrigin.status).toBe(200);
    expect(direct.status).toBe(200);
  });
});

describe('local HTTP server: the API behind the JWT authorizer', () => {
  it('passes a valid token: the handler runs and gets its sub', async () => {
    // Arrange
    const { url } = await start();
    const token = await jwt.mintToken({ user: 'alice' });

    // Act
    const posted = await send(url, {
      method: 'POST',
      path: '/uploads',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: '{}',
    });
    const status = await send(url, { path: '/uploads/abc', headers: { authorization: `Bearer ${token}` } });

    // Assert
    expect(posted.status).toBe(201);
    expect(posted.json()).toEqual({ sub: 'alice', routeKey: 'POST /uploads' });
    expect(status.status).toBe(200);
    expect(status.json()).toEqual({ sub: 'alice', routeKey: 'GET /uploads/{uploadId}' });
  });

  it.each<[string, (jwt: LocalJwt) => Promise<string | undefined>]>([
    ['missing', async () => undefined],
    ['malformed', async () => 'Bearer not-a-jwt'],
    [
      'expired',
      async (j) => `Bearer ${await craftToken(j, { key: storedSigningKey(data.dir), claims: { exp: 1 } })}`,
    ],
    ['forged (another key)', async (j) => `Bearer ${await craftToken(j, { key: otherKey() })}`],
    [
      'for the wrong audience',
      async (j) =>
        `Bearer ${await craftToken(j, { key: storedSigningKey(data.dir), claims: { aud: 'stowage-prod' } })}`,
    ],
    [
      'from the wrong issuer',
      async (j) =>
        `Bearer ${await craftToken(j, { key: storedSigningKey(data.dir), claims: { iss: 'https://evil' } })}`,
    ],
  ])('answers a %s token with 401 Unauthorized and never calls the handler', async (_case, header) => {
    // Arrange
    const { url } = await start();
    const authorization = await header(jwt);

    // Act
    const response = await send(url, {
      method: 'POST',
      path: '/uploads',
      headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
      body: '{}',
    });

    // Assert
    expect(response.status).toBe(401);
    expect(response.json()).toEqual({ message: 'Unauthorized' });
    expect(echoHandler).not.toHaveBeenCalled();
  });

  it('answers unknown API routes like API Gateway: 404 {"message":"Not Found"}', async () => {
    // Arrange
    const { url } = await start();

    // Act
    const response = await send(url, { method: 'GET', path: '/uploads/abc/def' });

    // Assert
    expect(response.status).toBe(404);
    expect(response.json()).toEqual({ message: 'Not Found' });
  });

  it('logs a request its client aborted mid-body at INFO, without an error or stack, and keeps serving', async () => {
    // Arrange
    const logger = { error: jest.fn(), info: jest.fn() };
    const { url, port } = await start({ logger });
    const token = await jwt.mintToken({ user: 'alice' });
    // Act: headers promise 1000 bytes; 10 arrive, then the client goes away.
    const socket = connect({ host: '127.0.0.1', port });
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    socket.write(
      `POST /uploads HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: Bearer ${token}\r\n` +
        'Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"fileName"',
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    socket.destroy();
    const deadline = Date.now() + 5_000;
    while (logger.info.mock.calls.length === 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    // Assert
    expect(logger.info).toHaveBeenCalledWith('client aborted the request', {
      method: 'POST',
      url: '/uploads',
    });
    expect(logger.error).not.toHaveBeenCalled();
    expect(echoHandler).not.toHaveBeenCalled();
    expect((await send(url, { path: '/' })).status).toBe(200);
  });

  it('answers a wrong method on a known API path with 405 and Allow', async () => {
    // Arrange
    const { url } = await start();

    // Act
    const response = await send(url, { method: 'DELETE', path: '/uploads/abc' });

    // Assert
    expect(response.status).toBe(405);
    expect(response.headers.allow).toBe('GET');
    expect(response.json()).toEqual({ message: 'Method Not Allowed' });
  });

  it('serves the JWKS that verifies its tokens', async () => {
    // Arrange
    const { url } = await start();

    // Act
    const response = await send(url, { path: '/.well-known/jwks.json' });

    // Assert
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(response.json()).toEqual(jwt.jwks());
  });
});

describe('local HTTP server: start and stop', () => {
  it('listens on 127.0.0.1 on a free port by default', async () => {
    // Act
    const started = await start();

    // Assert
    expect(started.url).toBe(`http://127.0.0.1:${started.port}`);
    expect(started.port).toBeGreaterThan(0);
  });

  it('close ends keep-alive connections at once, and the port stops answering', async () => {
    // Arrange
    const started = await start();
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    await send(started.url, { path: '/app.js', agent });
    const [socket] = Object.values(agent.freeSockets).flat();
    const socketClosed = new Promise<void>((resolve) => socket?.once('close', () => resolve()));

    // Act
    const began = Date.now();
    await started.close();

    // Assert
    await socketClosed;
    expect(Date.now() - began).toBeLessThan(1000);
    await expect(send(started.url, { path: '/' })).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await expect(started.close()).resolves.toBeUndefined();
    agent.destroy();
  });

  it('close does not wait for a request in flight: its connection is ended', async () => {
    // Arrange
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => (release = resolve));
    let entered: () => void = () => undefined;
    const handlerEntered = new Promise<void>((resolve) => (entered = resolve));
    const started = await start({
      handler: async () => {
        entered();
        await released;
        return { statusCode: 200, body: '{}' };
      },
    });
    const token = await jwt.mintToken({ user: 'alice' });
    const inFlight = send(started.url, {
      path: '/uploads/abc',
      headers: { authorization: `Bearer ${token}` },
    });
    await handlerEntered;

    // Act
    const closed = await Promise.race([
      started.close().then(() => 'closed'),
      new Promise((resolve) => setTimeout(() => resolve('still waiting'), 1000).unref()),
    ]);
    release();

    // Assert
    expect(closed).toBe('closed');
    await expect(inFlight).rejects.toMatchObject({ code: 'ECONNRESET' });
  });

  it.each<[string, Partial<LocalHttpServerOptions>, string]>([
    [
      'an s3Endpoint that is no URL',
      { s3Endpoint: 'localhost:7480' },
      "s3Endpoint: 'localhost:7480' must be",
    ],
    ['a missing webRoot', { webRoot: '/nonexistent/web' }, 'webRoot: /nonexistent/web does not exist'],
    ['a bad page config', { pageConfig: { ...PAGE_CONFIG, maxUploadBytes: 0 } }, 'pageConfig.maxUploadBytes'],
    ['an empty token', { pageConfig: { ...PAGE_CONFIG, token: '' } }, 'pageConfig.token: must not be empty'],
  ])('refuses to start with %s, naming the field', async (_case, overrides, message) => {
    // Act / Assert
    await expect(start(overrides)).rejects.toThrow(message);
  });
});
