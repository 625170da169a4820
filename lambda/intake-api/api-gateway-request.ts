import type { APIGatewayProxyEventV2WithJWTAuthorizer } from 'aws-lambda';
import type { ApiRequest } from './api-types';

/**
 * The core's view of an HTTP API (payload v2) event. The path loses the stage prefix that a named stage adds
 * to `rawPath`; the body is decoded when API Gateway base64-encoded it; the subject is the JWT `sub` claim, only
 * when it is a non-empty string (routes without an authorizer carry no `authorizer` at all).
 */
export function toApiRequest(event: APIGatewayProxyEventV2WithJWTAuthorizer): ApiRequest {
  const { requestContext } = event;
  const stagePrefix =
    requestContext.stage && requestContext.stage !== '$default' ? `/${requestContext.stage}` : '';
  const path =
    stagePrefix && event.rawPath.startsWith(`${stagePrefix}/`)
      ? event.rawPath.slice(stagePrefix.length)
      : event.rawPath;
  const body =
    event.body === undefined || !event.isBase64Encoded
      ? event.body
      : Buffer.from(event.body, 'base64').toString('utf8');
  const sub: unknown = (requestContext.authorizer as typeof requestContext.authorizer | undefined)?.jwt
    ?.claims?.sub;
  return {
    method: requestContext.http.method.toUpperCase(),
    path,
    ...(event.queryStringParameters ? { query: definedValues(event.queryStringParameters) } : {}),
    body,
    subject: typeof sub === 'string' && sub !== '' ? sub : undefined,
    requestId: requestContext.requestId,
  };
}

function definedValues(parameters: Readonly<Record<string, string | undefined>>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(parameters).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
}
