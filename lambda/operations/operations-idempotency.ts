import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { BasePersistenceLayer } from '@aws-lambda-powertools/idempotency/persistence';

/**
 * The record store of handled alarm transitions: Powertools' DynamoDB layer with its default shape, which the
 * Operations stack's table must match: partition key `id` (string), TTL attribute `expiration`, no sort key.
 */
export function createTransitionStore(tableName: string, client: DynamoDBClient): BasePersistenceLayer {
  return new DynamoDBPersistenceLayer({ tableName, awsSdkV3Client: client });
}
