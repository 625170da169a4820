import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';

import { createS3Client } from '../../core/aws/s3-client';
import { DynamoDbStatusStore } from '../../core/status/dynamodb-status-store';
import { loadProcessConfig } from './process-config';
import { createProcessHandler } from './process-handler';

// Cold start: environment read and validated once, clients created once.
const config = loadProcessConfig(process.env);
const logger = new Logger({ serviceName: 'stowage-process', persistentKeys: { env: config.envName } });
const metrics = new Metrics({
  namespace: 'Stowage',
  serviceName: 'process',
  defaultDimensions: { env: config.envName },
});

export const handler = createProcessHandler({
  s3: createS3Client(),
  statusStore: new DynamoDbStatusStore({
    client: DynamoDBDocumentClient.from(new DynamoDBClient({})),
    tableName: config.statusTable,
  }),
  config: {
    uploadsBucket: config.uploadsBucket,
    processedBucket: config.processedBucket,
    processedKeyId: config.processedKeyArn,
  },
  logger,
  metrics,
  ...(config.dlqMaxReceiveCount ? { deadLetter: { maxReceiveCount: config.dlqMaxReceiveCount } } : {}),
});
