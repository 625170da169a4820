/**
 * What API Gateway's HTTP API makes of a request and of a handler's result (payload format 2.0, JWT authorizer):
 * the event a matched, authorized request becomes, and the HTTP response a result becomes. The server side
 * (routing, authorization, limits, the Lambda context) is api-gateway-adapter.ts.
 */
import { isUtf8 } from 'node:buffer';
import type { IncomingMessage } from 'node:http';

import type { APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyResultV2 } from 'aws-lambda';

import { LOCAL_ACCOUNT } from './eventbridge-envelope';
import type { JwtAuthorization } from './local-jwt';

/** A matched route: its key and its decoded path parameters. */
export interface MatchedRoute {
  readonly routeKey: string;
  readonly pathParameters?: Readonly<Record<string, string>>;
}

/** An HTTP response as API Gateway would send it. */
export interface HttpResponse {
  readonly statusCode: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly cookies: readonly string[];
  readonly body: Buffer;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Content types API Gateway passes as text; any other body is base64-encoded (`isBase64Encoded: true`). */
const TEXT_CONTENT_TYPE =
  /^(text\/[^;]+|application\/([\w.+-]+\+)?(json|xml)|application\/(javascript|x-www-form-urlencoded))\s*(;|$)/i;

/** `04/Mar/2026:05:06:07 +0000`, the format of `requestContext.time`. */
export function requestTime(date: Date): string {
  const pad = (value: number) => String(value).padStart(2, '0');
  return (
    `${pad(date.getUTCDate())}/${MONTHS[date.getUTCMonth()]}/${date.getUTCFullYear()}:` +
    `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`
  );
}

/** Request headers as payload v2 carries them: lower-case names, repeated headers joined by commas, no cookie. */
function eventHeaders(request: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, values] of Object.entries(request.headersDistinct)) {
    if (name === 'cookie' || values === undefined) continue;
    headers[name] = values.join(',');
  }
  return headers;
}

function eventCookies(request: IncomingMessage): string[] {
  return (request.headersDistinct.cookie ?? [])
    .flatMap((header) => header.split(';'))
    .map((cookie) => cookie.trim())
    .filter((cookie) => cookie !== '');
}

/** Query parameters as payload v2 carries them: decoded, repeated names joined by commas. */
function queryParameters(rawQueryString: string): Record<string, string> | undefined {
  if (rawQueryString === '') return undefined;
  const parameters: Record<string, string> = {};
  for (const [name, value] of new URLSearchParams(rawQueryString)) {
    parameters[name] = parameters[name] === undefined ? value : `${parameters[name]},${value}`;
  }
  return parameters;
}

/** The body as payload v2 carries it: text for textual types that are valid UTF-8, base64 otherwise. */
function eventBody(
  body: Buffer,
  contentType: string | undefined,
): Pick<APIGatewayProxyEventV2WithJWTAuthorizer, 'body' | 'isBase64Encoded'> {
  if (body.length === 0) return { isBase64Encoded: false };
  if (contentType !== undefined && TEXT_CONTENT_TYPE.test(contentType) && isUtf8(body)) {
    return { body: body.toString('utf8'), isBase64Encoded: false };
  }
  return { body: body.toString('base64'), isBase64Encoded: true };
}

export interface EventInput {
  readonly request: IncomingMessage;
  readonly route: MatchedRoute;
  readonly body: Buffer;
  readonly authorization: Extract<JwtAuthorization, { authorized: true }>;
  readonly requestId: string;
  readonly now: Date;
}

/** The API Gateway HTTP API event (payload 2.0, JWT authorizer) for an authorized request on a matched route. */
export function toHttpApiEvent(input: EventInput): APIGatewayProxyEventV2WithJWTAuthorizer {
  const { request, route, authorization } = input;
  const url = request.url ?? '/';
  const queryStart = url.indexOf('?');
  const rawPath = queryStart === -1 ? url : url.slice(0, queryStart);
  const rawQueryString = queryStart === -1 ? '' : url.slice(queryStart + 1);
  const headers = eventHeaders(request);
  const cookies = eventCookies(request);
  const queryStringParameters = queryParameters(rawQueryString);
  const domainName = headers.host ?? '127.0.0.1';
  const method = request.method ?? 'GET';
  return {
    version: '2.0',
    routeKey: route.routeKey,
    rawPath,
    rawQueryString,
    ...(cookies.length > 0 ? { cookies } : {}),
    headers,
    ...(queryStringParameters ? { queryStringParameters } : {}),
    ...(route.pathParameters ? { pathParameters: { ...route.pathParameters } } : {}),
    requestContext: {
      accountId: LOCAL_ACCOUNT,
      apiId: 'local',
      authorizer: {
        principalId: '',
        integrationLatency: 0,
        jwt: { claims: { ...authorization.claims }, scopes: [...authorization.scopes] },
      },
      domainName,
      domainPrefix: domainName.split('.')[0] ?? domainName,
      http: {
        method,
        path: rawPath,
        protocol: `HTTP/${request.httpVersion}`,
        sourceIp: (request.socket.remoteAddress ?? '').replace(/^::ffff:/, ''),
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: input.requestId,
      routeKey: route.routeKey,
      stage: '$default',
      time: requestTime(input.now),
      timeEpoch: input.now.getTime(),
    },
    ...eventBody(input.body, headers['content-type']),
  };
}

/**
 * The HTTP response API Gateway makes of a handler's result (payload 2.0): a structured result as it is (cookies
 * become Set-Cookie headers, a base64 body is decoded); a string, or an object without `statusCode`, becomes a
 * 200 JSON body. A result API Gateway could not map (bad status code) is a 500, as on AWS.
 */
export function toHttpResponse(result: APIGatewayProxyResultV2): HttpResponse | undefined {
  if (typeof result === 'string') {
    return {
      statusCode: 200,
      headers: { 'content-type': 'application/json' },
      cookies: [],
      body: Buffer.from(result),
    };
  }
  if (result === null || typeof result !== 'object' || result.statusCode === undefined) {
    return {
      statusCode: 200,
      headers: { 'content-type': 'application/json' },
      cookies: [],
      body: Buffer.from(JSON.stringify(result) ?? ''),
    };
  }
  const { statusCode } = result;
  if (!Number.isInteger(statusCode) || statusCode < 100 || statusCode > 599) return undefined;
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(result.headers ?? {}))
    headers[name.toLowerCase()] = String(value);
  const body = result.body ?? '';
  return {
    statusCode,
    headers,
    cookies: [...(result.cookies ?? [])],
    body: result.isBase64Encoded ? Buffer.from(body, 'base64') : Buffer.from(body, 'utf8'),
  };
}
