import { toApiRequest } from '../../lambda/intake-api/api-gateway-request';
import type { IntakeDependencies } from '../../lambda/intake-api/intake-dependencies';
import { createIntakeApi } from '../../lambda/intake-api/routes';
import type { HttpApiHandler } from './api-gateway-adapter';

/**
 * The intake API's Lambda handler with local dependencies: the same composition lambda/intake-api/index.ts
 * exports (createIntakeApi over toApiRequest of the HTTP API event), minus the cold-start env parsing and the
 * DynamoDB store, which local mode replaces with its own S3 client, status store and logger.
 */
export function createIntakeHttpApiHandler(deps: IntakeDependencies): HttpApiHandler {
  const api = createIntakeApi(deps);
  return async (event) => api(toApiRequest(event));
}
