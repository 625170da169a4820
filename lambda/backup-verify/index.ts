import { KMSClient } from '@aws-sdk/client-kms';
import { SNSClient } from '@aws-sdk/client-sns';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';

import { createS3Client } from '../../core/aws/s3-client';
import { createKmsKeyResolver } from '../../core/backup/kms-key-resolver';
import { createEnvelopeDecryptor } from '../../core/backup/verify/envelope-decryptor';
import { loadBackupVerifyConfig } from './backup-verify-config';
import { createBackupVerifyHandler } from './backup-verify-handler';

// Cold start: environment read and validated once, clients created once.
const config = loadBackupVerifyConfig(process.env);
const logger = new Logger({ serviceName: 'stowage-backup-verify', persistentKeys: { env: config.envName } });
const metrics = new Metrics({
  namespace: 'Stowage',
  serviceName: 'backup-verify',
  defaultDimensions: { env: config.envName },
});

export const handler = createBackupVerifyHandler({
  s3: createS3Client(),
  sns: new SNSClient({}),
  env: config.envName,
  bucket: config.backupsBucket,
  ...(config.backupsKeyArn ? { backupsKeyArn: config.backupsKeyArn } : {}),
  requireReplication: config.requireReplication,
  decryptor: createEnvelopeDecryptor(createKmsKeyResolver({ kms: new KMSClient({}) })),
  operationsTopicArn: config.operationsTopicArn,
  sources: config.sources,
  metrics,
  logger,
});
