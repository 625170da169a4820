import { KMSClient } from '@aws-sdk/client-kms';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { STSClient } from '@aws-sdk/client-sts';
import type { DoctorContext } from '../../../../cli/commands/doctor/check';
import { KeyAliasResolver } from '../../../../cli/commands/doctor/key-aliases';
import { loadConfig, type DeepPartial, type StowageConfig } from '../../../../lib/config';
import { NOW } from '../../shared/fake-command-io';

const clientConfig = { region: 'eu-west-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } };

/** A doctor context for env `envName` with clients aws-sdk-client-mock intercepts; `endpoint` makes it local. */
export function doctorContext(
  options: { envName?: string; endpoint?: string; overrides?: DeepPartial<StowageConfig> } = {},
): DoctorContext & { keys: KeyAliasResolver } {
  const config = loadConfig(options.envName ?? 'dev', { overrides: options.overrides });
  const kms = new KMSClient(clientConfig);
  return {
    config,
    region: 'eu-west-1',
    endpoint: options.endpoint,
    s3: new S3Client(clientConfig),
    sts: () => new STSClient(clientConfig),
    kms: () => kms,
    sqs: () => new SQSClient(clientConfig),
    now: () => NOW,
    keys: new KeyAliasResolver(() => kms, config),
  };
}

export const KEY_ARN = 'arn:aws:kms:eu-west-1:123456789012:key/1111-2222';
