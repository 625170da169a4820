import { createIntakeApi } from '../../../lambda/intake-api/routes';
import type { RecordedManifest } from '../../../core/status/recorded-manifest';
import type { RecordedVerdict, StatusRecord } from '../../../core/status/upload-status';
import { bodyOf, getUpload, NOW, OWNER, testDependencies, UPLOAD_ID } from './intake-fixtures';

const VERDICT: RecordedVerdict = {
  status: 'CLEAN',
  engine: 'builtin+clamav',
  reason: 'internal engine detail',
  detectedType: 'audio/webm',
  sha256: 'a'.repeat(64),
  size: 1234,
  scannedAt: '2026-03-04T05:07:00.000Z',
};

const MANIFEST: RecordedManifest = {
  sha256: 'a'.repeat(64),
  size: 1234,
  declaredType: 'audio/webm',
  detectedType: 'audio/webm',
  uploadedAt: '2026-03-04T05:06:30.000Z',
  processedAt: '2026-03-04T05:08:00.000Z',
  media: {},
};

const PROCESSED: StatusRecord = {
  uploadId: UPLOAD_ID,
  owner: OWNER,
  status: 'processed',
  fileName: 'voice memo.webm',
  contentType: 'audio/webm',
  declaredSize: 1234,
  uploadKey: `uploads/${OWNER}/2026/03/04/${UPLOAD_ID}.webm`,
  sourceVersionId: 'v1',
  verdict: VERDICT,
  processedKey: `processed/${OWNER}/2026/03/04/${UPLOAD_ID}.webm`,
  manifest: MANIFEST,
  createdAt: NOW.toISOString(),
  updatedAt: '2026-03-04T05:08:00.000Z',
};

async function apiWith(record?: StatusRecord) {
  const deps = testDependencies();
  if (record) await deps.statusStore.create(record);
  return { deps, api: createIntakeApi(deps) };
}

describe('GET /uploads/{uploadId}', () => {
  it("answers 200 with the owner's view", async () => {
    // Arrange
    const { api } = await apiWith(PROCESSED);

    // Act
    const response = await api(getUpload(UPLOAD_ID));

    // Assert
    expect(response.statusCode).toBe(200);
    expect(response.headers['cache-control']).toBe('no-store');
    expect(bodyOf(response)).toEqual({
      uploadId: UPLOAD_ID,
      status: 'processed',
      fileName: 'voice memo.webm',
      contentType: 'audio/webm',
      size: 1234,
      verdict: { status: 'CLEAN', engine: 'builtin+clamav', scannedAt: '2026-03-04T05:07:00.000Z' },
      processedKey: PROCESSED.processedKey,
      manifest: {
        sha256: 'a'.repeat(64),
        size: 1234,
        declaredType: 'audio/webm',
        detectedType: 'audio/webm',
        uploadedAt: '2026-03-04T05:06:30.000Z',
        processedAt: '2026-03-04T05:08:00.000Z',
        media: {},
      },
      createdAt: NOW.toISOString(),
      updatedAt: '2026-03-04T05:08:00.000Z',
    });
  });

  it('shows the reason of an error and the signature of a verdict', async () => {
    // Arrange
    const { api } = await apiWith({
      ...PROCESSED,
      status: 'quarantined',
      reason: 'infected',
      processedKey: undefined,
      manifest: undefined,
      quarantineKey: `quarantine/${UPLOAD_ID}/voice memo.webm`,
      verdict: { ...VERDICT, status: 'INFECTED', signature: 'Eicar-Test-Signature' },
    });

    // Act
    const body = bodyOf(await api(getUpload(UPLOAD_ID)));

    // Assert
    expect(body).toMatchObject({
      status: 'quarantined',
      reason: 'infected',
      verdict: { status: 'INFECTED', signature: 'Eicar-Test-Signature' },
    });
    expect(body).not.toHaveProperty('quarantineKey');
  });

  it('never shows the owner, keys of other buckets, version ids, or hashes before processing', async () => {
    // Arrange
    const { api } = await apiWith({
      ...PROCESSED,
      status: 'scanning',
      processedKey: undefined,
      manifest: undefined,
      quarantineKey: 'quarantine/x',
    });

    // Act
    const response = await api(getUpload(UPLOAD_ID));

    // Assert
    expect(response.body).not.toMatch(/owner|uploadKey|quarantine|sha256|sourceVersionId|v1|internal engine/);
  });

  it('shows only the manifest fields of a processed upload, never what else a record holds', async () => {
    // Arrange
    const { api } = await apiWith({ ...PROCESSED, quarantineKey: 'quarantine/x' });

    // Act
    const body = bodyOf(await api(getUpload(UPLOAD_ID)));

    // Assert
    expect(Object.keys(body.manifest as object).sort()).toEqual([
      'declaredType',
      'detectedType',
      'media',
      'processedAt',
      'sha256',
      'size',
      'uploadedAt',
    ]);
    expect(JSON.stringify(body)).not.toMatch(/owner|uploadKey|quarantine|sourceVersionId|v1|internal engine/);
  });

  it("answers another user's upload with the same 404 as an unknown one", async () => {
    // Arrange
    const { api } = await apiWith(PROCESSED);

    // Act
    const foreign = await api(getUpload(UPLOAD_ID, 'someone-else'));
    const unknown = await api(getUpload('11111111-2222-4333-8444-555555555555'));

    // Assert
    expect(foreign).toEqual(unknown);
    expect(foreign.statusCode).toBe(404);
    expect(bodyOf(foreign)).toEqual({ error: 'not_found' });
  });

  it.each([
    ['not a UUID', 'abc'],
    ['an upper-case UUID', UPLOAD_ID.toUpperCase()],
    ['an encoded path', '..%2F..%2Fx'],
    ['a UUID with a suffix', `${UPLOAD_ID}x`],
  ])('answers %s with 404 without reading the store', async (_case, uploadId) => {
    // Arrange
    const { api, deps } = await apiWith(PROCESSED);
    const get = jest.spyOn(deps.statusStore, 'get');

    // Act
    const response = await api(getUpload(uploadId));

    // Assert
    expect(response.statusCode).toBe(404);
    expect(bodyOf(response)).toEqual({ error: 'not_found' });
    expect(get).not.toHaveBeenCalled();
  });

  it('answers 500 with the request id when the store fails', async () => {
    // Arrange
    const { api, deps } = await apiWith();
    jest
      .spyOn(deps.statusStore, 'get')
      .mockRejectedValue(new Error('ProvisionedThroughputExceededException'));

    // Act
    const response = await api(getUpload(UPLOAD_ID));

    // Assert
    expect(response.statusCode).toBe(500);
    expect(bodyOf(response)).toEqual({ error: 'internal_error', requestId: 'req-2' });
  });
});
