import { HeadObjectCommand, type HeadObjectCommandOutput, type S3Client } from '@aws-sdk/client-s3';

import { BACKUP_METADATA } from '../backup-layout';

/** How a backup is encrypted on the client side, from its `encryption` and `key-source` metadata. */
export type ClientEncryption =
  | { readonly kind: 'none' }
  | { readonly kind: 'kms'; readonly scheme: string }
  | { readonly kind: 'passphrase'; readonly scheme: string }
  | { readonly kind: 'unknown'; readonly scheme: string; readonly keySource: string };

/** What HeadObject says about a backup, in the verifier's terms. */
export interface BackupObject {
  readonly key: string;
  readonly versionId?: string;
  readonly etag?: string;
  /** Bytes as stored. */
  readonly storedBytes: number;
  /** Original bytes (metadata `original-size`, else the stored size). */
  readonly originalBytes: number;
  /** Metadata `original-size`, when present and a number. */
  readonly declaredBytes?: number;
  /** User metadata, lower-case names without `x-amz-meta-`. */
  readonly metadata: Readonly<Record<string, string>>;
  readonly serverSideEncryption?: string;
  readonly kmsKeyId?: string;
  readonly replicationStatus?: string;
  readonly storageClass: string;
  /** An archived object has a finished restore (readable copy) available. */
  readonly restored: boolean;
  readonly encryption: ClientEncryption;
}

export async function headBackup(s3: S3Client, bucket: string, key: string): Promise<BackupObject> {
  const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
  return describeBackup(key, head);
}

export function describeBackup(key: string, head: HeadObjectCommandOutput): BackupObject {
  const metadata = lowerCaseKeys(head.Metadata ?? {});
  const storedBytes = head.ContentLength ?? 0;
  const declared = metadata[BACKUP_METADATA.SIZE];
  const originalBytes = declared !== undefined && /^\d+$/.test(declared) ? Number(declared) : storedBytes;
  return {
    key,
    ...(head.VersionId ? { versionId: head.VersionId } : {}),
    ...(head.ETag ? { etag: head.ETag } : {}),
    storedBytes,
    originalBytes,
    ...(declared !== undefined && /^\d+$/.test(declared) ? { declaredBytes: Number(declared) } : {}),
    metadata,
    ...(head.ServerSideEncryption ? { serverSideEncryption: head.ServerSideEncryption } : {}),
    ...(head.SSEKMSKeyId ? { kmsKeyId: head.SSEKMSKeyId } : {}),
    ...(head.ReplicationStatus ? { replicationStatus: head.ReplicationStatus } : {}),
    storageClass: head.StorageClass ?? 'STANDARD',
    restored: /ongoing-request="false"/.test(head.Restore ?? ''),
    encryption: clientEncryption(metadata),
  };
}

function clientEncryption(metadata: Readonly<Record<string, string>>): ClientEncryption {
  const scheme = metadata[BACKUP_METADATA.ENCRYPTION] ?? 'none';
  if (scheme === 'none' || scheme === '') return { kind: 'none' };
  const keySource = metadata[BACKUP_METADATA.KEY_SOURCE] ?? '';
  if (keySource === 'kms') return { kind: 'kms', scheme };
  if (keySource === 'passphrase') return { kind: 'passphrase', scheme };
  return { kind: 'unknown', scheme, keySource };
}

function lowerCaseKeys(record: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).map(([name, value]) => [name.toLowerCase(), value]));
}
