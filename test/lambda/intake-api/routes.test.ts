import { createIntakeApi, MAX_SUBJECT_LENGTH } from '../../../lambda/intake-api/routes';
import { bodyOf, CONFIG, getUpload, postUploads, testDependencies, UPLOAD_ID } from './intake-fixtures';

const VALID = { fileName: 'a.pdf', contentType: 'application/pdf', size: 1 };

describe('createIntakeApi routing', () => {
  it.each([
    ['POST /uploads', postUploads(VALID, { subject: undefined })],
    ['GET /uploads/{id}', { ...getUpload(UPLOAD_ID), subject: undefined }],
    ['an unknown route', { method: 'GET', path: '/nope', requestId: 'r' }],
    ['an empty subject', postUploads(VALID, { subject: '' })],
    ['an over-long subject', postUploads(VALID, { subject: 'a'.repeat(MAX_SUBJECT_LENGTH + 1) })],
  ])('answers 401 to %s without a subject', async (_case, request) => {
    // Arrange
    const deps = testDependencies();
    const api = createIntakeApi(deps);

    // Act
    const response = await api(request);

    // Assert
    expect(response.statusCode).toBe(401);
    expect(bodyOf(response)).toEqual({ error: 'unauthorized' });
    await expect(deps.statusStore.get(UPLOAD_ID)).resolves.toBeUndefined();
  });

  it.each(['/', '/upload', '/uploads/', `/uploads/${UPLOAD_ID}/extra`, '/UPLOADS'])(
    'answers 404 to GET %s',
    async (path) => {
      // Arrange
      const api = createIntakeApi(testDependencies());

      // Act
      const response = await api({ method: 'GET', path, subject: 'u', requestId: 'r' });

      // Assert
      expect(response.statusCode).toBe(404);
      expect(bodyOf(response)).toEqual({ error: 'not_found' });
    },
  );

  it.each([
    ['PATCH', '/uploads', 'GET, POST'],
    ['PUT', '/uploads', 'GET, POST'],
    ['POST', `/uploads/${UPLOAD_ID}/download`, 'GET'],
    ['POST', `/uploads/${UPLOAD_ID}`, 'GET'],
    ['DELETE', `/uploads/${UPLOAD_ID}`, 'GET'],
  ])('answers 405 to %s %s, allowing %s', async (method, path, allowed) => {
    // Arrange
    const api = createIntakeApi(testDependencies());

    // Act
    const response = await api({ method, path, subject: 'u', requestId: 'r' });

    // Assert
    expect(response.statusCode).toBe(405);
    expect(response.headers.allow).toBe(allowed);
    expect(bodyOf(response)).toEqual({ error: 'method_not_allowed' });
  });

  it('answers an unexpected failure with 500, the request id and nothing else', async () => {
    // Arrange
    const deps = testDependencies({
      newUploadId: () => {
        throw new TypeError('secret internal detail at /var/task/index.js:1');
      },
    });
    const api = createIntakeApi(deps);

    // Act
    const response = await api(postUploads(VALID));

    // Assert
    expect(response.statusCode).toBe(500);
    expect(response.body).toBe(JSON.stringify({ error: 'internal_error', requestId: 'req-1' }));
    expect(deps.logger.error).toHaveBeenCalledWith('request failed', {
      requestId: 'req-1',
      error: expect.any(TypeError),
    });
  });

  it('refuses a config allowing a type without a key extension', () => {
    // Arrange
    const config = { ...CONFIG, allowedContentTypes: ['application/pdf', 'text/html'] };

    // Act / Assert
    expect(() => createIntakeApi(testDependencies({ config }))).toThrow(
      'allowed content types without a key extension: text/html',
    );
  });
});
