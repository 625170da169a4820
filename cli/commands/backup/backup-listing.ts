import { HeadObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { BACKUPS_PREFIX, parseBackupKey } from '../../../core/backup/backup-layout';
import type { ListedBackup } from '../../../core/backup/verify/backup-listing';
import { backupObjectInfo, type BackupObjectInfo } from './backup-object';
import { withManifestDigests } from './digest-manifest';

/**
 * Every backup of `source` (or of every source), newest first by the key's time, then by when it was stored. Keys
 * outside the layout are skipped.
 */
export async function listBackups(s3: S3Client, bucket: string, source?: string): Promise<ListedBackup[]> {
  const found: ListedBackup[] = [];
  let ContinuationToken: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({
        Bucket: bucket,
        Prefix: source ? `${BACKUPS_PREFIX}${source}/` : BACKUPS_PREFIX,
        ContinuationToken,
      }),
    );
    for (const object of page.Contents ?? []) {
      const parsed = object.Key ? parseBackupKey(object.Key) : undefined;
      if (!parsed || !object.Key) continue;
      found.push({
        key: object.Key,
        source: parsed.source,
        takenAt: parsed.takenAt,
        ...(object.LastModified ? { storedAt: object.LastModified } : {}),
      });
    }
    ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (ContinuationToken);
  return found.sort(
    (a, b) =>
      b.takenAt.getTime() - a.takenAt.getTime() ||
      (b.storedAt?.getTime() ?? 0) - (a.storedAt?.getTime() ?? 0) ||
      (a.key < b.key ? 1 : -1),
  );
}

/** HeadObject of each backup (digests from the manifest of a stdin push), `concurrency` at a time, in order. */
export async function describeBackups(
  s3: S3Client,
  bucket: string,
  keys: readonly string[],
  concurrency = 8,
): Promise<BackupObjectInfo[]> {
  const infos: BackupObjectInfo[] = new Array(keys.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < keys.length) {
      const index = next++;
      const key = keys[index]!;
      const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      infos[index] = await withManifestDigests(s3, bucket, key, backupObjectInfo(head));
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, keys.length) }, worker));
  return infos;
}
