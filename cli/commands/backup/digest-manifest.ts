import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import {
  digestManifestKey,
  parseDigestManifest,
  type DigestManifest,
} from '../../../core/backup/backup-layout';
import { CommandFailure } from '../../shared/command-io';
import type { BackupObjectInfo } from './backup-object';
import type { BackupConfig } from './backup-config';
import { isTransientError } from './retry';
import type { DigestResult } from './stream-digest';

/**
 * Writes the digest manifest of a streamed backup: created only if absent (If-None-Match), SSE-KMS like the
 * backup, tried three times on transient failures.
 */
export async function writeDigestManifest(
  s3: S3Client,
  config: BackupConfig,
  backup: { key: string; versionId?: string; original: DigestResult; stored: DigestResult },
  sleep: (ms: number) => Promise<void>,
): Promise<void> {
  const manifest: DigestManifest = {
    key: backup.key,
    ...(backup.versionId ? { versionId: backup.versionId } : {}),
    sha256: backup.original.sha256,
    'original-size': String(backup.original.size),
    'stored-sha256': backup.stored.sha256,
    'stored-size': String(backup.stored.size),
  };
  const body = `${JSON.stringify(manifest, null, 2)}\n`;
  for (let attempt = 1; ; attempt++) {
    try {
      await s3.send(
        new PutObjectCommand({
          Bucket: config.bucket,
          Key: digestManifestKey(backup.key),
          Body: body,
          ContentType: 'application/json',
          IfNoneMatch: '*',
          ...(config.kmsKeyId
            ? { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: config.kmsKeyId, BucketKeyEnabled: true }
            : {}),
        }),
      );
      return;
    } catch (error) {
      if (attempt >= 3 || !isTransientError(error)) throw error;
      await sleep(1000 * attempt);
    }
  }
}

/**
 * The digests of a backup whose metadata says `digest: manifest`: read from its digest manifest, which must name
 * the same key (and version, when both have one).
 */
export async function readDigestManifest(
  s3: S3Client,
  bucket: string,
  key: string,
  versionId: string | undefined,
): Promise<DigestManifest> {
  const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: digestManifestKey(key) }));
  const text = (await object.Body?.transformToString('utf8')) ?? '';
  const manifest = parseDigestManifest(text);
  if (!manifest)
    throw new CommandFailure(`the digest manifest of ${key} is not valid JSON of the expected shape`);
  if (manifest.key !== key || (versionId && manifest.versionId && manifest.versionId !== versionId)) {
    throw new CommandFailure(
      `the digest manifest ${digestManifestKey(key)} describes ${manifest.key}` +
        `${manifest.versionId ? ` version ${manifest.versionId}` : ''}, not this backup`,
    );
  }
  return manifest;
}

/** A backup streamed from stdin keeps its digests in its digest manifest: read them from there. */
export async function withManifestDigests(
  s3: S3Client,
  bucket: string,
  key: string,
  info: BackupObjectInfo,
): Promise<BackupObjectInfo> {
  if (info.sha256 || !info.digestInManifest) return info;
  const manifest = await readDigestManifest(s3, bucket, key, info.versionId);
  return {
    ...info,
    sha256: manifest.sha256,
    originalSize: Number(manifest['original-size']),
    storedSha256: manifest['stored-sha256'],
  };
}
