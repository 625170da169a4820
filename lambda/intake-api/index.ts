import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type {
  APIGatewayProxyEventV2WithJWTAuthorizer,
  APIGatewayProxyStructuredResultV2,
  Context,
} from 'aws-lambda';
import { createS3Client } from '../../core/aws/s3-client';
import { DynamoDbStatusStore } from '../../core/status/dynamodb-status-store';
import { toApiRequest } from './api-gateway-request';
import { parseIntakeEnv } from './intake-env';
import { createIntakeApi } from './routes';

// Cold start: validate the environment (a bad one fails here, naming the variable), create clients once.
const env = parseIntakeEnv(process.env);
const logger = new Logger({
  serviceName: 'stowage-intake-api',
  persistentKeys: env.envName ? { env: env.envName } : {},
});
const statusStore = new DynamoDbStatusStore({
  client: DynamoDBDocumentClient.from(new DynamoDBClient({}), {
    marshallOptions: { removeUndefinedValues: true },
  }),
  tableName: env.statusTable,
  ttlDays: env.statusRetentionDays,
});
const api = createIntakeApi({ config: env.config, s3: createS3Client(), statusStore, logger });

/** API Gateway HTTP API (payload v2, JWT authorizer) → the intake API core. */
export async function handler(
  event: APIGatewayProxyEventV2WithJWTAuthorizer,
  context: Context,
): Promise<APIGatewayProxyStructuredResultV2> {
  logger.addContext(context);
  return api(toApiRequest(event));
}
