import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';

import {
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  NoSuchKey,
  NotFound,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { AwsClientStub } from 'aws-sdk-client-mock';
import { pack } from 'tar-stream';

import { backupKey } from '../../../../core/backup/backup-layout';

export const BUCKET = 'stowage-test-backups';
export const KEY_ARN = 'arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555';

export interface StoredBackup {
  body: Buffer;
  metadata: Record<string, string>;
  sse?: string;
  kmsKeyId?: string;
  replicationStatus?: string;
  storageClass?: string;
  restore?: string;
}

/**
 * The backups bucket behind aws-sdk-client-mock: ListObjectsV2 (small pages, to exercise pagination), HeadObject
 * (encryption, replication, storage class), GetObject (with Range) and PutObject, recording what was asked.
 */
export class FakeBackupsBucket {
  readonly objects = new Map<string, StoredBackup>();
  readonly ranges: string[] = [];
  readonly puts: { key: string; body: string; sse?: string; kmsKeyId?: string }[] = [];
  listCalls = 0;

  constructor(mock: AwsClientStub<S3Client>, pageSize = 2) {
    mock.on(ListObjectsV2Command).callsFake((input) => {
      this.listCalls++;
      const keys = [...this.objects.keys()].filter((key) => key.startsWith(input.Prefix ?? '')).sort();
      const start = input.ContinuationToken ? Number(input.ContinuationToken) : 0;
      const page = keys.slice(start, start + pageSize);
      const more = start + pageSize < keys.length;
      return {
        Contents: page.map((Key) => ({ Key, Size: this.objects.get(Key)!.body.length })),
        IsTruncated: more,
        ...(more ? { NextContinuationToken: String(start + pageSize) } : {}),
      };
    });
    mock.on(HeadObjectCommand).callsFake((input) => {
      const object = this.find(input.Key, 'head');
      return {
        ContentLength: object.body.length,
        ETag: `"${createHash('md5').update(object.body).digest('hex')}"`,
        Metadata: { ...object.metadata },
        ServerSideEncryption: object.sse,
        SSEKMSKeyId: object.kmsKeyId,
        ReplicationStatus: object.replicationStatus,
        StorageClass: object.storageClass,
        Restore: object.restore,
      };
    });
    mock.on(GetObjectCommand).callsFake((input) => {
      const object = this.find(input.Key, 'get');
      let body = object.body;
      if (input.Range) {
        this.ranges.push(input.Range);
        const [, start, end] = /^bytes=(\d+)-(\d+)$/.exec(input.Range)!;
        body = body.subarray(Number(start), Number(end) + 1);
      }
      return { ContentLength: body.length, Body: bodyStream(body) };
    });
    mock.on(PutObjectCommand).callsFake((input) => {
      const body = String(input.Body);
      this.puts.push({ key: input.Key!, body, sse: input.ServerSideEncryption, kmsKeyId: input.SSEKMSKeyId });
      this.objects.set(input.Key!, { body: Buffer.from(body), metadata: {} });
      return { ETag: '"etag"' };
    });
  }

  /** Stores a backup as `stowage backup push` leaves it: SSE-KMS under the backups key, sha256 metadata. */
  putBackup(
    source: string,
    takenAt: Date,
    extension: string,
    body: Buffer,
    overrides: Partial<StoredBackup> = {},
  ): string {
    const key = backupKey(source, takenAt, extension);
    this.objects.set(key, {
      body,
      metadata: backupMetadata(source, body),
      sse: 'aws:kms',
      kmsKeyId: KEY_ARN,
      ...overrides,
    });
    return key;
  }

  private find(key: string | undefined, operation: 'head' | 'get'): StoredBackup {
    const object = this.objects.get(key ?? '');
    if (object) return object;
    const $metadata = { httpStatusCode: 404 };
    if (operation === 'head') throw new NotFound({ message: 'Not Found', $metadata });
    throw new NoSuchKey({ message: 'The specified key does not exist.', $metadata });
  }
}

/** The metadata `stowage backup push` writes for an unencrypted backup. */
export function backupMetadata(source: string, body: Buffer): Record<string, string> {
  const sha256 = createHash('sha256').update(body).digest('hex');
  return {
    sha256,
    'stored-sha256': sha256,
    'original-size': String(body.length),
    encryption: 'none',
    source,
  };
}

/** A GetObject body: a Node stream with the SDK's helpers. */
export function bodyStream(body: Buffer, chunkSize = 4096): Readable {
  const chunks: Buffer[] = [];
  for (let offset = 0; offset < body.length; offset += chunkSize)
    chunks.push(body.subarray(offset, offset + chunkSize));
  return Object.assign(Readable.from(chunks), {
    transformToString: async () => body.toString('utf8'),
    transformToByteArray: async () => new Uint8Array(body),
  });
}

/** Deterministic bytes that do not compress away. */
export function noise(length: number, seed = 1): Buffer {
  const out = Buffer.alloc(length);
  let state = seed >>> 0 || 1;
  for (let index = 0; index < length; index++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    out[index] = state & 0xff;
  }
  return out;
}

export function gzipOf(length: number, seed = 1): Buffer {
  return gzipSync(noise(length, seed));
}

export async function tarGzOf(files: Record<string, Buffer>): Promise<Buffer> {
  const archive = pack();
  for (const [name, content] of Object.entries(files)) archive.entry({ name }, content);
  archive.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of archive) chunks.push(chunk as Buffer);
  return gzipSync(Buffer.concat(chunks));
}

export function hoursBefore(at: Date, hours: number): Date {
  return new Date(at.getTime() - hours * 3_600_000);
}
