import { createIntakeApi } from '../../../lambda/intake-api/routes';
import type { ApiRequest } from '../../../lambda/intake-api/api-types';
import type { StatusRecord } from '../../../core/status/upload-status';
import {
  ACCESS_KEY_ID,
  bodyOf,
  NOW,
  OWNER,
  PROCESSED_BUCKET,
  testDependencies,
  UPLOAD_ID,
} from './intake-fixtures';

const PROCESSED_KEY = `processed/${OWNER}/2026/03/04/${UPLOAD_ID}.webm`;

const PROCESSED: StatusRecord = {
  uploadId: UPLOAD_ID,
  owner: OWNER,
  status: 'processed',
  fileName: 'Grüße "memo".webm',
  contentType: 'audio/webm',
  declaredSize: 1234,
  uploadKey: `uploads/${OWNER}/2026/03/04/${UPLOAD_ID}.webm`,
  sourceVersionId: 'v1',
  processedKey: PROCESSED_KEY,
  manifest: {
    sha256: 'b'.repeat(64),
    size: 1234,
    declaredType: 'audio/webm',
    detectedType: 'audio/ogg',
    uploadedAt: '2026-03-04T05:06:30.000Z',
    processedAt: '2026-03-04T05:08:00.000Z',
    media: {},
  },
  createdAt: NOW.toISOString(),
  updatedAt: '2026-03-04T05:08:00.000Z',
};

function download(uploadId: string, subject: string = OWNER, method = 'GET'): ApiRequest {
  return { method, path: `/uploads/${uploadId}/download`, subject, requestId: 'req-3' };
}

async function apiWith(record?: StatusRecord) {
  const deps = testDependencies();
  if (record) await deps.statusStore.create(record);
  return createIntakeApi(deps);
}

describe('GET /uploads/{uploadId}/download', () => {
  it('answers 200 with a presigned GET of the processed object, named and typed', async () => {
    // Arrange
    const api = await apiWith(PROCESSED);

    // Act
    const response = await api(download(UPLOAD_ID));

    // Assert
    expect(response.statusCode).toBe(200);
    expect(response.headers['cache-control']).toBe('no-store');
    const body = bodyOf(response);
    expect(body).toEqual({
      uploadId: UPLOAD_ID,
      url: expect.any(String),
      expiresIn: 300,
      expiresAt: new Date(NOW.getTime() + 300_000).toISOString(),
      fileName: PROCESSED.fileName,
      contentType: 'audio/ogg',
      size: 1234,
      sha256: 'b'.repeat(64),
    });
    const url = new URL(body.url as string);
    expect(url.protocol).toBe('https:');
    expect(`${url.hostname}${decodeURIComponent(url.pathname)}`).toMatch(
      new RegExp(
        `^${PROCESSED_BUCKET}\\.s3\\.eu-west-1\\.amazonaws\\.com/${PROCESSED_KEY}$|/${PROCESSED_BUCKET}/`,
      ),
    );
    const query = url.searchParams;
    expect(query.get('X-Amz-Algorithm')).toBe('AWS4-HMAC-SHA256');
    expect(query.get('X-Amz-Credential')).toMatch(
      new RegExp(`^${ACCESS_KEY_ID}/\\d{8}/eu-west-1/s3/aws4_request$`),
    );
    expect(query.get('X-Amz-Expires')).toBe('300');
    expect(query.get('X-Amz-SignedHeaders')).toBe('host');
    // A presigned GET signs no payload: S3 takes UNSIGNED-PAYLOAD whether or not the URL spells it out.
    expect([null, 'UNSIGNED-PAYLOAD']).toContain(query.get('x-amz-content-sha256'));
    expect(query.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
    expect(query.get('response-content-type')).toBe('audio/ogg');
    expect(query.get('response-content-disposition')).toBe(
      `attachment; filename="Gr__e _memo_.webm"; filename*=UTF-8''Gr%C3%BC%C3%9Fe%20%22memo%22.webm`,
    );
    // Nothing but the URL's own parameters, the SDK's operation id and its response-checksum request (which S3
    // answers with checksum headers): no other SDK header hoisted into the query.
    expect(
      [...query.keys()].filter(
        (k) =>
          !k.startsWith('X-Amz-') &&
          !k.startsWith('response-') &&
          k !== 'x-id' &&
          k !== 'x-amz-content-sha256' &&
          k !== 'x-amz-checksum-mode',
      ),
    ).toEqual([]);
  });

  it("answers 404 for another user's upload, exactly as the status route does", async () => {
    const api = await apiWith(PROCESSED);
    const response = await api(download(UPLOAD_ID, 'someone-else'));
    const status = await api({
      method: 'GET',
      path: `/uploads/${UPLOAD_ID}`,
      subject: 'someone-else',
      requestId: 'r',
    });
    expect(response.statusCode).toBe(404);
    expect(response.body).toBe(status.body);
  });

  it.each(['0b8e4c5e-2a61-4f3b-9d7e-000000000000', 'not-an-id', '..%2Fprocessed'])(
    'answers 404 for an unknown or malformed id (%s)',
    async (id) => {
      const api = await apiWith(PROCESSED);
      const response = await api(download(id));
      expect(response.statusCode).toBe(404);
      expect(bodyOf(response)).toEqual({ error: 'not_found' });
    },
  );

  it.each(['pending', 'scanning', 'quarantined', 'error'] as const)(
    'answers 409 with the current status while the upload is %s',
    async (status) => {
      // Arrange
      const api = await apiWith({ ...PROCESSED, status, processedKey: undefined, manifest: undefined });

      // Act
      const response = await api(download(UPLOAD_ID));

      // Assert
      expect(response.statusCode).toBe(409);
      expect(bodyOf(response)).toEqual(expect.objectContaining({ error: 'not_processed', status }));
      expect(response.body).not.toContain('processed/');
    },
  );

  it('allows GET only', async () => {
    const api = await apiWith(PROCESSED);
    const response = await api(download(UPLOAD_ID, OWNER, 'POST'));
    expect(response.statusCode).toBe(405);
    expect(response.headers.allow).toBe('GET');
  });
});
