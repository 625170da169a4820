import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';

import { isObjectMissing } from '../../aws/s3-errors';
import {
  BACKUP_METADATA,
  DIGEST_IN_MANIFEST,
  digestManifestKey,
  parseDigestManifest,
} from '../backup-layout';
import type { BackupObject } from './backup-object';

/** Largest digest manifest read (a few hundred bytes of JSON in practice). */
const MAX_MANIFEST_BYTES = 64 * 1024;

export type ManifestOutcome = { readonly object: BackupObject } | { readonly problem: string };

/**
 * A backup streamed from stdin (`stowage backup push -`) keeps its digests in a digest manifest next to it
 * (backup-layout.ts), not in its metadata. For such a backup, reads the manifest and returns the object with the
 * manifest's sha256, original-size and stored-sha256 as metadata, once the manifest is proven to describe this
 * object: its key, its version (when both are known) and its stored size. Any other backup is returned as is. A
 * missing or mismatched manifest is a `problem` (the backup's bytes cannot be checked against anything).
 */
export async function withDigestManifest(
  s3: S3Client,
  bucket: string,
  object: BackupObject,
): Promise<ManifestOutcome> {
  if (object.metadata[BACKUP_METADATA.DIGEST] !== DIGEST_IN_MANIFEST) return { object };
  const key = digestManifestKey(object.key);
  let text: string;
  try {
    const response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    if ((response.ContentLength ?? 0) > MAX_MANIFEST_BYTES) {
      return { problem: `the digest manifest ${key} is ${response.ContentLength} bytes, not a manifest` };
    }
    text = (await response.Body?.transformToString('utf8')) ?? '';
  } catch (error) {
    if (isObjectMissing(error)) {
      return {
        problem: `streamed from stdin, but its digest manifest ${key} is missing (the push did not finish)`,
      };
    }
    throw error;
  }
  const manifest = parseDigestManifest(text);
  if (!manifest) return { problem: `${key} is not a digest manifest` };
  if (manifest.key !== object.key) return { problem: `${key} describes ${manifest.key}` };
  if (manifest.versionId && object.versionId && manifest.versionId !== object.versionId) {
    return { problem: `${key} describes version ${manifest.versionId}, the backup is ${object.versionId}` };
  }
  const storedSize = Number(manifest['stored-size']);
  if (storedSize !== object.storedBytes) {
    return {
      problem: `the object is ${object.storedBytes} bytes (Content-Length), its digest manifest says ${storedSize}`,
    };
  }
  const originalBytes = Number(manifest['original-size']);
  return {
    object: {
      ...object,
      originalBytes,
      declaredBytes: originalBytes,
      metadata: {
        ...object.metadata,
        [BACKUP_METADATA.SHA256]: manifest.sha256,
        [BACKUP_METADATA.SIZE]: manifest['original-size'],
        [BACKUP_METADATA.STORED_SHA256]: manifest['stored-sha256'],
      },
    },
  };
}
