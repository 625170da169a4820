import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

import { createS3Client } from '../../core/aws/s3-client';
import { EventBridgeResultsPublisher } from '../runtime/eventbridge-results-publisher';
import { handlerPowertools } from '../runtime/powertools';
import { createBuiltinEngine } from '../../core/scan/builtin-engine';
import { createClamdEngine } from '../../core/scan/clamd-engine';
import { DynamoDbStatusStore } from '../../core/status/dynamodb-status-store';
import { loadScanConfig } from './scan-config';
import { createScanHandler } from './scan-handler';

// Cold start: environment read and validated once, clients created once.
const config = loadScanConfig(process.env);
const { logger, metrics, tracer } = handlerPowertools(config.envName);

export const handler = createScanHandler({
  s3: tracer.captureAWSv3Client(createS3Client()),
  results: new EventBridgeResultsPublisher({
    client: tracer.captureAWSv3Client(new EventBridgeClient({})),
    busName: config.resultsBus,
  }),
  statusStore: new DynamoDbStatusStore({
    client: DynamoDBDocumentClient.from(tracer.captureAWSv3Client(new DynamoDBClient({}))),
    tableName: config.statusTable,
  }),
  engines: [
    createBuiltinEngine({
      allowedTypes: config.allowedTypes,
      allowEncryptedArchiveEntries: config.allowEncryptedArchiveEntries,
    }),
    ...(config.clamd ? [createClamdEngine({ host: config.clamd.host, port: config.clamd.port })] : []),
  ],
  config: {
    uploadsBucket: config.uploadsBucket,
    guardDutyInconclusive: config.guardDutyInconclusive,
  },
  logger,
  metrics,
  ...(config.dlqMaxReceiveCount ? { deadLetter: { maxReceiveCount: config.dlqMaxReceiveCount } } : {}),
});
