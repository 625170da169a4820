import { Stack } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';
import type { StowageConfig } from '../config';
import type { KeyPurpose } from '../config/naming';
import {
  alarmArnPrefix,
  appRoleArnPattern,
  bucketArnPattern,
  eventsArnPatterns,
  keyAliasName,
  logGroupArnPattern,
  queueArnPattern,
} from '../config/naming';
import type { DataKeyProps } from '../constructs/data-key';
import { DataKey } from '../constructs/data-key';
import { addStackOutput, type StackOutputKey } from './stack-outputs';
import type { StowageStackProps } from './stowage-stack-props';
import { removalPolicyOf } from './stowage-stack-props';

const PURPOSES: Record<KeyPurpose, string> = {
  uploads: 'Uploads awaiting their malware scan',
  processed: 'Clean, processed files and their manifests',
  quarantine: 'Quarantined (infected or suspicious) files',
  backups: 'Database and server backups and verification reports',
  messaging: 'Intake queues, their DLQs and the results event bus',
  status: 'Upload status records',
  logs: 'Handler and API access log groups',
};

/** Actions CloudWatch Logs needs on a log group's key (explicit: no `kms:*`-style wildcards). */
const LOGS_SERVICE_ACTIONS = [
  'kms:Encrypt',
  'kms:Decrypt',
  'kms:ReEncryptFrom',
  'kms:ReEncryptTo',
  'kms:GenerateDataKey',
  'kms:GenerateDataKeyWithoutPlaintext',
  'kms:DescribeKey',
];

/** Which AWS services may use each key, and only for this env's resources. */
function serviceAccess(config: StowageConfig, purpose: KeyPurpose): Partial<DataKeyProps> {
  switch (purpose) {
    case 'messaging':
      // EventBridge encrypts the bus and delivers to (and dead-letters into) encrypted queues; SQS uses
      // the key for its own queue operations.
      return {
        servicePrincipals: [
          {
            service: 'events.amazonaws.com',
            sourceArnPatterns: eventsArnPatterns(config),
            // The bus and its archive: DescribeKey to validate the key, ReEncrypt for archived events.
            actions: [
              'kms:GenerateDataKey',
              'kms:Decrypt',
              'kms:DescribeKey',
              'kms:ReEncryptFrom',
              'kms:ReEncryptTo',
            ],
          },
          { service: 'sqs.amazonaws.com', sourceArnPatterns: [queueArnPattern(config)] },
          // CloudWatch alarms publish to the operations topic, which this key encrypts.
          { service: 'cloudwatch.amazonaws.com', sourceArnPatterns: [`${alarmArnPrefix(config)}*`] },
        ],
      };
    case 'status':
      return { grantsViaServices: [`dynamodb.${config.region}.amazonaws.com`] };
    case 'logs':
      return {
        servicePrincipals: [
          {
            service: `logs.${config.region}.amazonaws.com`,
            sourceArnPatterns: [logGroupArnPattern(config)],
            sourceArnConditionKey: 'kms:EncryptionContext:aws:logs:arn',
            actions: LOGS_SERVICE_ACTIONS,
          },
        ],
      };
    default:
      return { s3SourceArnPattern: bucketArnPattern(config) };
  }
}

/**
 * Customer-managed KMS keys, one per kind of data (bucket data, messages in queues and on the results
 * bus, status records, logs), so that access to each can be granted, audited and revoked on its own
 * (quarantine readers never decrypt backups).
 */
export class KeysStack extends Stack {
  /** The keys by purpose. */
  readonly keys: Readonly<Record<KeyPurpose, kms.IKey>>;

  constructor(scope: Construct, id: string, props: StowageStackProps) {
    super(scope, id, props);
    const { config } = props;
    const keys = {} as Record<KeyPurpose, kms.IKey>;
    for (const [purpose, what] of Object.entries(PURPOSES) as Array<[KeyPurpose, string]>) {
      const id = `${purpose[0].toUpperCase()}${purpose.slice(1)}Key`;
      keys[purpose] = new DataKey(this, id, {
        aliasName: keyAliasName(config, purpose),
        description: `Stowage ${config.envName}: ${what}`,
        userPrincipalArnPatterns: [appRoleArnPattern(config), ...config.additionalKeyUserArns],
        removalPolicy: removalPolicyOf(config),
        ...serviceAccess(config, purpose),
      }).key;
      addStackOutput(this, 'Keys', `${id}Arn` as StackOutputKey<'Keys'>, keys[purpose].keyArn);
    }
    this.keys = keys;
  }
}
