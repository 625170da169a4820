import { ListObjectVersionsCommand, type S3Client } from '@aws-sdk/client-s3';

import type { RecordedVerdict, StatusRecord, StatusStore } from '../status/upload-status';
import type { ObjectVersion } from './source-object';

/**
 * One upload, one object version: the rule for a presigned form used more than once.
 *
 * A presigned POST stays valid until its policy expires, and S3 (and Ceph RGW) accept every POST to the form's key
 * as a NEW VERSION of the same key. Ceph RGW's event records carry an empty versionId, so "the object at the key"
 * is not a safe name for what was uploaded. Stowage therefore names every version explicitly and applies:
 *
 * - The FIRST version of the upload's key decides the upload. The first scan of any version of the key binds the
 *   status record to the oldest version then stored (`sourceVersionId`, a conditional write that only succeeds while
 *   the record is unbound, so concurrent scans agree). Every verdict, copy and status on the record is that
 *   version's, and `processed/<id>` can only ever hold its bytes.
 * - Every LATER version (the form used again, one after the other or at the same moment) is scanned too, and
 *   quarantined under `quarantine/<uploadId>/form-reused/<versionId>/<name>` with reason `form-reused`, even when
 *   it is clean: it is tagged SUSPICIOUS (or its own INFECTED/SUSPICIOUS verdict) and never touches the record.
 * - An event without a version id (Ceph RGW, local mode's requeue) lists the versions of the exact key and handles
 *   each of them; an event with one handles exactly that version. Nothing ever reads "the current version".
 */
export const FORM_REUSED_REASON = 'form-reused';

/** What a version is to its upload: the one the record is bound to, or a later POST of the same form. */
export type VersionRole = 'upload' | 'form-reused';

/**
 * The live version ids of exactly `key` (other keys that merely start with it are skipped), OLDEST FIRST.
 * ListObjectVersions lists the versions of a key newest first. A delete marker hides what is older than it, as it
 * does for every S3 reader: when the newest entry of the key is a delete marker the key is deleted (no versions);
 * otherwise only versions newer than the newest delete marker count. The pipeline itself never writes delete markers
 * (it deletes exact versions), so a marker is someone's deliberate delete, which the pipeline does not undo.
 */
export async function listKeyVersions(s3: S3Client, bucket: string, key: string): Promise<string[]> {
  const versions: { readonly id: string; readonly at: number; readonly latest: boolean }[] = [];
  let newestMarker: { readonly at: number; readonly latest: boolean } | undefined;
  let keyMarker: string | undefined;
  let versionIdMarker: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectVersionsCommand({
        Bucket: bucket,
        Prefix: key,
        ...(keyMarker !== undefined ? { KeyMarker: keyMarker } : {}),
        ...(versionIdMarker !== undefined ? { VersionIdMarker: versionIdMarker } : {}),
      }),
    );
    for (const version of page.Versions ?? []) {
      if (version.Key !== key) continue;
      if (!version.VersionId || version.VersionId === 'null') {
        throw new Error(`s3://${bucket}/${key} has a version without an id: the bucket must be versioned`);
      }
      versions.push({
        id: version.VersionId,
        at: version.LastModified?.getTime() ?? 0,
        latest: version.IsLatest === true,
      });
    }
    for (const marker of page.DeleteMarkers ?? []) {
      if (marker.Key !== key) continue;
      const at = marker.LastModified?.getTime() ?? 0;
      if (!newestMarker || marker.IsLatest === true || at > newestMarker.at) {
        newestMarker = { at, latest: marker.IsLatest === true || newestMarker?.latest === true };
      }
    }
    const more = page.IsTruncated === true;
    keyMarker = more ? page.NextKeyMarker : undefined;
    versionIdMarker = more ? page.NextVersionIdMarker : undefined;
    if (more && keyMarker === undefined) {
      throw new Error(`ListObjectVersions of s3://${bucket}/${key} is truncated without a next key marker`);
    }
  } while (keyMarker !== undefined);
  if (newestMarker?.latest) return [];
  const live = newestMarker
    ? versions.filter((version) => version.latest || version.at > newestMarker.at)
    : versions;
  return live.map((version) => version.id).reverse();
}

/**
 * Binds the upload's record to its first version if it is not bound yet, and says what `version` is to the upload.
 * Idempotent and safe under concurrency: the binding is a conditional write that only an unbound record accepts,
 * and every caller computes the same first version (the oldest one stored; versions are only removed after the
 * record was bound to the first). Returns the record as stored after the binding.
 */
export async function bindUploadVersion(
  s3: S3Client,
  statusStore: StatusStore,
  record: StatusRecord,
  version: ObjectVersion,
): Promise<{ readonly role: VersionRole; readonly record: StatusRecord }> {
  let bound = record;
  if (bound.sourceVersionId === undefined) {
    const versions = await listKeyVersions(s3, version.bucket, version.key);
    // A listing that lags behind the HeadObject just made cannot name an older version than the one in hand.
    const first = versions[0] ?? version.versionId;
    bound = await statusStore.update(record.uploadId, { sourceVersionId: first }, undefined, first);
  }
  return { role: bound.sourceVersionId === version.versionId ? 'upload' : 'form-reused', record: bound };
}

/**
 * The verdict a later version under a used form is published and tagged with: SUSPICIOUS by the pipeline when the
 * engines found it clean, its own verdict otherwise; the reason always starts with `form-reused`. ERROR stays
 * ERROR (the scan is retried). sha256, size and detected type stay the scan's: they describe the version's bytes.
 */
export function formReusedVerdict(verdict: RecordedVerdict, pipelineEngine: string): RecordedVerdict {
  if (verdict.status === 'ERROR') return verdict;
  const clean = verdict.status === 'CLEAN';
  return {
    ...verdict,
    status: clean ? 'SUSPICIOUS' : verdict.status,
    engine: clean ? pipelineEngine : verdict.engine,
    reason: verdict.reason === undefined ? FORM_REUSED_REASON : `${FORM_REUSED_REASON}: ${verdict.reason}`,
  };
}
