/**
 * API Gateway's HTTP API in front of a Lambda handler, locally: routes (404, 405 with Allow), the JWT authorizer
 * (401 with an RFC 6750 challenge), the body limit (413), the handler's Lambda context and its failures (500).
 * The event and response formats are http-api-event.ts.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

import { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyResultV2, Context } from 'aws-lambda';

import { LOCAL_ACCOUNT, LOCAL_REGION } from './eventbridge-envelope';
import { toHttpApiEvent, toHttpResponse, type HttpResponse, type MatchedRoute } from './http-api-event';
import type { JwtAuthorization } from './local-jwt';

export {
  requestTime,
  toHttpApiEvent,
  toHttpResponse,
  type EventInput,
  type MatchedRoute,
} from './http-api-event';

/** A Lambda handler behind an HTTP API route with a JWT authorizer (payload format 2.0). */
export type HttpApiHandler = (
  event: APIGatewayProxyEventV2WithJWTAuthorizer,
  context: Context,
) => Promise<APIGatewayProxyResultV2>;

/** The JWT authorizer: the `Authorization` header value in, a decision out. */
export type HttpApiAuthorizer = (authorization: string | undefined) => Promise<JwtAuthorization>;

/** The intake HTTP API's routes (lib/constructs/intake-http-api.ts), as API Gateway names them. */
export const INTAKE_ROUTE_KEYS = [
  'POST /uploads',
  'GET /uploads',
  'GET /uploads/{uploadId}',
  'GET /uploads/{uploadId}/download',
] as const;

/** Largest request body passed to the handler: 1 MiB (a presign request is a few hundred bytes). */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

/** Timeout the handler's context reports (`getRemainingTimeInMillis`): the dev API handler's 10 s. */
export const DEFAULT_FUNCTION_TIMEOUT_MS = 10_000;

export interface ApiGatewayAdapterOptions {
  /** The Lambda handler behind every route. Required. */
  readonly handler: HttpApiHandler;
  /** The JWT authorizer of every route. Required. */
  readonly authorize: HttpApiAuthorizer;
  /**
   * Route keys (`METHOD /path/{param}`) the API has. A path no route has gets 404; a path a route has, with another
   * method, gets 405 with `Allow` (local only: API Gateway's HTTP API answers 404). Default INTAKE_ROUTE_KEYS.
   */
  readonly routeKeys?: readonly string[];
  /** Largest request body accepted; a larger one gets 413. Default DEFAULT_MAX_BODY_BYTES. */
  readonly maxBodyBytes?: number;
  /** Function name in the handler's context. Default `stowage-local-intake-api`. */
  readonly functionName?: string;
  /** Timeout the handler's context counts down from. Default DEFAULT_FUNCTION_TIMEOUT_MS. */
  readonly functionTimeoutMs?: number;
  /** Where handler failures are logged. Default: a Powertools Logger at WARN, service `stowage-local`. */
  readonly logger?: Pick<Logger, 'error'>;
  /** Clock for `requestContext.time`. Default: the system clock. */
  readonly now?: () => Date;
}

interface CompiledRoute {
  readonly routeKey: string;
  readonly method: string;
  readonly pattern: RegExp;
  readonly parameterNames: readonly string[];
}

function compileRoute(routeKey: string): CompiledRoute {
  const match = /^([A-Z]+) (\/[^\s]*)$/.exec(routeKey);
  if (!match?.[1] || !match[2]) throw new Error(`routeKeys: '${routeKey}' is not 'METHOD /path'`);
  const parameterNames: string[] = [];
  const source = match[2]
    .split('/')
    .map((segment) => {
      const parameter = /^\{(\w+)\}$/.exec(segment);
      if (!parameter?.[1]) return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      parameterNames.push(parameter[1]);
      return '([^/]+)';
    })
    .join('/');
  return { routeKey, method: match[1], pattern: new RegExp(`^${source}$`), parameterNames };
}

/** The route API Gateway would pick for `method` and the raw (still percent-encoded) path, if any. */
function matchRoute(
  routes: readonly CompiledRoute[],
  method: string,
  rawPath: string,
): MatchedRoute | undefined {
  for (const route of routes) {
    if (route.method !== method) continue;
    const match = route.pattern.exec(rawPath);
    if (!match) continue;
    if (route.parameterNames.length === 0) return { routeKey: route.routeKey };
    const pathParameters: Record<string, string> = {};
    route.parameterNames.forEach((name, index) => {
      const raw = match[index + 1] ?? '';
      pathParameters[name] = decodePathSegment(raw);
    });
    return { routeKey: route.routeKey, pathParameters };
  }
  return undefined;
}

/** Methods of the routes whose path matches the raw path, in route order (none: the path is unknown). */
function allowedMethods(routes: readonly CompiledRoute[], rawPath: string): string[] {
  return [...new Set(routes.filter((route) => route.pattern.test(rawPath)).map((route) => route.method))];
}

/** A percent-decoded path segment; one with a broken escape is passed on as it is (the handler validates it). */
function decodePathSegment(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch (error) {
    if (error instanceof URIError) return raw;
    throw error;
  }
}

/** API Gateway request ids look like `Ab1cDefGhIjKlM=`: 14 base64 characters and `=`. */
function newRequestId(): string {
  return `${randomBytes(10).toString('base64').slice(0, 14)}=`;
}

function jsonMessage(
  statusCode: number,
  message: string,
  headers: Record<string, string> = {},
): HttpResponse {
  return {
    statusCode,
    headers: { 'content-type': 'application/json', ...headers },
    cookies: [],
    body: Buffer.from(JSON.stringify({ message })),
  };
}

/** The 401 of the JWT authorizer, with an RFC 6750 challenge. */
function unauthorized(decision: Extract<JwtAuthorization, { authorized: false }>): HttpResponse {
  const challenge = decision.tokenPresented
    ? `Bearer error="invalid_token", error_description="${decision.description.replace(/["\\]/g, '')}"`
    : 'Bearer';
  return jsonMessage(401, 'Unauthorized', { 'www-authenticate': challenge });
}

function send(response: ServerResponse, httpResponse: HttpResponse, requestId: string, close = false): void {
  response.statusCode = httpResponse.statusCode;
  for (const [name, value] of Object.entries(httpResponse.headers)) response.setHeader(name, value);
  if (httpResponse.cookies.length > 0) response.setHeader('set-cookie', [...httpResponse.cookies]);
  response.setHeader('apigw-requestid', requestId);
  response.setHeader('content-length', httpResponse.body.length);
  if (close) response.setHeader('connection', 'close');
  response.end(httpResponse.body);
}

/** Reads the body up to `maxBytes`; undefined as soon as it is longer (the rest is drained, not kept). */
async function readBody(request: IncomingMessage, maxBytes: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of request) {
    const buffer = chunk as Buffer;
    length += buffer.length;
    if (length > maxBytes) {
      request.resume();
      return undefined;
    }
    chunks.push(buffer);
  }
  return Buffer.concat(chunks, length);
}

function lambdaContext(functionName: string, timeoutMs: number, started: number): Context {
  const unsupported = () => {
    throw new Error('the callback-style context methods are not supported: return a promise');
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:${functionName}`,
    memoryLimitInMB: '512',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, started + timeoutMs - Date.now()),
    done: unsupported,
    fail: unsupported,
    succeed: unsupported,
  };
}

/**
 * API Gateway's HTTP API in front of a Lambda handler, for Node's http server: matches the request to a route
 * (else 404 `{"message":"Not Found"}`, or 405 with `Allow` when only the method is wrong), refuses bodies over the limit (413), runs the JWT authorizer (401
 * `{"message":"Unauthorized"}`), maps the request to a payload 2.0 event, calls the handler as Lambda would, and
 * maps its result back. A handler that throws gets 500 `{"message":"Internal Server Error"}`; the error is logged.
 */
export function createApiGatewayAdapter(
  options: ApiGatewayAdapterOptions,
): (request: IncomingMessage, response: ServerResponse) => Promise<void> {
  const routes = (options.routeKeys ?? INTAKE_ROUTE_KEYS).map(compileRoute);
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  if (!Number.isInteger(maxBodyBytes) || maxBodyBytes < 0)
    throw new Error(`maxBodyBytes must be a whole number >= 0, got ${maxBodyBytes}`);
  const functionName = options.functionName ?? 'stowage-local-intake-api';
  const timeoutMs = options.functionTimeoutMs ?? DEFAULT_FUNCTION_TIMEOUT_MS;
  const now = options.now ?? (() => new Date());
  const logger = options.logger ?? new Logger({ serviceName: 'stowage-local', logLevel: 'WARN' });

  return async (request, response) => {
    const requestId = newRequestId();
    const url = request.url ?? '/';
    const rawPath = url.split('?', 1)[0] ?? '/';
    const route = matchRoute(routes, request.method ?? '', rawPath);
    if (!route) {
      request.resume();
      const allow = allowedMethods(routes, rawPath);
      send(
        response,
        allow.length > 0
          ? jsonMessage(405, 'Method Not Allowed', { allow: allow.join(', ') })
          : jsonMessage(404, 'Not Found'),
        requestId,
      );
      return;
    }
    const declaredLength = Number(request.headers['content-length'] ?? 0);
    if (declaredLength > maxBodyBytes) {
      request.resume();
      send(response, jsonMessage(413, 'Request Entity Too Large'), requestId, true);
      return;
    }
    const authorization = await options.authorize(request.headers.authorization);
    if (!authorization.authorized) {
      request.resume();
      send(response, unauthorized(authorization), requestId);
      return;
    }
    const body = await readBody(request, maxBodyBytes);
    if (!body) {
      send(response, jsonMessage(413, 'Request Entity Too Large'), requestId, true);
      return;
    }
    const event = toHttpApiEvent({ request, route, body, authorization, requestId, now: now() });
    let result: APIGatewayProxyResultV2;
    try {
      result = await options.handler(event, lambdaContext(functionName, timeoutMs, Date.now()));
    } catch (error) {
      // Lambda reports the failure to API Gateway, which answers 500; the cause stays in the logs.
      logger.error('handler failed', { requestId, routeKey: route.routeKey, error: error as Error });
      send(response, jsonMessage(500, 'Internal Server Error'), requestId);
      return;
    }
    const mapped = toHttpResponse(result);
    if (!mapped) {
      logger.error('handler returned a response API Gateway cannot map', {
        requestId,
        routeKey: route.routeKey,
      });
      send(response, jsonMessage(500, 'Internal Server Error'), requestId);
      return;
    }
    send(response, mapped, requestId);
  };
}
