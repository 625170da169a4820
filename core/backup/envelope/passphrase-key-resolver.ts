/**
 * The passphrase key source of the envelope: scrypt over the NFC-normalised passphrase with a random 16-byte salt;
 * the salt and the cost parameters go into the header so a reader derives the same key. (The KMS key source is
 * core/backup/kms-key-resolver.ts.)
 */
import { randomBytes, scrypt } from 'crypto';
import { DEFAULT_SCRYPT_COST, KEY_LENGTH, type KeyResolver, type ScryptCost } from './format';

export interface PassphraseKeyResolverOptions {
  /** Cost of new keys. Default DEFAULT_SCRYPT_COST. */
  readonly cost?: ScryptCost;
}

export function createPassphraseKeyResolver(
  passphrase: string,
  options: PassphraseKeyResolverOptions = {},
): KeyResolver {
  if (passphrase.length === 0) throw new Error('the passphrase is empty');
  const cost = options.cost ?? DEFAULT_SCRYPT_COST;
  return {
    kind: 'passphrase',
    async generateDataKey() {
      const salt = randomBytes(16);
      return { key: await deriveKey(passphrase, salt, cost), source: { kind: 'passphrase', salt, cost } };
    },
    async resolveDataKey(source) {
      if (source.kind !== 'passphrase') {
        throw new Error(`this object's data key comes from ${source.kind}, not from a passphrase`);
      }
      return deriveKey(passphrase, source.salt, source.cost);
    },
  };
}

function deriveKey(passphrase: string, salt: Buffer, cost: ScryptCost): Promise<Buffer> {
  const N = 2 ** cost.log2N;
  return new Promise((resolve, reject) => {
    scrypt(
      passphrase.normalize('NFC'),
      salt,
      KEY_LENGTH,
      { N, r: cost.r, p: cost.p, maxmem: 256 * N * cost.r },
      (error, key) => (error ? reject(error) : resolve(key)),
    );
  });
}
