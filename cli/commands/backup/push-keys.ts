import {
  ListMultipartUploadsCommand,
  ListObjectVersionsCommand,
  type ObjectVersion,
  type S3Client,
} from '@aws-sdk/client-s3';
import { backupKey } from '../../../lambda/shared/backup/backup-layout';
import { BackupFailure } from './backup-io';

/** How many `_n` suffixes a push tries in one second before giving up. */
const MAX_SEQUENCE = 100;

/** A key chosen for a push, and the versions it already had (a deleted backup's), which are not rivals. */
export interface ChosenKey {
  readonly key: string;
  readonly sequence: number;
  readonly earlierVersions: ReadonlySet<string>;
}

/**
 * The first key from `sequence` on whose latest version is absent or a delete marker and that has no multipart
 * upload in progress: `_n` keys for a further push in the same second. The create itself is still conditional
 * (If-None-Match), and checkKeyRace catches servers that do not enforce that.
 */
export async function chooseFreeKey(
  s3: S3Client,
  bucket: string,
  source: string,
  at: Date,
  extension: string,
  sequence: number,
): Promise<ChosenKey> {
  for (let n = sequence; n <= MAX_SEQUENCE; n++) {
    const key = backupKey(source, at, extension, n);
    const { versions, latestIsObject } = await versionsOf(s3, bucket, key);
    if (latestIsObject) continue;
    const uploads = await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: key }));
    if ((uploads.Uploads ?? []).some((upload) => upload.Key === key)) continue;
    return { key, sequence: n, earlierVersions: new Set(versions.map((v) => v.VersionId ?? 'null')) };
  }
  throw new BackupFailure(`more than ${MAX_SEQUENCE} pushes of ${source} in one second: no free key`);
}

/**
 * After a write on a versioned bucket: did another push write the same key first? Servers that ignore If-None-Match
 * (Ceph RGW on versioned buckets, measured) let two pushes of the same second both succeed; each then lists the
 * key's versions, and the one whose version is not strictly the oldest new one loses (both lose on a tie) and
 * moves on. True when this push lost.
 */
export async function lostKeyRace(
  s3: S3Client,
  bucket: string,
  chosen: ChosenKey,
  versionId: string | undefined,
): Promise<boolean> {
  if (!versionId) return false; // unversioned: the server's If-None-Match is all there is
  const { versions } = await versionsOf(s3, bucket, chosen.key);
  const fresh = versions.filter((v) => !chosen.earlierVersions.has(v.VersionId ?? 'null'));
  const ours = fresh.find((v) => v.VersionId === versionId);
  if (!ours) return false;
  const at = ours.LastModified?.getTime() ?? 0;
  return fresh.some((v) => v.VersionId !== versionId && (v.LastModified?.getTime() ?? 0) <= at);
}

async function versionsOf(
  s3: S3Client,
  bucket: string,
  key: string,
): Promise<{ versions: ObjectVersion[]; latestIsObject: boolean }> {
  const versions: ObjectVersion[] = [];
  let latestIsObject = false;
  let KeyMarker: string | undefined;
  let VersionIdMarker: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectVersionsCommand({ Bucket: bucket, Prefix: key, KeyMarker, VersionIdMarker }),
    );
    for (const version of page.Versions ?? []) {
      if (version.Key !== key) continue;
      versions.push(version);
      if (version.IsLatest) latestIsObject = true;
    }
    KeyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
    VersionIdMarker = page.IsTruncated ? page.NextVersionIdMarker : undefined;
  } while (KeyMarker);
  return { versions, latestIsObject };
}
