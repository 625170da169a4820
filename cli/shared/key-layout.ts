/**
 * What the key layout of docs/architecture.md says about a key, as far as `report` and `cleanup` need it:
 * `uploads/<userId>/…`, `processed/<userId>/…` (+ `<key>.manifest.json`), `quarantine/<uploadId>/<name>`,
 * `backups/<source>/…`, `test/…`, `reports/…`.
 */
import type { BucketPurpose } from '../../lib/config/naming';
import {
  manifestKeyFor,
  PROCESSED_PREFIX,
  uploadIdOfQuarantineKey,
  UPLOADS_PREFIX,
} from '../../core/contracts/upload-key';

/** Suffix of a processed object's manifest (core/contracts/upload-key.ts manifestKeyFor). */
export const MANIFEST_SUFFIX = manifestKeyFor('');

/** The first path segment with its slash (`uploads/`), or `(root)` for keys without one. */
export function topLevelPrefix(key: string): string {
  const slash = key.indexOf('/');
  return slash < 0 ? '(root)' : key.slice(0, slash + 1);
}

/** Prefixes whose second segment is the owner's user id, by bucket. */
const OWNER_PREFIXES: Partial<Record<BucketPurpose, string>> = {
  uploads: UPLOADS_PREFIX,
  processed: PROCESSED_PREFIX,
};

/** The userId segment of an uploads or processed key; undefined where the layout has no owner. */
export function ownerOf(purpose: BucketPurpose, key: string): string | undefined {
  const prefix = OWNER_PREFIXES[purpose];
  if (prefix === undefined || !key.startsWith(prefix)) return undefined;
  const rest = key.slice(prefix.length);
  const slash = rest.indexOf('/');
  return slash > 0 ? rest.slice(0, slash) : undefined;
}

export function isManifestKey(key: string): boolean {
  return key.endsWith(MANIFEST_SUFFIX) && key.length > MANIFEST_SUFFIX.length;
}

/** The processed object a manifest describes. */
export function objectKeyOfManifest(manifestKey: string): string {
  return manifestKey.slice(0, -MANIFEST_SUFFIX.length);
}

/** The upload id of `quarantine/<uploadId>/<name>`; undefined outside the layout. */
export function quarantinedUploadId(key: string): string | undefined {
  return uploadIdOfQuarantineKey(key);
}
