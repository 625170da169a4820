import type * as LibDynamoDb from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import type { AwsClientStub } from 'aws-sdk-client-mock';
import type { handler } from '../../../lambda/intake-api/index';
import { HANDLER_ENV } from '../../../core/contracts/handler-env';
import { httpApiEvent } from './api-gateway-events';
import { BUCKET, KEY_ARN, PROCESSED_BUCKET } from './intake-fixtures';

type Handler = typeof handler;

interface ColdStart {
  readonly handler: Handler;
  /** The module registry's lib-dynamodb: its commands are the ones the handler sends. */
  readonly ddb: typeof LibDynamoDb;
  readonly ddbMock: AwsClientStub<LibDynamoDb.DynamoDBDocumentClient>;
}
const CONTEXT = { awsRequestId: 'lambda-req', functionName: 'intake-api' } as Context;
const ENV = {
  [HANDLER_ENV.UPLOADS_BUCKET]: BUCKET,
  [HANDLER_ENV.UPLOADS_KEY_ARN]: KEY_ARN,
  [HANDLER_ENV.STATUS_TABLE]: 'stowage-dev-status',
  [HANDLER_ENV.MAX_UPLOAD_BYTES]: '1000',
  [HANDLER_ENV.ALLOWED_CONTENT_TYPES]: 'application/pdf',
  [HANDLER_ENV.PRESIGN_EXPIRY_SECONDS]: '600',
  [HANDLER_ENV.PROCESSED_BUCKET]: PROCESSED_BUCKET,
  [HANDLER_ENV.DOWNLOAD_EXPIRY_SECONDS]: '300',
  [HANDLER_ENV.ENV_NAME]: 'dev',
  AWS_REGION: 'eu-west-1',
  AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
  AWS_SECRET_ACCESS_KEY: 'secret',
  POWERTOOLS_LOG_LEVEL: 'SILENT',
};

const savedEnv = process.env;

/**
 * Loads the handler module afresh (a cold start) with `env` as process.env, and mocks the DynamoDB document
 * client of that same module registry (`mockClient` per file, on the class the handler actually uses).
 */
async function coldStart(env: Record<string, string | undefined>): Promise<ColdStart> {
  process.env = { ...savedEnv, ...env };
  let loaded: ColdStart | undefined;
  await jest.isolateModulesAsync(async () => {
    const ddb = await import('@aws-sdk/lib-dynamodb');
    const { mockClient } = await import('aws-sdk-client-mock');
    const ddbMock = mockClient(ddb.DynamoDBDocumentClient);
    ddbMock.reset();
    const { handler } = await import('../../../lambda/intake-api/index');
    loaded = { handler, ddb, ddbMock };
  });
  return loaded as ColdStart;
}

function parse(result: APIGatewayProxyStructuredResultV2): Record<string, unknown> {
  return JSON.parse(result.body ?? '') as Record<string, unknown>;
}

afterEach(() => {
  process.env = savedEnv;
});

describe('intake API handler', () => {
  it('fails at cold start naming a missing variable', async () => {
    // Act / Assert
    await expect(coldStart({ ...ENV, [HANDLER_ENV.STATUS_TABLE]: undefined })).rejects.toThrow(
      `${HANDLER_ENV.STATUS_TABLE} is not set`,
    );
  });

  it('presigns an upload and writes its record to the status table', async () => {
    // Arrange
    const { handler, ddb, ddbMock } = await coldStart(ENV);
    ddbMock.on(ddb.PutCommand).resolves({});
    const body = JSON.stringify({ fileName: 'a.pdf', contentType: 'application/pdf', size: 10 });

    // Act
    const result = await handler(httpApiEvent({ method: 'POST', body }), CONTEXT);

    // Assert
    expect(result.statusCode).toBe(201);
    expect(parse(result)).toMatchObject({
      expiresIn: 600,
      url: `https://${BUCKET}.s3.eu-west-1.amazonaws.com/`,
    });
    const put = ddbMock.commandCalls(ddb.PutCommand)[0]?.args[0].input;
    expect(put).toMatchObject({
      TableName: 'stowage-dev-status',
      Item: { owner: 'user-1', status: 'pending', fileName: 'a.pdf', declaredSize: 10 },
    });
  });

  it('answers 500 without a URL when the table write fails', async () => {
    // Arrange
    const { handler, ddb, ddbMock } = await coldStart(ENV);
    ddbMock.on(ddb.PutCommand).rejects(new Error('ThrottlingException'));
    const body = JSON.stringify({ fileName: 'a.pdf', contentType: 'application/pdf', size: 10 });

    // Act
    const result = await handler(httpApiEvent({ method: 'POST', body }), CONTEXT);

    // Assert
    expect(result.statusCode).toBe(500);
    expect(parse(result)).toEqual({ error: 'internal_error', requestId: 'Ab1cDefGhIjKlM=' });
  });

  it('reads the status of an upload for its owner only', async () => {
    // Arrange
    const uploadId = '0b8e4c5e-2a61-4f3b-9d7e-1c2b3a4d5e6f';
    const { handler, ddb, ddbMock } = await coldStart(ENV);
    ddbMock.on(ddb.GetCommand).resolves({
      Item: {
        uploadId,
        owner: 'user-1',
        status: 'scanning',
        fileName: 'a.pdf',
        contentType: 'application/pdf',
        declaredSize: 10,
        uploadKey: 'k',
        createdAt: 'c',
        updatedAt: 'u',
        expiresAt: 1,
      },
    });

    // Act
    const owner = await handler(httpApiEvent({ rawPath: `/uploads/${uploadId}` }), CONTEXT);
    const other = await handler(
      httpApiEvent({ rawPath: `/uploads/${uploadId}`, claims: { sub: 'user-2' } }),
      CONTEXT,
    );

    // Assert
    expect(owner.statusCode).toBe(200);
    expect(parse(owner)).toMatchObject({ uploadId, status: 'scanning' });
    expect(other.statusCode).toBe(404);
  });

  it('answers 401 when the JWT has no sub', async () => {
    // Arrange
    const { handler, ddbMock } = await coldStart(ENV);

    // Act
    const result = await handler(httpApiEvent({ claims: { email: 'a@b' } }), CONTEXT);

    // Assert
    expect(result.statusCode).toBe(401);
    expect(ddbMock.calls()).toHaveLength(0);
  });
});
