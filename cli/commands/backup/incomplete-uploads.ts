import { ListMultipartUploadsCommand, ListPartsCommand, type S3Client } from '@aws-sdk/client-s3';
import { awsErrorCode } from '../../../core/aws/aws-errors';

/** A multipart upload that was started and neither completed nor aborted: its parts are stored and billed. */
export interface IncompleteUpload {
  readonly bucket: string;
  readonly key: string;
  readonly uploadId: string;
  readonly initiated?: string;
  readonly ageSeconds?: number;
  readonly parts: number;
  readonly bytes: number;
}

/**
 * Every incomplete multipart upload of `bucket` (ListMultipartUploads, paginated) with its parts and bytes
 * (ListParts, paginated), oldest first. An upload completed or aborted between the two listings is left out.
 */
export async function listIncompleteUploads(
  s3: S3Client,
  bucket: string,
  now: Date,
): Promise<IncompleteUpload[]> {
  const found: IncompleteUpload[] = [];
  let KeyMarker: string | undefined;
  let UploadIdMarker: string | undefined;
  do {
    const page = await s3.send(
      new ListMultipartUploadsCommand({ Bucket: bucket, KeyMarker, UploadIdMarker }),
    );
    for (const upload of page.Uploads ?? []) {
      if (!upload.Key || !upload.UploadId) continue;
      const size = await partsOf(s3, bucket, upload.Key, upload.UploadId);
      if (!size) continue;
      found.push({
        bucket,
        key: upload.Key,
        uploadId: upload.UploadId,
        ...(upload.Initiated
          ? {
              initiated: upload.Initiated.toISOString(),
              ageSeconds: Math.max(0, Math.round((now.getTime() - upload.Initiated.getTime()) / 1000)),
            }
          : {}),
        ...size,
      });
    }
    KeyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
    UploadIdMarker = page.IsTruncated ? page.NextUploadIdMarker : undefined;
  } while (KeyMarker);
  return found.sort((a, b) => (b.ageSeconds ?? 0) - (a.ageSeconds ?? 0));
}

async function partsOf(
  s3: S3Client,
  bucket: string,
  key: string,
  uploadId: string,
): Promise<{ parts: number; bytes: number } | undefined> {
  let parts = 0;
  let bytes = 0;
  let PartNumberMarker: string | undefined;
  try {
    do {
      const page = await s3.send(
        new ListPartsCommand({ Bucket: bucket, Key: key, UploadId: uploadId, PartNumberMarker }),
      );
      for (const part of page.Parts ?? []) {
        parts++;
        bytes += part.Size ?? 0;
      }
      PartNumberMarker = page.IsTruncated ? page.NextPartNumberMarker : undefined;
    } while (PartNumberMarker);
  } catch (error) {
    if (awsErrorCode(error) === 'NoSuchUpload') return undefined;
    throw error;
  }
  return { parts, bytes };
}

/** The command that aborts one upload by hand. */
export function abortCommandFor(upload: IncompleteUpload): string {
  return `aws s3api abort-multipart-upload --bucket ${upload.bucket} --key '${upload.key}' --upload-id '${upload.uploadId}'`;
}
