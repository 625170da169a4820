import { DynamoDBClient, ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { DynamoDbStatusStore } from '../../../core/status/dynamodb-status-store';
import {
  DEFAULT_STATUS_TTL_DAYS,
  STATUS_TABLE_PARTITION_KEY,
  STATUS_TABLE_TTL_ATTRIBUTE,
} from '../../../core/status/status-table';
import { StatusConflictError, StatusNotFoundError } from '../../../core/status/upload-status';
import { conditionalCheckFailed, installFakeStatusTable } from './fake-status-table';
import { describeStatusStoreContract, pendingRecord, UPDATED_AT } from './status-store-contract';

const TABLE = 'stowage-dev-status';
const ddbMock = mockClient(DynamoDBDocumentClient);
const client = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' }));
const now = () => new Date(UPDATED_AT);
const nowSeconds = Date.parse(UPDATED_AT) / 1000;

function kmsAccessDenied(): Error {
  const error = new Error('User is not authorized to perform: kms:Decrypt');
  error.name = 'KMSAccessDeniedException';
  return error;
}

function throttled(): ProvisionedThroughputExceededException {
  return new ProvisionedThroughputExceededException({ message: 'Rate exceeded', $metadata: {} });
}

beforeEach(() => {
  ddbMock.reset();
});

describe('DynamoDbStatusStore against a fake table', () => {
  beforeEach(() => {
    installFakeStatusTable(ddbMock, TABLE);
  });

  describeStatusStoreContract(
    'DynamoDbStatusStore',
    () => new DynamoDbStatusStore({ client, tableName: TABLE, now }),
  );
});

describe('DynamoDbStatusStore requests', () => {
  const store = new DynamoDbStatusStore({ client, tableName: TABLE, now });

  it('the table contract: partition key uploadId, TTL attribute expiresAt, 400 days by default', () => {
    // Assert
    expect(STATUS_TABLE_PARTITION_KEY).toBe('uploadId');
    expect(STATUS_TABLE_TTL_ATTRIBUTE).toBe('expiresAt');
    expect(DEFAULT_STATUS_TTL_DAYS).toBe(400);
  });

  it('creates with attribute_not_exists and an expiresAt TTL in epoch seconds', async () => {
    // Arrange
    ddbMock.on(PutCommand).resolves({});

    // Act
    await store.create({ ...pendingRecord(), reason: undefined });

    // Assert
    expect(ddbMock.commandCalls(PutCommand)[0]?.args[0].input).toEqual({
      TableName: TABLE,
      Item: { ...pendingRecord(), expiresAt: nowSeconds + 400 * 86_400 },
      ConditionExpression: 'attribute_not_exists(#id)',
      ExpressionAttributeNames: { '#id': 'uploadId' },
    });
  });

  it('takes the TTL from the ttlDays option', async () => {
    // Arrange
    ddbMock.on(PutCommand).resolves({});
    const shortLived = new DynamoDbStatusStore({ client, tableName: TABLE, now, ttlDays: 7 });

    // Act
    await shortLived.create(pendingRecord());

    // Assert
    expect(ddbMock.commandCalls(PutCommand)[0]?.args[0].input.Item?.expiresAt).toBe(nowSeconds + 7 * 86_400);
  });

  it.each([0, -1, 1.5])('refuses ttlDays %p', (ttlDays) => {
    // Act / Assert
    expect(() => new DynamoDbStatusStore({ client, tableName: TABLE, ttlDays })).toThrow(/ttlDays/);
  });

  it('maps a failed create condition to StatusConflictError', async () => {
    // Arrange
    ddbMock.on(PutCommand).rejects(conditionalCheckFailed());

    // Act / Assert
    await expect(store.create(pendingRecord())).rejects.toBeInstanceOf(StatusConflictError);
  });

  it.each([
    ['KMS access denied', kmsAccessDenied],
    ['throttling', throttled],
  ])('lets %s on create propagate as it is', async (_name, makeError) => {
    // Arrange
    const error = makeError();
    ddbMock.on(PutCommand).rejects(error);

    // Act / Assert
    await expect(store.create(pendingRecord())).rejects.toBe(error);
  });

  it('reads strongly consistently and drops the TTL attribute', async () => {
    // Arrange
    ddbMock.on(GetCommand).resolves({ Item: { ...pendingRecord(), expiresAt: 1, unknownAttribute: 'x' } });

    // Act
    const record = await store.get(pendingRecord().uploadId);

    // Assert
    expect(record).toEqual(pendingRecord());
    expect(ddbMock.commandCalls(GetCommand)[0]?.args[0].input).toEqual({
      TableName: TABLE,
      Key: { uploadId: pendingRecord().uploadId },
      ConsistentRead: true,
    });
  });

  it('lets a failed read propagate', async () => {
    // Arrange
    const error = kmsAccessDenied();
    ddbMock.on(GetCommand).rejects(error);

    // Act / Assert
    await expect(store.get('x')).rejects.toBe(error);
  });

  it('updates with SET, attribute_exists and the expected statuses, returning ALL_NEW', async () => {
    // Arrange
    ddbMock
      .on(UpdateCommand)
      .resolves({ Attributes: { ...pendingRecord({ status: 'scanning' }), expiresAt: 1 } });

    // Act
    const record = await store.update('id-1', { status: 'scanning', reason: undefined }, [
      'pending',
      'error',
    ]);

    // Assert
    expect(record).toEqual(pendingRecord({ status: 'scanning' }));
    expect(ddbMock.commandCalls(UpdateCommand)[0]?.args[0].input).toEqual({
      TableName: TABLE,
      Key: { uploadId: 'id-1' },
      UpdateExpression: 'SET #updatedAt = :updatedAt, #status = :status',
      ConditionExpression: 'attribute_exists(#id) AND #status IN (:expected0, :expected1)',
      ExpressionAttributeNames: { '#id': 'uploadId', '#updatedAt': 'updatedAt', '#status': 'status' },
      ExpressionAttributeValues: {
        ':updatedAt': UPDATED_AT,
        ':status': 'scanning',
        ':expected0': 'pending',
        ':expected1': 'error',
      },
      ReturnValues: 'ALL_NEW',
    });
  });

  it('maps a failed update condition without expected statuses to StatusNotFoundError, reading nothing', async () => {
    // Arrange
    ddbMock.on(UpdateCommand).rejects(conditionalCheckFailed());

    // Act / Assert
    await expect(store.update('id-1', { status: 'scanning' })).rejects.toBeInstanceOf(StatusNotFoundError);
    expect(ddbMock.commandCalls(GetCommand)).toHaveLength(0);
  });

  it('maps a failed expected-status condition on a missing record to StatusNotFoundError', async () => {
    // Arrange
    ddbMock.on(UpdateCommand).rejects(conditionalCheckFailed());
    ddbMock.on(GetCommand).resolves({});

    // Act / Assert
    await expect(store.update('id-1', { status: 'scanning' }, ['pending'])).rejects.toBeInstanceOf(
      StatusNotFoundError,
    );
  });

  it('resolves to the current record when its status is not expected', async () => {
    // Arrange
    const current = pendingRecord({ status: 'quarantined' });
    ddbMock.on(UpdateCommand).rejects(conditionalCheckFailed());
    ddbMock.on(GetCommand).resolves({ Item: { ...current, expiresAt: 1 } });

    // Act
    const result = await store.update(current.uploadId, { status: 'scanning' }, ['pending']);

    // Assert
    expect(result).toEqual(current);
    expect(ddbMock.commandCalls(UpdateCommand)).toHaveLength(1);
  });

  it('retries when a concurrent step moved the record into an expected status meanwhile', async () => {
    // Arrange
    ddbMock
      .on(UpdateCommand)
      .rejectsOnce(conditionalCheckFailed())
      .resolves({ Attributes: pendingRecord({ status: 'processed' }) });
    ddbMock.on(GetCommand).resolves({ Item: pendingRecord({ status: 'scanning' }) });

    // Act
    const result = await store.update(pendingRecord().uploadId, { status: 'processed' }, ['scanning']);

    // Assert
    expect(result.status).toBe('processed');
    expect(ddbMock.commandCalls(UpdateCommand)).toHaveLength(2);
  });

  it('stops retrying after maxUpdateAttempts and resolves to the current record', async () => {
    // Arrange
    const current = pendingRecord({ status: 'scanning' });
    ddbMock.on(UpdateCommand).rejects(conditionalCheckFailed());
    ddbMock.on(GetCommand).resolves({ Item: current });
    const impatient = new DynamoDbStatusStore({ client, tableName: TABLE, now, maxUpdateAttempts: 2 });

    // Act
    const result = await impatient.update(current.uploadId, { status: 'processed' }, ['scanning']);

    // Assert
    expect(result).toEqual(current);
    expect(ddbMock.commandCalls(UpdateCommand)).toHaveLength(2);
  });

  it.each([
    ['KMS access denied', kmsAccessDenied],
    ['throttling', throttled],
  ])('lets %s on update propagate as it is', async (_name, makeError) => {
    // Arrange
    const error = makeError();
    ddbMock.on(UpdateCommand).rejects(error);

    // Act / Assert
    await expect(store.update('id-1', { status: 'scanning' }, ['pending'])).rejects.toBe(error);
    expect(ddbMock.commandCalls(GetCommand)).toHaveLength(0);
  });

  it('never sends IN () for an empty expected-status list', async () => {
    // Arrange
    ddbMock.on(GetCommand).resolves({ Item: pendingRecord() });

    // Act
    const result = await store.update(pendingRecord().uploadId, { status: 'scanning' }, []);

    // Assert
    expect(result).toEqual(pendingRecord());
    expect(ddbMock.commandCalls(UpdateCommand)).toHaveLength(0);
  });
});
