import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type {
  APIGatewayProxyEventV2WithJWTAuthorizer,
  APIGatewayProxyStructuredResultV2,
  Context,
} from 'aws-lambda';
import { createS3Client } from '../../core/aws/s3-client';
import { DynamoDbStatusStore } from '../../core/status/dynamodb-status-store';
import { handlerPowertools } from '../runtime/powertools';
import { toApiRequest } from './api-gateway-request';
import { parseIntakeEnv } from './intake-env';
import { createIntakeApi } from './routes';

// Cold start: validate the environment (a bad one fails here, naming the variable), create clients once.
const env = parseIntakeEnv(process.env);
const { logger, tracer } = handlerPowertools(env.envName || undefined);
const statusStore = new DynamoDbStatusStore({
  client: DynamoDBDocumentClient.from(tracer.captureAWSv3Client(new DynamoDBClient({})), {
    marshallOptions: { removeUndefinedValues: true },
  }),
  tableName: env.statusTable,
  ttlDays: env.statusRetentionDays,
});
const api = createIntakeApi({
  config: env.config,
  s3: tracer.captureAWSv3Client(createS3Client()),
  statusStore,
  logger,
});

/** API Gateway HTTP API (payload v2, JWT authorizer) → the intake API core. */
export async function handler(
  event: APIGatewayProxyEventV2WithJWTAuthorizer,
  context: Context,
): Promise<APIGatewayProxyStructuredResultV2> {
  logger.addContext(context);
  return api(toApiRequest(event));
}
