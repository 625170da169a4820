import { createKmsKeyResolver } from '../../../core/backup/kms-key-resolver';
import {
  createPassphraseKeyResolver,
  type KeyResolver,
  type KeySourceKind,
} from '../../../core/backup/envelope-encryption';
import { UsageError } from '../../shared/usage-error';
import type { BackupClients } from './backup-client';

export interface KeyChoice {
  /** `--passphrase-env VAR`: the passphrase is in this environment variable (never on the command line). */
  readonly passphraseEnv?: string;
  /** KMS key for new data keys. */
  readonly kmsKeyId?: string;
}

/** The passphrase named by --passphrase-env, with clear errors when the variable is missing or empty. */
export function passphraseFromEnv(
  variable: string,
  env: Readonly<Record<string, string | undefined>>,
): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(variable)) {
    throw new UsageError(`--passphrase-env takes the NAME of an environment variable, got '${variable}'`);
  }
  const value = env[variable];
  if (value === undefined || value.length === 0) {
    throw new UsageError(
      `--passphrase-env ${variable}: the environment variable ${variable} is not set or empty`,
    );
  }
  return value;
}

/** The key resolver for encrypting a push: a passphrase when --passphrase-env is given, else KMS. */
export function resolverForEncryption(
  choice: KeyChoice,
  env: Readonly<Record<string, string | undefined>>,
  clients: BackupClients,
): KeyResolver {
  if (choice.passphraseEnv) return createPassphraseKeyResolver(passphraseFromEnv(choice.passphraseEnv, env));
  if (!choice.kmsKeyId) {
    throw new UsageError(
      '--encrypt needs a key: --kms-key-id / STOWAGE_BACKUPS_KMS_KEY_ID (KMS) or --passphrase-env VAR (passphrase)',
    );
  }
  return createKmsKeyResolver({ kms: clients.kms(), keyId: choice.kmsKeyId });
}

/** The key resolver for decrypting an object whose `key-source` metadata is `kind`. */
export function resolverForDecryption(
  kind: KeySourceKind,
  choice: KeyChoice,
  env: Readonly<Record<string, string | undefined>>,
  clients: BackupClients,
): KeyResolver {
  if (kind === 'passphrase') {
    if (!choice.passphraseEnv) {
      throw new UsageError(
        'this backup is encrypted with a passphrase: pass --passphrase-env VAR naming the variable that holds it',
      );
    }
    return createPassphraseKeyResolver(passphraseFromEnv(choice.passphraseEnv, env));
  }
  return createKmsKeyResolver({ kms: clients.kms() });
}
