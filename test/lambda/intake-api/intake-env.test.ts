import { parseIntakeEnv } from '../../../lambda/intake-api/intake-env';
import { HANDLER_ENV } from '../../../core/contracts/handler-env';
import { BUCKET, KEY_ARN, PROCESSED_BUCKET } from './intake-fixtures';

const VALID_ENV = {
  [HANDLER_ENV.UPLOADS_BUCKET]: BUCKET,
  [HANDLER_ENV.UPLOADS_KEY_ARN]: KEY_ARN,
  [HANDLER_ENV.STATUS_TABLE]: 'stowage-dev-status',
  [HANDLER_ENV.MAX_UPLOAD_BYTES]: '104857600',
  [HANDLER_ENV.ALLOWED_CONTENT_TYPES]: 'audio/webm, application/pdf',
  [HANDLER_ENV.PRESIGN_EXPIRY_SECONDS]: '900',
  [HANDLER_ENV.PROCESSED_BUCKET]: PROCESSED_BUCKET,
  [HANDLER_ENV.DOWNLOAD_EXPIRY_SECONDS]: '300',
  [HANDLER_ENV.STATUS_RETENTION_DAYS]: '400',
  [HANDLER_ENV.ENV_NAME]: 'dev',
};

describe('parseIntakeEnv', () => {
  it('turns a valid environment into the core config', () => {
    // Act
    const env = parseIntakeEnv(VALID_ENV);

    // Assert
    expect(env).toEqual({
      config: {
        uploadsBucket: BUCKET,
        uploadsKeyId: KEY_ARN,
        maxUploadBytes: 104_857_600,
        allowedContentTypes: ['audio/webm', 'application/pdf'],
        presignExpirySeconds: 900,
        processedBucket: PROCESSED_BUCKET,
        downloadExpirySeconds: 300,
      },
      statusTable: 'stowage-dev-status',
      statusRetentionDays: 400,
      envName: 'dev',
    });
  });

  it("leaves status retention to the store's default when unset", () => {
    const env: Record<string, string | undefined> = {
      ...VALID_ENV,
      [HANDLER_ENV.STATUS_RETENTION_DAYS]: undefined,
    };
    expect(parseIntakeEnv(env).statusRetentionDays).toBeUndefined();
  });

  it('does without the environment name', () => {
    // Arrange
    const env: Record<string, string | undefined> = { ...VALID_ENV };
    delete env[HANDLER_ENV.ENV_NAME];

    // Act / Assert
    expect(parseIntakeEnv(env).envName).toBeUndefined();
  });

  it.each([
    HANDLER_ENV.UPLOADS_BUCKET,
    HANDLER_ENV.UPLOADS_KEY_ARN,
    HANDLER_ENV.STATUS_TABLE,
    HANDLER_ENV.MAX_UPLOAD_BYTES,
    HANDLER_ENV.ALLOWED_CONTENT_TYPES,
    HANDLER_ENV.PRESIGN_EXPIRY_SECONDS,
  ])('names %s when it is not set', (name) => {
    // Arrange
    const env: Record<string, string | undefined> = { ...VALID_ENV, [name]: undefined };

    // Act / Assert
    expect(() => parseIntakeEnv(env)).toThrow(`Invalid intake API environment: ${name} is not set`);
  });

  it.each([
    [HANDLER_ENV.UPLOADS_BUCKET, 'Not_A_Bucket', 'must be an S3 bucket name'],
    [HANDLER_ENV.UPLOADS_KEY_ARN, 'alias/stowage/dev/uploads', 'must be a KMS key ARN'],
    [HANDLER_ENV.STATUS_TABLE, 'a b', 'must be a DynamoDB table name'],
    [HANDLER_ENV.MAX_UPLOAD_BYTES, '0', 'must be a whole number between 1 and 5368709120'],
    [HANDLER_ENV.MAX_UPLOAD_BYTES, '10MB', 'must be a whole number between 1 and 5368709120'],
    [HANDLER_ENV.MAX_UPLOAD_BYTES, '5368709121', 'must be a whole number between 1 and 5368709120'],
    [HANDLER_ENV.PRESIGN_EXPIRY_SECONDS, '59', 'must be a whole number between 60 and 900'],
    [HANDLER_ENV.PRESIGN_EXPIRY_SECONDS, '3600', 'must be a whole number between 60 and 900'],
    [HANDLER_ENV.STATUS_RETENTION_DAYS, '0', 'must be a whole number between 1 and 36500'],
    [
      HANDLER_ENV.ALLOWED_CONTENT_TYPES,
      'audio/webm,Audio/MPEG',
      "'Audio/MPEG' is not a lower-case MIME type",
    ],
    [HANDLER_ENV.ALLOWED_CONTENT_TYPES, 'audio/webm,', "'' is not a lower-case MIME type"],
    [
      HANDLER_ENV.ALLOWED_CONTENT_TYPES,
      'text/html',
      "'text/html' has no key extension and cannot be accepted",
    ],
  ])('names %s=%j and the rule it breaks', (name, value, rule) => {
    // Act / Assert
    expect(() => parseIntakeEnv({ ...VALID_ENV, [name]: value })).toThrow(`${name} ${rule}`);
  });

  it('names every problem in one error', () => {
    // Act / Assert
    expect(() =>
      parseIntakeEnv({
        ...VALID_ENV,
        [HANDLER_ENV.UPLOADS_BUCKET]: undefined,
        [HANDLER_ENV.MAX_UPLOAD_BYTES]: 'x',
      }),
    ).toThrow(
      `Invalid intake API environment: ${HANDLER_ENV.UPLOADS_BUCKET} is not set; ` +
        `${HANDLER_ENV.MAX_UPLOAD_BYTES} must be a whole number between 1 and 5368709120`,
    );
  });
});

describe('parseIntakeEnv: the download settings', () => {
  it.each(['59', '3601', '5m', ''])('refuses a download URL lifetime of %j seconds', (value) => {
    expect(() => parseIntakeEnv({ ...VALID_ENV, [HANDLER_ENV.DOWNLOAD_EXPIRY_SECONDS]: value })).toThrow(
      `${HANDLER_ENV.DOWNLOAD_EXPIRY_SECONDS} must be a whole number between 60 and 3600`,
    );
  });

  it('names the processed bucket when it is not set', () => {
    expect(() => parseIntakeEnv({ ...VALID_ENV, [HANDLER_ENV.PROCESSED_BUCKET]: undefined })).toThrow(
      `${HANDLER_ENV.PROCESSED_BUCKET} is not set`,
    );
  });
});
