import { Stack } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';
import type { KeyPurpose } from '../config/naming';
import { appRoleArnPattern, bucketArnPattern, keyAliasName } from '../config/naming';
import { DataKey } from '../constructs/data-key';
import type { StowageStackProps } from './stowage-stack-props';
import { removalPolicyOf } from './stowage-stack-props';

const PURPOSES: Record<KeyPurpose, string> = {
  uploads: 'Uploads awaiting their malware scan',
  processed: 'Clean, processed files and their manifests',
  quarantine: 'Quarantined (infected or suspicious) files',
  backups: 'Database and server backups and verification reports',
};

/**
 * Customer-managed KMS keys, one per kind of data, so that access to each can be granted, audited
 * and revoked on its own (quarantine readers never decrypt backups).
 */
export class KeysStack extends Stack {
  /** The data keys by purpose. */
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
        s3SourceArnPattern: bucketArnPattern(config),
        removalPolicy: removalPolicyOf(config),
      }).key;
    }
    this.keys = keys;
  }
}
