/**
 * The KMS key source of the envelope format: data keys from GenerateDataKey (AES_256), bound to an encryption
 * context that names the object, and unwrapped with Decrypt. Used by `stowage backup push|pull` and the verifier.
 */
import { DecryptCommand, GenerateDataKeyCommand, type KMSClient } from '@aws-sdk/client-kms';
import type { DataKey, KeyResolver, KeySourceDescriptor } from './envelope-encryption';

/** A KMS call failed; the message names the operation, the key and the service's error code. */
export class KmsKeyError extends Error {
  constructor(
    message: string,
    /** The service error code, e.g. AccessDeniedException. */
    readonly code: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'KmsKeyError';
  }
}

export interface KmsKeyResolverOptions {
  readonly kms: KMSClient;
  /** Key id, ARN or alias to generate data keys under. Required to encrypt; decryption reads it from the header. */
  readonly keyId?: string;
}

/** A KeyResolver backed by KMS. */
export function createKmsKeyResolver(options: KmsKeyResolverOptions): KeyResolver {
  const { kms, keyId } = options;
  return {
    kind: 'kms',
    async generateDataKey(context): Promise<DataKey> {
      if (!keyId) throw new Error('a KMS key id is needed to encrypt with a KMS data key');
      const out = await callKms('GenerateDataKey', keyId, () =>
        kms.send(
          new GenerateDataKeyCommand({ KeyId: keyId, KeySpec: 'AES_256', EncryptionContext: { ...context } }),
        ),
      );
      if (!out.Plaintext || !out.CiphertextBlob || out.Plaintext.length !== 32) {
        throw new Error(`KMS GenerateDataKey under ${keyId} returned no usable AES-256 data key`);
      }
      return {
        key: Buffer.from(out.Plaintext),
        source: {
          kind: 'kms',
          keyId: out.KeyId ?? keyId,
          wrappedKey: Buffer.from(out.CiphertextBlob),
          encryptionContext: { ...context },
        },
      };
    },
    async resolveDataKey(source: KeySourceDescriptor): Promise<Buffer> {
      if (source.kind !== 'kms')
        throw new Error(`this object's data key comes from ${source.kind}, not from KMS`);
      const out = await callKms('Decrypt', source.keyId, () =>
        kms.send(
          new DecryptCommand({
            CiphertextBlob: source.wrappedKey,
            KeyId: source.keyId,
            EncryptionContext: { ...source.encryptionContext },
          }),
        ),
      );
      if (!out.Plaintext) throw new Error(`KMS Decrypt under ${source.keyId} returned no plaintext`);
      return Buffer.from(out.Plaintext);
    },
  };
}

/** Service errors (they carry `$metadata`) become KmsKeyError with a readable message; anything else propagates. */
async function callKms<T>(operation: string, keyId: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof Error && '$metadata' in error) {
      const hint =
        error.name === 'AccessDeniedException'
          ? ': check the key policy and your IAM permissions (kms:GenerateDataKey, kms:Decrypt)'
          : '';
      throw new KmsKeyError(
        `KMS ${operation} with key ${keyId} failed: ${error.name}: ${error.message}${hint}`,
        error.name,
        {
          cause: error,
        },
      );
    }
    throw error;
  }
}
