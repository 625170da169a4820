import type { APIGatewayProxyEventV2WithJWTAuthorizer } from 'aws-lambda';

export interface EventOptions {
  readonly method?: string;
  readonly rawPath?: string;
  readonly stage?: string;
  readonly body?: string;
  readonly isBase64Encoded?: boolean;
  /** JWT claims; `null` for a route without an authorizer. */
  readonly claims?: Record<string, string | number | boolean | string[]> | null;
}

/** An API Gateway HTTP API (payload v2) event with a JWT authorizer, as Lambda receives it. */
export function httpApiEvent(options: EventOptions = {}): APIGatewayProxyEventV2WithJWTAuthorizer {
  const method = options.method ?? 'GET';
  const rawPath = options.rawPath ?? '/uploads';
  const claims = options.claims === undefined ? { sub: 'user-1' } : options.claims;
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath,
    rawQueryString: '',
    headers: { 'content-type': 'application/json' },
    body: options.body,
    isBase64Encoded: options.isBase64Encoded ?? false,
    requestContext: {
      accountId: '123456789012',
      apiId: 'api1',
      domainName: 'api1.execute-api.eu-west-1.amazonaws.com',
      domainPrefix: 'api1',
      http: { method, path: rawPath, protocol: 'HTTP/1.1', sourceIp: '192.0.2.1', userAgent: 'jest' },
      requestId: 'Ab1cDefGhIjKlM=',
      routeKey: '$default',
      stage: options.stage ?? '$default',
      time: '04/Mar/2026:05:06:07 +0000',
      timeEpoch: 1772600767000,
      ...(claims === null
        ? {}
        : { authorizer: { principalId: '', integrationLatency: 0, jwt: { claims, scopes: [] } } }),
    },
  } as APIGatewayProxyEventV2WithJWTAuthorizer;
}
