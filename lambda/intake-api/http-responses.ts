import type { ApiResponse } from './api-types';

const HEADERS = {
  'content-type': 'application/json; charset=utf-8',
  // Presigned fields and upload statuses are per user and short-lived: no cache may keep them.
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
} as const;

export function jsonResponse(
  statusCode: number,
  body: unknown,
  headers: Readonly<Record<string, string>> = {},
): ApiResponse {
  return { statusCode, headers: { ...HEADERS, ...headers }, body: JSON.stringify(body) };
}

/** 400 naming the offending field and the rule it breaks. */
export function invalidRequest(field: string, message: string): ApiResponse {
  return jsonResponse(400, { error: 'invalid_request', field, message });
}

export function unauthorized(): ApiResponse {
  return jsonResponse(401, { error: 'unauthorized' });
}

/** 404: the same body for unknown routes, unknown or malformed ids and other users' uploads (no enumeration). */
export function notFound(): ApiResponse {
  return jsonResponse(404, { error: 'not_found' });
}

export function methodNotAllowed(allowed: readonly string[]): ApiResponse {
  return jsonResponse(405, { error: 'method_not_allowed' }, { allow: allowed.join(', ') });
}

/** 500 with the request id to quote to support; the cause goes to the logs only. */
export function internalError(requestId: string): ApiResponse {
  return jsonResponse(500, { error: 'internal_error', requestId });
}
