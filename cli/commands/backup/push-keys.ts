import {
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectVersionsCommand,
  type ObjectVersion,
  type S3Client,
} from '@aws-sdk/client-s3';
import { awsErrorCode } from '../../../core/aws/aws-errors';
import { isObjectMissing } from '../../../core/aws/s3-errors';
import { backupKey } from '../../../core/backup/backup-layout';
import { CommandFailure } from '../../shared/command-io';

/** How many `_n` suffixes a push tries in one second before giving up. */
const MAX_SEQUENCE = 100;

/** A key chosen for a push, and the versions it already had (a deleted backup's), which are not rivals. */
export interface ChosenKey {
  readonly key: string;
  readonly sequence: number;
  readonly earlierVersions: ReadonlySet<string>;
  /** False when the caller may not list versions (no s3:ListBucketVersions): the race check cannot run. */
  readonly versionsListed: boolean;
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
    const listed = await versionsOf(s3, bucket, key).catch(unlessAccessDenied);
    if (listed ? listed.latestIsObject : await objectExists(s3, bucket, key)) continue;
    const uploads = await s3
      .send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: key }))
      .catch(unlessAccessDenied);
    if ((uploads?.Uploads ?? []).some((upload) => upload.Key === key)) continue;
    return {
      key,
      sequence: n,
      earlierVersions: new Set((listed?.versions ?? []).map((v) => v.VersionId ?? 'null')),
      versionsListed: listed !== undefined,
    };
  }
  throw new CommandFailure(`more than ${MAX_SEQUENCE} pushes of ${source} in one second: no free key`);
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
  // Unversioned, or versions not listable: the server's If-None-Match is all there is.
  if (!versionId || !chosen.versionsListed) return false;
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

/**
 * A role without s3:ListBucketVersions or s3:ListBucketMultipartUploads still pushes: the look-up falls back to
 * HeadObject, and the create's If-None-Match (enforced by S3) is the guard.
 */
function unlessAccessDenied(error: unknown): undefined {
  if (awsErrorCode(error) === 'AccessDenied') return undefined;
  throw error;
}

/** HeadObject: true when the key holds an object; false when missing or when HeadObject is refused (403). */
async function objectExists(s3: S3Client, bucket: string, key: string): Promise<boolean> {
  try {
    await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return true;
  } catch (error) {
    if (isObjectMissing(error) || awsErrorCode(error) === 'Forbidden') return false;
    throw error;
  }
}
