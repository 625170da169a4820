import type { HeadObjectCommandOutput } from '@aws-sdk/client-s3';
import { BACKUP_METADATA, DIGEST_IN_MANIFEST } from '../../../core/backup/backup-layout';

/** Storage classes whose objects must be restored before they can be read. */
export const ARCHIVE_CLASSES = ['GLACIER', 'DEEP_ARCHIVE'] as const;
export type ArchiveClass = (typeof ARCHIVE_CLASSES)[number];

export function isArchiveClass(storageClass: string | undefined): storageClass is ArchiveClass {
  return (ARCHIVE_CLASSES as readonly string[]).includes(storageClass ?? '');
}

/** The restore state of an archived object, from HeadObject's `x-amz-restore`. */
export type RestoreStatus =
  | { readonly state: 'not-restored' }
  | { readonly state: 'ongoing' }
  | { readonly state: 'restored'; readonly until?: Date };

/** `ongoing-request="false", expiry-date="Fri, 21 Dec 2012 00:00:00 GMT"` → restored until that date. */
export function parseRestoreHeader(header: string | undefined): RestoreStatus {
  if (!header) return { state: 'not-restored' };
  if (/ongoing-request="true"/.test(header)) return { state: 'ongoing' };
  const expiry = /expiry-date="([^"]+)"/.exec(header)?.[1];
  const until = expiry ? new Date(expiry) : undefined;
  return { state: 'restored', until: until && !Number.isNaN(until.getTime()) ? until : undefined };
}

export function describeRestore(status: RestoreStatus): string {
  switch (status.state) {
    case 'not-restored':
      return 'not restored';
    case 'ongoing':
      return 'restore ongoing';
    case 'restored':
      return status.until ? `restored until ${status.until.toISOString()}` : 'restored';
  }
}

/** What a backup object's HeadObject says about it. */
export interface BackupObjectInfo {
  readonly storedSize: number;
  readonly originalSize?: number;
  readonly sha256?: string;
  readonly storedSha256?: string;
  readonly encryption: string;
  readonly keySource?: string;
  readonly storageClass: string;
  /** Only for archive classes. */
  readonly restore?: RestoreStatus;
  readonly versionId?: string;
  /** The version's ETag: downloads ask for exactly it (If-Match). */
  readonly etag?: string;
  /** Streamed from stdin: the digests are in the digest manifest, not in the metadata. */
  readonly digestInManifest: boolean;
}

export function backupObjectInfo(head: HeadObjectCommandOutput): BackupObjectInfo {
  const metadata = head.Metadata ?? {};
  const originalSize = metadata[BACKUP_METADATA.SIZE];
  const storageClass = head.StorageClass ?? 'STANDARD';
  return {
    storedSize: head.ContentLength ?? 0,
    originalSize: originalSize !== undefined && /^\d+$/.test(originalSize) ? Number(originalSize) : undefined,
    sha256: metadata[BACKUP_METADATA.SHA256],
    storedSha256: metadata[BACKUP_METADATA.STORED_SHA256],
    encryption: metadata[BACKUP_METADATA.ENCRYPTION] ?? 'none',
    keySource: metadata[BACKUP_METADATA.KEY_SOURCE],
    storageClass,
    restore: isArchiveClass(storageClass) ? parseRestoreHeader(head.Restore) : undefined,
    versionId: head.VersionId,
    etag: head.ETag || undefined,
    digestInManifest: metadata[BACKUP_METADATA.DIGEST] === DIGEST_IN_MANIFEST,
  };
}

/** Whether the bytes can be read now: not archived, or archived with a finished restore. */
export function isReadable(info: BackupObjectInfo): boolean {
  return info.restore === undefined || info.restore.state === 'restored';
}
