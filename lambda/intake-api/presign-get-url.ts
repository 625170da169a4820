import { GetObjectCommand, type GetObjectCommandInput, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';

/**
 * A presigned GET URL of one object (SigV4 query signing with the S3 client's credentials, UNSIGNED-PAYLOAD), made
 * by the SDK's own presigner: the command goes through the client's middleware (endpoint, path or virtual-host
 * style, `VersionId` and the `Response*` overrides) and is signed, not sent.
 */
export function presignGetObjectUrl(
  s3: S3Client,
  input: GetObjectCommandInput,
  expiresInSeconds: number,
): Promise<string> {
  return getSignedUrl(s3, new GetObjectCommand(input), { expiresIn: expiresInSeconds });
}
