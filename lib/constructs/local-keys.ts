import * as kms from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';
import type { KeyPurpose } from '../config/naming';

/**
 * References, local to `scope`'s stack, to the Keys stack's keys. Grants and service integrations (event bus,
 * archive, queue targets, log groups) never edit a key policy through them: CDK would otherwise write them into
 * the Keys stack's key policies, which already allow this env's roles and services, and create a dependency
 * cycle. Construct IDs are `<Purpose>KeyRef`.
 */
export function localKeys<P extends KeyPurpose>(
  scope: Construct,
  keys: Readonly<Record<P, kms.IKey>>,
): Readonly<Record<P, kms.IKey>> {
  const local = {} as Record<P, kms.IKey>;
  for (const [purpose, key] of Object.entries(keys) as Array<[P, kms.IKey]>) {
    local[purpose] = kms.Key.fromKeyArn(
      scope,
      `${purpose[0].toUpperCase()}${purpose.slice(1)}KeyRef`,
      key.keyArn,
    );
  }
  return local;
}
