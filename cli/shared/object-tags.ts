import { GetObjectTaggingCommand, type S3Client } from '@aws-sdk/client-s3';
import { inContext } from './failures';
import { isServiceError } from '../../core/aws/aws-errors';
import { errorCode } from './service-error';

/** The tags of one object version; `undefined` when the object is gone since it was listed (moved, deleted). */
export async function readObjectTags(
  s3: S3Client,
  bucket: string,
  key: string,
  versionId?: string,
): Promise<Readonly<Record<string, string>> | undefined> {
  const version = versionId && versionId !== 'null' ? versionId : undefined;
  return inContext(`reading the tags of s3://${bucket}/${key}`, async () => {
    try {
      const out = await s3.send(
        new GetObjectTaggingCommand({ Bucket: bucket, Key: key, VersionId: version }),
      );
      return Object.fromEntries((out.TagSet ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));
    } catch (error) {
      if (isServiceError(error) && ['NoSuchKey', 'NoSuchVersion'].includes(errorCode(error)))
        return undefined;
      throw error;
    }
  });
}
