import { BACKUP_METADATA, parseBackupKey } from '../backup-layout';
import { createDecryptStream, type KeyResolver } from '../envelope-encryption';
import type { BackupDecryptor } from './backup-decryptor';

/** Envelope errors that mean the stored bytes are bad, by name (they may cross realms in test sandboxes). */
const DATA_ERRORS = new Set(['EnvelopeAuthenticationError', 'EnvelopeFormatError']);

/**
 * A BackupDecryptor over `stowage backup`'s envelope format with a KMS key resolver: the data key is unwrapped
 * with KMS Decrypt under the encryption context `{source, key}` the object was pushed with, so a header copied
 * from another backup fails authentication.
 */
export function createEnvelopeDecryptor(resolver: KeyResolver): BackupDecryptor {
  return {
    async createDecryptStream(object) {
      const source = parseBackupKey(object.key)?.source ?? object.metadata[BACKUP_METADATA.SOURCE] ?? '';
      return createDecryptStream(resolver, { expectedContext: { source, key: object.key } });
    },
    isDataError(error) {
      const name =
        typeof error === 'object' && error !== null ? (error as { name?: unknown }).name : undefined;
      return typeof name === 'string' && DATA_ERRORS.has(name);
    },
  };
}
