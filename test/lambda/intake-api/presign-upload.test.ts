import { S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { createIntakeApi } from '../../../lambda/intake-api/routes';
import type { StatusRecord } from '../../../core/status/upload-status';
import {
  ACCESS_KEY_ID,
  BUCKET,
  bodyOf,
  decodePolicy,
  expectedPolicySignature,
  KEY_ARN,
  MAX_BYTES,
  NOW,
  OWNER,
  postUploads,
  testDependencies,
  UPLOAD_ID,
} from './intake-fixtures';

const s3Mock = mockClient(S3Client);
const VALID = { fileName: 'voice memo.webm', contentType: 'audio/webm', size: 1234 };
const KEY = `uploads/${OWNER}/2026/03/04/${UPLOAD_ID}.webm`;
const ALLOWED = 'audio/webm, audio/mpeg, application/pdf';
const SIZE_RULE = `must be a whole number of bytes from 1 to ${MAX_BYTES}`;

beforeEach(() => {
  s3Mock.reset();
});

describe('POST /uploads: accepted', () => {
  it('answers 201 with the upload id, key, url, fields and lifetime', async () => {
    // Arrange
    const api = createIntakeApi(testDependencies());

    // Act
    const response = await api(postUploads(VALID));

    // Assert
    expect(response.statusCode).toBe(201);
    expect(response.headers).toMatchObject({
      'content-type': 'application/json; charset=utf-8',
      'cache-control': 'no-store',
      location: `/uploads/${UPLOAD_ID}`,
    });
    expect(bodyOf(response)).toEqual({
      uploadId: UPLOAD_ID,
      key: KEY,
      url: `https://${BUCKET}.s3.eu-west-1.amazonaws.com/`,
      fields: expect.any(Object),
      expiresIn: 900,
    });
  });

  it('sends no request to S3: presigning is local', async () => {
    // Arrange
    const api = createIntakeApi(testDependencies());

    // Act
    await api(postUploads(VALID));

    // Assert
    expect(s3Mock.calls()).toHaveLength(0);
  });

  it('returns the form fields the policy requires', async () => {
    // Arrange
    const api = createIntakeApi(testDependencies());

    // Act
    const { fields } = bodyOf(await api(postUploads(VALID))) as { fields: Record<string, string> };

    // Assert
    expect(fields).toEqual({
      key: KEY,
      bucket: BUCKET,
      'Content-Type': 'audio/webm',
      'x-amz-server-side-encryption': 'aws:kms',
      'x-amz-server-side-encryption-aws-kms-key-id': KEY_ARN,
      'x-amz-meta-upload-id': UPLOAD_ID,
      'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
      'X-Amz-Credential': expect.stringMatching(
        new RegExp(`^${ACCESS_KEY_ID}/\\d{8}/eu-west-1/s3/aws4_request$`),
      ),
      'X-Amz-Date': expect.stringMatching(/^\d{8}T\d{6}Z$/),
      Policy: expect.any(String),
      'X-Amz-Signature': expect.stringMatching(/^[0-9a-f]{64}$/),
    });
  });

  it('signs a policy that pins size, type, encryption, metadata, bucket and key exactly', async () => {
    // Arrange
    const api = createIntakeApi(testDependencies());

    // Act
    const { fields } = bodyOf(await api(postUploads(VALID))) as { fields: Record<string, string> };

    // Assert
    const policy = decodePolicy(fields.Policy ?? '');
    expect(policy.conditions).toHaveLength(10);
    expect(policy.conditions).toEqual(
      expect.arrayContaining([
        ['content-length-range', 1234, 1234],
        { 'Content-Type': 'audio/webm' },
        { 'x-amz-server-side-encryption': 'aws:kms' },
        { 'x-amz-server-side-encryption-aws-kms-key-id': KEY_ARN },
        { 'x-amz-meta-upload-id': UPLOAD_ID },
        { bucket: BUCKET },
        { key: KEY },
        { 'X-Amz-Algorithm': 'AWS4-HMAC-SHA256' },
        { 'X-Amz-Credential': fields['X-Amz-Credential'] },
        { 'X-Amz-Date': fields['X-Amz-Date'] },
      ]),
    );
    expect(JSON.stringify(policy.conditions)).not.toContain('starts-with');
    expect(fields['X-Amz-Signature']).toBe(
      expectedPolicySignature(fields.Policy ?? '', fields['X-Amz-Date'] ?? ''),
    );
  });

  it('lets the policy expire after the configured lifetime', async () => {
    // Arrange
    const api = createIntakeApi(testDependencies());

    // Act
    const { fields } = bodyOf(await api(postUploads(VALID))) as { fields: Record<string, string> };

    // Assert
    const signedAt = (fields['X-Amz-Date'] ?? '').replace(
      /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/,
      '$1-$2-$3T$4:$5:$6Z',
    );
    const expiration = decodePolicy(fields.Policy ?? '').expiration;
    expect((Date.parse(expiration) - Date.parse(signedAt)) / 1000).toBe(900);
  });

  it('records the upload as pending, with the sanitized name and declared size', async () => {
    // Arrange
    const deps = testDependencies();
    const api = createIntakeApi(deps);

    // Act
    await api(postUploads({ ...VALID, fileName: '../../Cafe\u0301\u202E.webm' }));

    // Assert
    await expect(deps.statusStore.get(UPLOAD_ID)).resolves.toEqual<StatusRecord>({
      uploadId: UPLOAD_ID,
      owner: OWNER,
      status: 'pending',
      fileName: 'Caf\u00e9.webm',
      contentType: 'audio/webm',
      declaredSize: 1234,
      uploadKey: KEY,
      createdAt: NOW.toISOString(),
      updatedAt: NOW.toISOString(),
    });
  });

  it('takes the key extension from the content type, never from the file name', async () => {
    // Arrange
    const api = createIntakeApi(testDependencies());

    // Act
    const response = await api(
      postUploads({ fileName: 'evil.exe', contentType: 'application/pdf', size: 10 }),
    );

    // Assert
    expect(bodyOf(response).key).toBe(`uploads/${OWNER}/2026/03/04/${UPLOAD_ID}.pdf`);
  });

  it('makes a subject with | and @ key-safe in the key', async () => {
    // Arrange
    const api = createIntakeApi(testDependencies());

    // Act
    const response = await api(postUploads(VALID, { subject: 'auth0|a@b' }));

    // Assert
    expect(bodyOf(response).key).toBe(`uploads/u.YXV0aDB8YUBi/2026/03/04/${UPLOAD_ID}.webm`);
  });

  it('accepts Content-Type parameters and pins the bare type', async () => {
    // Arrange
    const deps = testDependencies();
    const api = createIntakeApi(deps);

    // Act
    const response = await api(postUploads({ ...VALID, contentType: 'audio/webm;codecs=opus' }));

    // Assert
    const { fields } = bodyOf(response) as { fields: Record<string, string> };
    expect(fields['Content-Type']).toBe('audio/webm');
    expect(decodePolicy(fields.Policy ?? '').conditions).toContainEqual({ 'Content-Type': 'audio/webm' });
    await expect(deps.statusStore.get(UPLOAD_ID)).resolves.toMatchObject({ contentType: 'audio/webm' });
  });

  it('accepts the largest allowed size and ignores unknown fields', async () => {
    // Arrange
    const api = createIntakeApi(testDependencies());

    // Act
    const response = await api(postUploads({ ...VALID, size: MAX_BYTES, lastModified: 1 }));

    // Assert
    expect(response.statusCode).toBe(201);
  });

  it('uses a fresh random UUID per upload by default', async () => {
    // Arrange
    const api = createIntakeApi(testDependencies({ newUploadId: undefined }));

    // Act
    const first = bodyOf(await api(postUploads(VALID))).uploadId;
    const second = bodyOf(await api(postUploads(VALID))).uploadId;

    // Assert
    expect(first).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(second).not.toBe(first);
  });
});

describe('POST /uploads: status record first', () => {
  it('does not answer until the status record is written', async () => {
    // Arrange
    const deps = testDependencies();
    let finishWrite: () => void = () => undefined;
    jest
      .spyOn(deps.statusStore, 'create')
      .mockImplementation(() => new Promise<void>((resolve) => (finishWrite = resolve)));
    const api = createIntakeApi(deps);
    let answered = false;

    // Act
    const pending = api(postUploads(VALID)).then((response) => {
      answered = true;
      return response;
    });
    await new Promise((resolve) => setImmediate(resolve));

    // Assert
    expect(deps.statusStore.create).toHaveBeenCalledTimes(1);
    expect(answered).toBe(false);
    finishWrite();
    expect((await pending).statusCode).toBe(201);
  });

  it('answers 500 without a URL when the status write fails, and logs the cause', async () => {
    // Arrange
    const deps = testDependencies();
    const failure = new Error('AccessDeniedException: kms:GenerateDataKey on arn:aws:kms:...');
    jest.spyOn(deps.statusStore, 'create').mockRejectedValue(failure);
    const api = createIntakeApi(deps);

    // Act
    const response = await api(postUploads(VALID));

    // Assert
    expect(response.statusCode).toBe(500);
    expect(bodyOf(response)).toEqual({ error: 'internal_error', requestId: 'req-1' });
    expect(response.body).not.toMatch(/url|Policy|kms|Signature/i);
    expect(deps.logger.error).toHaveBeenCalledWith('request failed', { requestId: 'req-1', error: failure });
  });
});

describe('POST /uploads: rejected with 400', () => {
  it.each([
    ['no body', undefined, 'body', 'is required: a JSON object with fileName, contentType and size'],
    ['a blank body', '  ', 'body', 'is required: a JSON object with fileName, contentType and size'],
    ['bad JSON', '{"fileName":', 'body', 'must be valid JSON'],
    ['a JSON array', '[]', 'body', 'must be a JSON object'],
    ['JSON null', 'null', 'body', 'must be a JSON object'],
    ['a JSON string', '"x"', 'body', 'must be a JSON object'],
    [
      'a body over 16 KiB',
      JSON.stringify({ ...VALID, pad: 'x'.repeat(16 * 1024) }),
      'body',
      'must be at most 16384 bytes',
    ],
    ['a missing fileName', { contentType: 'audio/webm', size: 1 }, 'fileName', 'is required'],
    ['a numeric fileName', { ...VALID, fileName: 42 }, 'fileName', 'must be a string'],
    ['a null fileName', { ...VALID, fileName: null }, 'fileName', 'must be a string'],
    [
      'an empty fileName',
      { ...VALID, fileName: '' },
      'fileName',
      'must contain a name once path parts, control characters and leading dots are removed',
    ],
    [
      'a fileName empty after sanitizing',
      { ...VALID, fileName: '../..\\.\u202E/' },
      'fileName',
      'must contain a name once path parts, control characters and leading dots are removed',
    ],
    [
      'a fileName over 1024 characters',
      { ...VALID, fileName: 'a'.repeat(1025) },
      'fileName',
      'must be at most 1024 characters',
    ],
    ['a missing contentType', { fileName: 'a.webm', size: 1 }, 'contentType', 'is required'],
    ['a numeric contentType', { ...VALID, contentType: 7 }, 'contentType', 'must be a string'],
    [
      'a type not allowed',
      { ...VALID, contentType: 'text/html' },
      'contentType',
      `must be one of: ${ALLOWED}`,
    ],
    [
      'a type in upper case',
      { ...VALID, contentType: 'AUDIO/WEBM' },
      'contentType',
      `must be one of: ${ALLOWED}`,
    ],
    [
      'an alias of an allowed type',
      { ...VALID, contentType: 'audio/mp3' },
      'contentType',
      `must be one of: ${ALLOWED}`,
    ],
    [
      'malformed parameters',
      { ...VALID, contentType: 'audio/webm; codecs' },
      'contentType',
      `must be one of: ${ALLOWED}`,
    ],
    [
      'an over-long contentType',
      { ...VALID, contentType: 'a'.repeat(256) },
      'contentType',
      'must be at most 255 characters',
    ],
    ['a missing size', { fileName: 'a.webm', contentType: 'audio/webm' }, 'size', 'is required'],
    ['a size as a string', { ...VALID, size: '1234' }, 'size', 'must be a number'],
    ['a size of 0', { ...VALID, size: 0 }, 'size', SIZE_RULE],
    ['a negative size', { ...VALID, size: -1 }, 'size', SIZE_RULE],
    ['a fractional size', { ...VALID, size: 1.5 }, 'size', SIZE_RULE],
    ['a size over the maximum', { ...VALID, size: MAX_BYTES + 1 }, 'size', SIZE_RULE],
    ['several problems (the first field wins)', { fileName: 1, size: 0 }, 'fileName', 'must be a string'],
  ])('%s', async (_case, body, field, message) => {
    // Arrange
    const deps = testDependencies();
    const api = createIntakeApi(deps);
    const request = postUploads(body ?? '');

    // Act
    const response = await api(body === undefined ? { ...request, body: undefined } : request);

    // Assert
    expect(response.statusCode).toBe(400);
    expect(bodyOf(response)).toEqual({ error: 'invalid_request', field, message });
    await expect(deps.statusStore.get(UPLOAD_ID)).resolves.toBeUndefined();
  });
});
