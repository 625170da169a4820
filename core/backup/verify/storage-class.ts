import type { BackupObject } from './backup-object';

/** Storage classes whose objects must be restored before they can be read. */
export const ARCHIVE_STORAGE_CLASSES: readonly string[] = ['GLACIER', 'DEEP_ARCHIVE'];

/** The object is in an archive tier and no restored copy is available: its content cannot be read. */
export function isArchived(object: BackupObject): boolean {
  return ARCHIVE_STORAGE_CLASSES.includes(object.storageClass) && !object.restored;
}
