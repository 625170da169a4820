import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { S3Client } from '@aws-sdk/client-s3';
import type { APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyResultV2, Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';

import { MemoryStatusStore } from '../../../core/status/memory-status-store';
import type { StatusRecord } from '../../../core/status/upload-status';
import {
  createApiGatewayAdapter,
  DEFAULT_MAX_BODY_BYTES,
  type ApiGatewayAdapterOptions,
  type HttpApiAuthorizer,
  type HttpApiHandler,
} from '../../../local/runtime/api-gateway-adapter';
import { createIntakeHttpApiHandler } from '../../../local/runtime/intake-api-handler';
import { openLocalJwt, type LocalJwt } from '../../../local/runtime/local-jwt';
import { send } from './http-test-client';
import { AUDIENCE, tempDataDir } from './jwt-fixtures';

const NOW = new Date('2026-03-04T05:06:07.000Z');
const UPLOAD_ID = '0b8e4c5e-2a61-4f3b-9d7e-1c2b3a4d5e6f';
const CLAIMS = { sub: 'alice', iss: 'stowage-local', aud: AUDIENCE, exp: '1772604367' };

/** An authorizer that lets everyone in as alice, or refuses when told to. */
function fixedAuthorizer(refuse = false): jest.MockedFunction<HttpApiAuthorizer> {
  return jest.fn<ReturnType<HttpApiAuthorizer>, Parameters<HttpApiAuthorizer>>(async () =>
    refuse
      ? { authorized: false as const, description: 'the token has expired', tokenPresented: true }
      : { authorized: true as const, claims: CLAIMS, scopes: ['uploads/write'] },
  );
}

interface Harness {
  readonly url: string;
  readonly handler: jest.MockedFunction<HttpApiHandler>;
  readonly logger: { error: jest.Mock };
}

const servers: Server[] = [];

async function listen(options: Partial<ApiGatewayAdapterOptions> & { result?: APIGatewayProxyResultV2 }) {
  const handler = jest.fn<ReturnType<HttpApiHandler>, Parameters<HttpApiHandler>>(
    async () =>
      options.result ?? { statusCode: 200, headers: { 'content-type': 'application/json' }, body: '{}' },
  );
  const logger = { error: jest.fn() };
  const adapter = createApiGatewayAdapter({
    handler,
    authorize: fixedAuthorizer(),
    logger,
    now: () => NOW,
    ...options,
  });
  const server = createServer((request, response) => void adapter(request, response));
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, handler: (options.handler as typeof handler) ?? handler, logger };
}

function eventOf(harness: Harness): APIGatewayProxyEventV2WithJWTAuthorizer {
  expect(harness.handler).toHaveBeenCalledTimes(1);
  return harness.handler.mock.calls[0]![0];
}

afterEach(async () => {
  await Promise.all(
    servers.splice(0).map(
      (server) =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    ),
  );
});

describe('API Gateway adapter: request → payload 2.0 event', () => {
  it('maps POST /uploads with its query, headers, cookies, body and the authorizer context', async () => {
    // Arrange
    const harness = await listen({});
    const body = JSON.stringify({ fileName: 'a.pdf', contentType: 'application/pdf', size: 10 });

    // Act
    const response = await send(harness.url, {
      method: 'POST',
      path: '/uploads?x=1&x=2&y=a%20b',
      headers: {
        'Content-Type': 'application/json',
        Authorization: 'Bearer t',
        'User-Agent': 'jest-agent',
        'X-Multi': ['one', 'two'],
        Cookie: 'a=1; b=2',
      },
      body,
    });

    // Assert
    const event = eventOf(harness);
    expect(event).toMatchObject({
      version: '2.0',
      routeKey: 'POST /uploads',
      rawPath: '/uploads',
      rawQueryString: 'x=1&x=2&y=a%20b',
      queryStringParameters: { x: '1,2', y: 'a b' },
      cookies: ['a=1', 'b=2'],
      body,
      isBase64Encoded: false,
      requestContext: {
        http: {
          method: 'POST',
          path: '/uploads',
          protocol: 'HTTP/1.1',
          sourceIp: '127.0.0.1',
          userAgent: 'jest-agent',
        },
        routeKey: 'POST /uploads',
        stage: '$default',
        time: '04/Mar/2026:05:06:07 +0000',
        timeEpoch: NOW.getTime(),
        authorizer: { jwt: { claims: CLAIMS, scopes: ['uploads/write'] } },
      },
    });
    expect(event.headers).toMatchObject({
      'content-type': 'application/json',
      authorization: 'Bearer t',
      'x-multi': 'one,two',
    });
    expect(Object.keys(event.headers).every((name) => name === name.toLowerCase())).toBe(true);
    expect(event.headers).not.toHaveProperty('cookie');
    expect(event.pathParameters).toBeUndefined();
    expect(event.requestContext.requestId).toMatch(/^[A-Za-z0-9+/]{14}=$/);
    expect(response.headers['apigw-requestid']).toBe(event.requestContext.requestId);
  });

  it('maps GET /uploads/{uploadId} with the decoded path parameter and no body', async () => {
    // Arrange
    const harness = await listen({});

    // Act
    await send(harness.url, { path: '/uploads/a%20b%2Bc' });

    // Assert
    const event = eventOf(harness);
    expect(event).toMatchObject({
      routeKey: 'GET /uploads/{uploadId}',
      rawPath: '/uploads/a%20b%2Bc',
      rawQueryString: '',
      pathParameters: { uploadId: 'a b+c' },
      isBase64Encoded: false,
    });
    expect(event.body).toBeUndefined();
    expect(event.queryStringParameters).toBeUndefined();
    expect(event.cookies).toBeUndefined();
  });

  it('base64-encodes a binary body', async () => {
    // Arrange
    const harness = await listen({});
    const bytes = Buffer.from([0, 255, 1, 254, 0x80]);

    // Act
    await send(harness.url, {
      method: 'POST',
      path: '/uploads',
      headers: { 'content-type': 'application/octet-stream' },
      body: bytes,
    });

    // Assert
    expect(eventOf(harness)).toMatchObject({ body: bytes.toString('base64'), isBase64Encoded: true });
  });

  it('passes a Lambda context that counts down from the function timeout', async () => {
    // Arrange
    let remaining = -1;
    let context: Context | undefined;
    const harness = await listen({
      functionTimeoutMs: 5000,
      handler: jest.fn(async (_event, ctx: Context) => {
        context = ctx;
        remaining = ctx.getRemainingTimeInMillis();
        return { statusCode: 204 };
      }),
    });

    // Act
    await send(harness.url, { path: '/uploads/x' });

    // Assert
    expect(context).toMatchObject({ functionName: 'stowage-local-intake-api' });
    expect(context?.awsRequestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(remaining).toBeGreaterThan(4000);
    expect(remaining).toBeLessThanOrEqual(5000);
  });
});

describe('API Gateway adapter: result → HTTP response', () => {
  it('sends status, headers, cookies and a base64 body decoded', async () => {
    // Arrange
    const bytes = Buffer.from([1, 2, 3, 250]);
    const harness = await listen({
      result: {
        statusCode: 202,
        headers: { 'Content-Type': 'application/octet-stream', 'x-count': 3 },
        cookies: ['s=1; HttpOnly', 't=2'],
        body: bytes.toString('base64'),
        isBase64Encoded: true,
      },
    });

    // Act
    const response = await send(harness.url, { path: '/uploads/x' });

    // Assert
    expect(response.status).toBe(202);
    expect(response.headers['content-type']).toBe('application/octet-stream');
    expect(response.headers['x-count']).toBe('3');
    expect(response.headers['set-cookie']).toEqual(['s=1; HttpOnly', 't=2']);
    expect(response.body).toEqual(bytes);
  });

  it('sends a string result as a 200 JSON body, as payload 2.0 infers', async () => {
    // Arrange
    const harness = await listen({ result: '{"ok":true}' });

    // Act
    const response = await send(harness.url, { path: '/uploads/x' });

    // Assert
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toBe('application/json');
    expect(response.json()).toEqual({ ok: true });
  });

  it('answers 500 Internal Server Error when the handler throws, and logs the cause', async () => {
    // Arrange
    const harness = await listen({
      handler: jest.fn(async () => {
        throw new Error('database exploded');
      }),
    });

    // Act
    const response = await send(harness.url, { path: '/uploads/x' });

    // Assert
    expect(response.status).toBe(500);
    expect(response.json()).toEqual({ message: 'Internal Server Error' });
    expect(response.text).not.toContain('exploded');
    expect(harness.logger.error).toHaveBeenCalledWith(
      'handler failed',
      expect.objectContaining({ error: expect.objectContaining({ message: 'database exploded' }) }),
    );
  });

  it('answers 500 when the handler returns a status code API Gateway cannot map', async () => {
    // Arrange
    const harness = await listen({ result: { statusCode: 42, body: 'x' } });

    // Act
    const response = await send(harness.url, { path: '/uploads/x' });

    // Assert
    expect(response.status).toBe(500);
    expect(response.json()).toEqual({ message: 'Internal Server Error' });
    expect(harness.logger.error).toHaveBeenCalled();
  });
});

describe('API Gateway adapter: what never reaches the handler', () => {
  it.each([
    ['PUT /uploads', 'PUT', '/uploads', 'POST, GET'],
    ['POST /uploads/{id}/download', 'POST', '/uploads/x/download', 'GET'],
    ['POST /uploads/{id}', 'POST', '/uploads/x', 'GET'],
    ['DELETE /uploads/{id}', 'DELETE', '/uploads/x', 'GET'],
    ['HEAD /uploads/{id}', 'HEAD', '/uploads/x', 'GET'],
    ['OPTIONS', 'OPTIONS', '/uploads', 'POST, GET'],
  ])(
    'answers %s (a known path, a wrong method) with 405 and Allow before the authorizer',
    async (_case, method, path, allow) => {
      // Arrange
      const authorize = fixedAuthorizer();
      const harness = await listen({ authorize });

      // Act
      const response = await send(harness.url, { method, path });

      // Assert
      expect(response.status).toBe(405);
      expect(response.headers.allow).toBe(allow);
      if (method !== 'HEAD') expect(response.json()).toEqual({ message: 'Method Not Allowed' });
      expect(authorize).not.toHaveBeenCalled();
      expect(harness.handler).not.toHaveBeenCalled();
    },
  );

  it.each([
    ['a nested path', 'GET', '/uploads/x/y'],
    ['a trailing slash', 'POST', '/uploads/'],
  ])('answers %s with 404 Not Found before the authorizer', async (_case, method, path) => {
    // Arrange
    const authorize = fixedAuthorizer();
    const harness = await listen({ authorize });

    // Act
    const response = await send(harness.url, { method, path });

    // Assert
    expect(response.status).toBe(404);
    expect(response.json()).toEqual({ message: 'Not Found' });
    expect(authorize).not.toHaveBeenCalled();
    expect(harness.handler).not.toHaveBeenCalled();
  });

  it('answers 401 Unauthorized with a Bearer challenge when the authorizer refuses', async () => {
    // Arrange
    const harness = await listen({ authorize: fixedAuthorizer(true) });

    // Act
    const response = await send(harness.url, { path: '/uploads/x', headers: { authorization: 'Bearer x' } });

    // Assert
    expect(response.status).toBe(401);
    expect(response.json()).toEqual({ message: 'Unauthorized' });
    expect(response.headers['www-authenticate']).toBe(
      'Bearer error="invalid_token", error_description="the token has expired"',
    );
    expect(harness.handler).not.toHaveBeenCalled();
  });

  it('accepts a body of exactly the limit', async () => {
    // Arrange
    const harness = await listen({});

    // Act
    const response = await send(harness.url, {
      method: 'POST',
      path: '/uploads',
      headers: { 'content-type': 'application/json' },
      body: Buffer.alloc(DEFAULT_MAX_BODY_BYTES, 0x20),
    });

    // Assert
    expect(response.status).toBe(200);
    expect(eventOf(harness).body).toHaveLength(DEFAULT_MAX_BODY_BYTES);
  });

  it.each([
    ['a declared length', false],
    ['chunked transfer encoding', true],
  ])('answers 413 to a body over 1 MiB sent with %s', async (_case, chunked) => {
    // Arrange
    const harness = await listen({});

    // Act
    const response = await send(harness.url, {
      method: 'POST',
      path: '/uploads',
      headers: { 'content-type': 'application/json' },
      body: Buffer.alloc(DEFAULT_MAX_BODY_BYTES + 1, 0x20),
      chunked,
    });

    // Assert
    expect(response.status).toBe(413);
    expect(response.json()).toEqual({ message: 'Request Entity Too Large' });
    expect(harness.handler).not.toHaveBeenCalled();
  });
});

describe('API Gateway adapter in front of the real intake handler', () => {
  const s3Mock = mockClient(S3Client);
  let data: ReturnType<typeof tempDataDir>;
  let jwt: LocalJwt;
  let store: MemoryStatusStore;
  let url: string;

  beforeAll(async () => {
    data = tempDataDir();
    jwt = await openLocalJwt({ dataDir: data.dir, audiences: [AUDIENCE] });
  });

  afterAll(() => {
    data.cleanup();
  });

  beforeEach(async () => {
    s3Mock.reset();
    store = new MemoryStatusStore();
    const handler = createIntakeHttpApiHandler({
      config: {
        uploadsBucket: 'stowage-dev-uploads',
        uploadsKeyId: 'local-uploads-key',
        maxUploadBytes: 10 * 1024 * 1024,
        allowedContentTypes: ['application/pdf'],
        presignExpirySeconds: 900,
        processedBucket: 'processed',
        downloadExpirySeconds: 300,
      },
      // Presigning signs locally and sends nothing; the mock proves it.
      s3: new S3Client({
        region: 'us-east-1',
        endpoint: 'http://127.0.0.1:7480',
        forcePathStyle: true,
        credentials: { accessKeyId: 'local', secretAccessKey: 'local-secret' },
      }),
      statusStore: store,
      logger: { info: jest.fn(), warn: jest.fn(), error: jest.fn() },
      newUploadId: () => UPLOAD_ID,
    });
    ({ url } = await listen({ handler, authorize: (header) => jwt.authorize(header) }));
  });

  it("presigns an upload for the token's sub: 201, and the record and key name that user", async () => {
    // Arrange
    const token = await jwt.mintToken({ user: 'alice' });

    // Act
    const response = await send(url, {
      method: 'POST',
      path: '/uploads',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ fileName: 'report.pdf', contentType: 'application/pdf', size: 1234 }),
    });

    // Assert
    expect(response.status).toBe(201);
    const body = response.json() as {
      uploadId: string;
      key: string;
      url: string;
      fields: Record<string, string>;
    };
    expect(body.uploadId).toBe(UPLOAD_ID);
    expect(body.key).toMatch(new RegExp(`^uploads/alice/\\d{4}/\\d{2}/\\d{2}/${UPLOAD_ID}\\.pdf$`));
    expect(body.url).toBe('http://127.0.0.1:7480/stowage-dev-uploads');
    expect(body.fields).toMatchObject({ key: body.key, 'Content-Type': 'application/pdf' });
    await expect(store.get(UPLOAD_ID)).resolves.toMatchObject({ owner: 'alice', status: 'pending' });
    expect(s3Mock.calls()).toHaveLength(0);
  });

  it('answers the owner with the status and the manifest of a processed upload; anyone else with 404', async () => {
    // Arrange
    const manifest = {
      sha256: 'c'.repeat(64),
      size: 1234,
      declaredType: 'application/pdf',
      detectedType: 'application/pdf',
      uploadedAt: '2026-03-04T05:06:30.000Z',
      processedAt: '2026-03-04T05:07:00.000Z',
      media: {},
    };
    const record: StatusRecord = {
      uploadId: UPLOAD_ID,
      owner: 'alice',
      status: 'processed',
      fileName: 'report.pdf',
      contentType: 'application/pdf',
      declaredSize: 1234,
      uploadKey: `uploads/alice/2026/03/04/${UPLOAD_ID}.pdf`,
      processedKey: `processed/alice/2026/03/04/${UPLOAD_ID}.pdf`,
      manifest,
      createdAt: '2026-03-04T05:06:07.000Z',
      updatedAt: '2026-03-04T05:07:00.000Z',
    };
    await store.create(record);
    const alice = await jwt.mintToken({ user: 'alice' });
    const bob = await jwt.mintToken({ user: 'bob' });

    // Act
    const own = await send(url, {
      path: `/uploads/${UPLOAD_ID}`,
      headers: { authorization: `Bearer ${alice}` },
    });
    const foreign = await send(url, {
      path: `/uploads/${UPLOAD_ID}`,
      headers: { authorization: `Bearer ${bob}` },
    });

    // Assert
    expect(own.status).toBe(200);
    expect(own.json()).toMatchObject({ uploadId: UPLOAD_ID, status: 'processed', manifest });
    expect(own.headers['cache-control']).toBe('no-store');
    expect(foreign.status).toBe(404);
    expect(foreign.json()).toEqual({ error: 'not_found' });
  });

  it('answers 401 without calling the API when the token is missing', async () => {
    // Act
    const response = await send(url, { path: `/uploads/${UPLOAD_ID}` });

    // Assert
    expect(response.status).toBe(401);
    expect(response.json()).toEqual({ message: 'Unauthorized' });
    expect(response.headers['www-authenticate']).toBe('Bearer');
  });
});
