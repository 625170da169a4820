import type { BackupObject } from './backup-object';
import { failed, passed, type CheckResult } from './verification-report';

/**
 * Encryption at rest: SSE-KMS under the backups key. Without a configured key ARN, any server-side encryption is
 * reported as found (nothing to compare it with) and none fails.
 */
export function checkEncryptionAtRest(object: BackupObject, backupsKeyArn: string | undefined): CheckResult {
  const algorithm = object.serverSideEncryption;
  if (!backupsKeyArn) {
    return algorithm
      ? passed(
          'encryption',
          `${algorithm}${object.kmsKeyId ? ` with ${object.kmsKeyId}` : ''} (key not checked)`,
        )
      : failed('encryption', 'not encrypted at rest');
  }
  if (algorithm !== 'aws:kms') {
    return failed(
      'encryption',
      `expected aws:kms with ${backupsKeyArn}, found ${algorithm ?? 'no encryption'}`,
    );
  }
  if (object.kmsKeyId !== backupsKeyArn) {
    return failed(
      'encryption',
      `encrypted with ${object.kmsKeyId ?? 'an unnamed key'}, expected ${backupsKeyArn}`,
    );
  }
  return passed('encryption', `aws:kms with ${backupsKeyArn}`);
}
