import { GetObjectCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { Readable } from 'stream';
import { pipeline } from 'stream/promises';
import { Writable } from 'stream';
import { createDigestStream } from './stream-digest';

export interface UploadExpectation {
  readonly bucket: string;
  readonly key: string;
  readonly versionId?: string;
  /** Bytes as stored. */
  readonly size: number;
  /** Lower-case hex SHA-256 of the bytes as stored. */
  readonly sha256: string;
  readonly metadata: Readonly<Record<string, string>>;
  /** When set, the object must be SSE-KMS encrypted. */
  readonly kmsKeyId?: string;
  /** Ask S3 for its stored checksum (not towards S3-compatible servers). */
  readonly requestChecksum: boolean;
  /** Read the object back and hash it. */
  readonly verifyRead: boolean;
}

export interface UploadVerification {
  /** What was checked and passed, for the user. */
  readonly notes: readonly string[];
  /** What does not match; empty when the object is good. */
  readonly problems: readonly string[];
}

/**
 * Checks a freshly written backup: HeadObject (size, every metadata value, SSE-KMS), S3's stored full-object
 * SHA-256 where the server keeps one, and with `verifyRead` the SHA-256 of the bytes read back.
 */
export async function verifyUpload(s3: S3Client, expected: UploadExpectation): Promise<UploadVerification> {
  const notes: string[] = [];
  const problems: string[] = [];
  const head = await s3.send(
    new HeadObjectCommand({
      Bucket: expected.bucket,
      Key: expected.key,
      VersionId: expected.versionId,
      ...(expected.requestChecksum ? { ChecksumMode: 'ENABLED' } : {}),
    }),
  );
  if (head.ContentLength !== expected.size) {
    problems.push(`size is ${head.ContentLength} bytes, expected ${expected.size}`);
  }
  const stored = head.Metadata ?? {};
  const wrong = Object.entries(expected.metadata).filter(([name, value]) => stored[name] !== value);
  for (const [name, value] of wrong) {
    problems.push(
      `metadata ${name} is ${JSON.stringify(stored[name] ?? null)}, expected ${JSON.stringify(value)}`,
    );
  }
  if (expected.kmsKeyId && head.ServerSideEncryption !== 'aws:kms') {
    problems.push(`server-side encryption is ${head.ServerSideEncryption ?? 'none'}, expected aws:kms`);
  }
  if (problems.length === 0) notes.push(`size ${expected.size} bytes and metadata`);

  const checksum = head.ChecksumSHA256;
  const fullObject = checksum !== undefined && head.ChecksumType !== 'COMPOSITE' && !/-\d+$/.test(checksum);
  if (fullObject) {
    const ours = Buffer.from(expected.sha256, 'hex').toString('base64');
    if (checksum === ours) notes.push('S3 full-object SHA-256 checksum');
    else problems.push(`S3 SHA-256 checksum is ${checksum}, expected ${ours}`);
  } else if (!expected.verifyRead) {
    notes.push(
      'the server keeps no full-object SHA-256 checksum for this object (S3 multipart uploads, S3-compatible servers ' +
        'such as Ceph RGW): add --verify-read to read it back and hash it',
    );
  }

  if (expected.verifyRead) {
    const object = await s3.send(
      new GetObjectCommand({ Bucket: expected.bucket, Key: expected.key, VersionId: expected.versionId }),
    );
    const digest = createDigestStream();
    await pipeline(
      object.Body as Readable,
      digest.stream,
      new Writable({ write: (_chunk, _encoding, callback) => callback() }),
    );
    const read = digest.result();
    if (read.sha256 === expected.sha256 && read.size === expected.size)
      notes.push('SHA-256 of the bytes read back');
    else
      problems.push(`read back ${read.size} bytes with SHA-256 ${read.sha256}, expected ${expected.sha256}`);
  }
  return { notes, problems };
}
