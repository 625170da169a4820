import { randomUUID } from 'node:crypto';

import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';

import { UPLOADS_PREFIX } from '../../core/contracts/upload-key';

/**
 * Sends an RGW-style object-created notification for every object under `uploads/` (the pipeline removes an
 * upload from the bucket once it is processed or quarantined, so whatever is there was not finished) and returns
 * how many. The pipeline is idempotent: an upload already handled is recognised and completed, never doubled.
 */
export async function requeueLeftoverUploads(
  s3: S3Client,
  bucket: string,
  send: (body: string) => unknown,
): Promise<number> {
  let count = 0;
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: UPLOADS_PREFIX, ContinuationToken: token }),
    );
    for (const object of page.Contents ?? []) {
      if (!object.Key) continue;
      send(
        JSON.stringify({
          Records: [
            {
              eventVersion: '2.2',
              eventSource: 'ceph:s3',
              eventName: 'ObjectCreated:Put',
              eventTime: (object.LastModified ?? new Date()).toISOString(),
              s3: {
                s3SchemaVersion: '1.0',
                configurationId: 'stowage-local-requeue',
                bucket: { name: bucket },
                object: {
                  key: object.Key,
                  ...(object.Size === undefined ? {} : { size: object.Size }),
                  ...(object.ETag ? { eTag: object.ETag.replace(/"/g, '') } : {}),
                  versionId: '',
                },
              },
              requestId: randomUUID(),
            },
          ],
        }),
      );
      count += 1;
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return count;
}
