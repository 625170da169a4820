import type { Logger } from '@aws-lambda-powertools/logger';

/** An HTTP request as the intake API core sees it, independent of API Gateway's event shape. */
export interface ApiRequest {
  /** Upper-case HTTP method. */
  readonly method: string;
  /** Path without the stage prefix, still percent-encoded, e.g. `/uploads/3f1c…`. */
  readonly path: string;
  /** Query string parameters (decoded; a repeated name's values joined by commas, as API Gateway does). */
  readonly query?: Readonly<Record<string, string>>;
  /** The request body as text; undefined when there is none. */
  readonly body?: string;
  /** The caller's verified JWT `sub`; undefined when the authorizer gave none. */
  readonly subject?: string;
  /** API Gateway's request id, returned in 500 bodies and logged with every line. */
  readonly requestId: string;
}

/** An HTTP response (API Gateway HTTP API payload v2, structured). */
export interface ApiResponse {
  readonly statusCode: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** The logging the core does: a Powertools Logger in Lambda and in local mode. */
export type ApiLogger = Pick<Logger, 'info' | 'warn' | 'error'>;
