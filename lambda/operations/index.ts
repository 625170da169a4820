import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';

import { createOperationsHandler } from './operations-handler';
import { loadOperationsConfig } from './operations-config';
import { createTransitionStore } from './operations-idempotency';

// Cold start: environment read and validated once, clients created once.
const config = loadOperationsConfig(process.env);
const logger = new Logger({ serviceName: 'stowage-operations', persistentKeys: { env: config.envName } });
const metrics = new Metrics({
  namespace: 'Stowage',
  serviceName: 'operations',
  defaultDimensions: { env: config.envName },
});

export const handler = createOperationsHandler({
  sqs: new SQSClient({}),
  lambda: new LambdaClient({}),
  sns: new SNSClient({}),
  cloudwatch: new CloudWatchClient({}),
  persistenceStore: createTransitionStore(config.idempotencyTable, new DynamoDBClient({})),
  config,
  logger,
  metrics,
});
