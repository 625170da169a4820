import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';

import { handlerPowertools } from '../runtime/powertools';
import { createOperationsHandler } from './operations-handler';
import { loadOperationsConfig } from './operations-config';
import { createTransitionStore } from './operations-idempotency';

// Cold start: environment read and validated once, clients created once.
const config = loadOperationsConfig(process.env);
const { logger, metrics, tracer } = handlerPowertools(config.envName);

export const handler = createOperationsHandler({
  sqs: tracer.captureAWSv3Client(new SQSClient({})),
  lambda: tracer.captureAWSv3Client(new LambdaClient({})),
  sns: tracer.captureAWSv3Client(new SNSClient({})),
  cloudwatch: tracer.captureAWSv3Client(new CloudWatchClient({})),
  persistenceStore: createTransitionStore(
    config.idempotencyTable,
    tracer.captureAWSv3Client(new DynamoDBClient({})),
  ),
  config,
  logger,
  metrics,
});
