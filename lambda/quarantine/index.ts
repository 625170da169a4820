import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

import { createS3Client } from '../../core/aws/s3-client';
import { DynamoDbStatusStore } from '../../core/status/dynamodb-status-store';
import { handlerPowertools } from '../runtime/powertools';
import { loadQuarantineConfig } from './quarantine-config';
import { createQuarantineHandler } from './quarantine-handler';

// Cold start: environment read and validated once, clients created once.
const config = loadQuarantineConfig(process.env);
const { logger, metrics, tracer } = handlerPowertools(config.envName);

export const handler = createQuarantineHandler({
  s3: tracer.captureAWSv3Client(createS3Client()),
  statusStore: new DynamoDbStatusStore({
    client: DynamoDBDocumentClient.from(tracer.captureAWSv3Client(new DynamoDBClient({}))),
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
