import { KMSClient } from '@aws-sdk/client-kms';
import { SNSClient } from '@aws-sdk/client-sns';

import { createS3Client } from '../../core/aws/s3-client';
import { createKmsKeyResolver } from '../../core/backup/kms-key-resolver';
import { createEnvelopeDecryptor } from '../../core/backup/verify/envelope-decryptor';
import { handlerPowertools } from '../runtime/powertools';
import { loadBackupVerifyConfig } from './backup-verify-config';
import { createBackupVerifyHandler } from './backup-verify-handler';

// Cold start: environment read and validated once, clients created once.
const config = loadBackupVerifyConfig(process.env);
const { logger, metrics, tracer } = handlerPowertools(config.envName);

export const handler = createBackupVerifyHandler({
  s3: tracer.captureAWSv3Client(createS3Client()),
  sns: tracer.captureAWSv3Client(new SNSClient({})),
  env: config.envName,
  bucket: config.backupsBucket,
  ...(config.backupsKeyArn ? { backupsKeyArn: config.backupsKeyArn } : {}),
  requireReplication: config.requireReplication,
  decryptor: createEnvelopeDecryptor(
    createKmsKeyResolver({ kms: tracer.captureAWSv3Client(new KMSClient({})) }),
  ),
  operationsTopicArn: config.operationsTopicArn,
  sources: config.sources,
  metrics,
  logger,
});
