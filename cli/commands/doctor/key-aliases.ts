import { DescribeKeyCommand, type KMSClient } from '@aws-sdk/client-kms';
import type { StowageConfig } from '../../../lib/config';
import { keyAliasName, type BucketKeyPurpose } from '../../../lib/config/naming';
import { isMissingCredentials, isServiceError } from '../../../core/aws/aws-errors';
import { CREDENTIALS_HINT, describeError, errorCode } from '../../shared/service-error';
import { deployHint } from './check';

/** A KMS key found by its alias. */
export interface ResolvedKey {
  readonly alias: string;
  readonly arn: string;
  readonly keyId: string;
  /** Enabled, Disabled, PendingDeletion, … */
  readonly state: string;
}

/** The alias could not be resolved: `message` says why, `hint` what to do. */
export class KeyAliasError extends Error {
  constructor(
    message: string,
    readonly hint: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'KeyAliasError';
  }
}

/** Resolves `alias/stowage/<env>/<purpose>` with KMS DescribeKey, once per purpose per run. */
export class KeyAliasResolver {
  private readonly cache = new Map<BucketKeyPurpose, Promise<ResolvedKey>>();

  constructor(
    private readonly kms: () => KMSClient,
    private readonly config: StowageConfig,
  ) {}

  alias(purpose: BucketKeyPurpose): string {
    return keyAliasName(this.config, purpose);
  }

  resolve(purpose: BucketKeyPurpose): Promise<ResolvedKey> {
    let resolved = this.cache.get(purpose);
    if (!resolved) {
      resolved = this.describe(purpose);
      this.cache.set(purpose, resolved);
    }
    return resolved;
  }

  private async describe(purpose: BucketKeyPurpose): Promise<ResolvedKey> {
    const alias = this.alias(purpose);
    try {
      const out = await this.kms().send(new DescribeKeyCommand({ KeyId: alias }));
      const meta = out.KeyMetadata;
      if (!meta?.Arn || !meta.KeyId)
        throw new KeyAliasError(`KMS described ${alias} without a key ARN`, 'run again');
      return { alias, arn: meta.Arn, keyId: meta.KeyId, state: meta.KeyState ?? 'Unknown' };
    } catch (error) {
      if (error instanceof KeyAliasError) throw error;
      if (isMissingCredentials(error)) {
        throw new KeyAliasError(`cannot resolve ${alias}: no AWS credentials found`, CREDENTIALS_HINT, {
          cause: error,
        });
      }
      if (!isServiceError(error)) throw error;
      const code = errorCode(error);
      const hint =
        code === 'NotFoundException'
          ? `the Keys stack creates it: ${deployHint(this.config, 'Keys')} (and check --region)`
          : code === 'AccessDeniedException'
            ? `allow kms:DescribeKey on ${alias} for your principal, or pass the key's ARN with --kms-key-id`
            : 'check --region and your network access to KMS';
      throw new KeyAliasError(`cannot resolve ${alias}: ${describeError(error)}`, hint, { cause: error });
    }
  }
}

/** True when a key reference (id, ARN, alias name or alias ARN) names the resolved key. */
export function namesKey(reference: string, key: ResolvedKey): boolean {
  return (
    reference === key.arn ||
    reference === key.keyId ||
    reference === key.alias ||
    (reference.startsWith('arn:') && reference.endsWith(`:${key.alias}`))
  );
}
