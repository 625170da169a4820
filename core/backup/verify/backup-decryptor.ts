import type { Duplex } from 'node:stream';

/** The object a decryptor opens: its key (the envelope binds the data key to it) and user metadata. */
export interface EncryptedObject {
  readonly key: string;
  readonly metadata: Readonly<Record<string, string>>;
}

/**
 * Opens client-side encrypted backups for the content checks (envelope-decryptor.ts implements it over the
 * envelope format of `stowage backup push`). Passphrase-encrypted backups cannot be opened by an unattended
 * verifier and never reach it.
 */
export interface BackupDecryptor {
  /** A stream from the stored bytes to the original bytes of the object. */
  createDecryptStream(object: EncryptedObject): Promise<Duplex>;
  /**
   * Whether an error of that stream means the stored bytes are bad (authentication failed, damaged envelope): a
   * failed check. Any other error (KMS access, throttling) is an error of the verification and is rethrown.
   */
  isDataError(error: unknown): boolean;
}

/** The decrypt stream rejected the stored bytes (tampered, truncated or not this scheme). */
export class DecryptionError extends Error {
  constructor(message: string, options: { cause: unknown }) {
    super(message, options);
    this.name = 'DecryptionError';
  }
}
