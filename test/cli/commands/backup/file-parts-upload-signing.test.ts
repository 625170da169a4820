import { createHash, randomBytes } from 'crypto';
import { mkdtempSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { S3Client } from '@aws-sdk/client-s3';
import { measureFileParts, uploadFileParts } from '../../../../cli/commands/backup/file-parts-upload';

// No aws-sdk-client-mock here: it would replace send() on every S3Client, and this test needs the real SDK
// middleware stack (build, signing) up to the point where the request would leave.
const MiB = 1024 * 1024;
const PART = 5 * MiB;
const params = { Bucket: 'b', Key: 'backups/files/20261123/files_20261123_040000.bin' };
const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

describe('uploadFileParts through the real SDK signer', () => {
  it('signs each part with the SHA-256 of exactly the bytes sent (x-amz-content-sha256)', async () => {
    // Arrange: a real client whose HTTP handler records the request instead of sending it.
    const bytes = randomBytes(PART + 1);
    const path = join(mkdtempSync(join(tmpdir(), 'stowage-file-parts-signing-')), 'signed.bin');
    writeFileSync(path, bytes);
    const plan = await measureFileParts(path, PART);
    const seen: { part: number; header: string; body: string }[] = [];
    const client = new S3Client({
      region: 'us-east-1',
      endpoint: 'http://127.0.0.1:9',
      forcePathStyle: true,
      credentials: { accessKeyId: 'a', secretAccessKey: 's' },
      requestChecksumCalculation: 'WHEN_REQUIRED',
    });
    client.middlewareStack.add(
      () => async (args) => {
        const request = args.request as { query: Record<string, string>; headers: Record<string, string> };
        const part = request.query.partNumber;
        if (part !== undefined) {
          seen.push({
            part: Number(part),
            header: request.headers['x-amz-content-sha256']!,
            body: sha256((request as unknown as { body: Uint8Array }).body),
          });
          expect(request.headers.authorization).toContain('x-amz-content-sha256');
          return { output: { ETag: `"e${part}"`, $metadata: {} }, response: {} };
        }
        const output = 'uploads' in request.query ? { UploadId: 'u1' } : {};
        return { output: { ...output, $metadata: {} }, response: {} };
      },
      { step: 'finalizeRequest', priority: 'low', name: 'recordInsteadOfSend' },
    );
    // Act
    await uploadFileParts({ s3: client, params, plan, concurrency: 2 });
    // Assert
    expect(seen.sort((a, b) => a.part - b.part)).toEqual([
      { part: 1, header: plan.partSha256[0], body: plan.partSha256[0] },
      { part: 2, header: plan.partSha256[1], body: plan.partSha256[1] },
    ]);
    client.destroy();
  });
});
