import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';

import { createS3Client } from '../../core/aws/s3-client';
import { DynamoDbStatusStore } from '../../core/status/dynamodb-status-store';
import { loadQuarantineConfig } from './quarantine-config';
import { createQuarantineHandler } from './quarantine-handler';

// Cold start: environment read and validated once, clients created once.
const config = loadQuarantineConfig(process.env);
const logger = new Logger({ serviceName: 'stowage-quarantine', persistentKeys: { env: config.envName } });
const metrics = new Metrics({
  namespace: 'Stowage',
  serviceName: 'quarantine',
  defaultDimensions: { env: config.envName },
});

export const handler = createQuarantineHandler({
  s3: createS3Client(),
  statusStore: new DynamoDbStatusStore({
    client: DynamoDBDocumentClient.from(new DynamoDBClient({})),
    tableName: config.statusTable,
  }),
  config: {
    uploadsBucket: config.uploadsBucket,
    quarantineBucket: config.quarantineBucket,
    quarantineKeyId: config.quarantineKeyArn,
  },
  logger,
  metrics,
  ...(config.dlqMaxReceiveCount ? { deadLetter: { maxReceiveCount: config.dlqMaxReceiveCount } } : {}),
});
