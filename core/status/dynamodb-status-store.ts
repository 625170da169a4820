import { GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import {
  DEFAULT_STATUS_TTL_DAYS,
  STATUS_TABLE_OWNER_INDEX,
  STATUS_TABLE_OWNER_INDEX_PARTITION_KEY,
  STATUS_TABLE_OWNER_INDEX_SORT_KEY,
  STATUS_TABLE_PARTITION_KEY,
  STATUS_TABLE_TTL_ATTRIBUTE,
} from './status-table';
import { removedFields, toStatusRecord, updatableFields, updateApplies } from './status-record-fields';
import { listPositionOf, StatusConflictError, StatusNotFoundError } from './upload-status';
import type {
  OwnerListPage,
  OwnerListQuery,
  StatusRecord,
  StatusStore,
  StatusUpdate,
  UploadStatus,
} from './upload-status';

export interface DynamoDbStatusStoreOptions {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  /** Days a record lives after `create` (the `expiresAt` TTL attribute). Default: DEFAULT_STATUS_TTL_DAYS (400). */
  readonly ttlDays?: number;
  /** Clock for `updatedAt` and the TTL. Default: the system clock. */
  readonly now?: () => Date;
  /**
   * Attempts of a conditional update whose expected status was met again by the time the record was re-read
   * (a concurrent step moved it). Default: 3.
   */
  readonly maxUpdateAttempts?: number;
}

const SECONDS_PER_DAY = 86_400;

/** True for DynamoDB's ConditionalCheckFailedException, however the SDK module that threw it was loaded. */
function isConditionalCheckFailure(error: unknown): boolean {
  return error instanceof Error && error.name === 'ConditionalCheckFailedException';
}

/**
 * The StatusStore on DynamoDB (table layout in status-table.ts). `create` and `update` are single conditional
 * writes, so concurrent pipeline steps can never invent, overwrite or move back a record.
 */
export class DynamoDbStatusStore implements StatusStore {
  private readonly client: DynamoDBDocumentClient;
  private readonly tableName: string;
  private readonly ttlSeconds: number;
  private readonly now: () => Date;
  private readonly maxUpdateAttempts: number;

  constructor(options: DynamoDbStatusStoreOptions) {
    const ttlDays = options.ttlDays ?? DEFAULT_STATUS_TTL_DAYS;
    if (!Number.isInteger(ttlDays) || ttlDays < 1) throw new Error(`ttlDays must be a whole number >= 1`);
    this.client = options.client;
    this.tableName = options.tableName;
    this.ttlSeconds = ttlDays * SECONDS_PER_DAY;
    this.now = options.now ?? (() => new Date());
    this.maxUpdateAttempts = Math.max(1, options.maxUpdateAttempts ?? 3);
  }

  async create(record: StatusRecord): Promise<void> {
    const expiresAt = Math.floor(this.now().getTime() / 1000) + this.ttlSeconds;
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...toStatusRecord({ ...record }),
            [STATUS_TABLE_TTL_ATTRIBUTE]: expiresAt,
          },
          ConditionExpression: 'attribute_not_exists(#id)',
          ExpressionAttributeNames: { '#id': STATUS_TABLE_PARTITION_KEY },
        }),
      );
    } catch (error) {
      if (isConditionalCheckFailure(error)) throw new StatusConflictError(record.uploadId);
      throw error;
    }
  }

  async get(uploadId: string): Promise<StatusRecord | undefined> {
    return this.read(uploadId);
  }

  async update(
    uploadId: string,
    update: StatusUpdate,
    expectedStatus?: readonly UploadStatus[],
    expectedVersionId?: string,
  ): Promise<StatusRecord> {
    // `IN ()` is not valid DynamoDB syntax; an empty list means "apply in no status".
    if (expectedStatus && expectedStatus.length === 0) return this.readExisting(uploadId);
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await this.conditionalUpdate(uploadId, update, expectedStatus, expectedVersionId);
      } catch (error) {
        if (!isConditionalCheckFailure(error)) throw error;
        if (!expectedStatus && expectedVersionId === undefined) throw new StatusNotFoundError(uploadId);
      }
      // The condition failed: the record is missing, in another status, or bound to another version.
      const current = await this.readExisting(uploadId);
      if (!updateApplies(current, expectedStatus, expectedVersionId) || attempt >= this.maxUpdateAttempts) {
        return current;
      }
      // A concurrent step moved the record into an expected status since our write: try again.
    }
  }

  private async conditionalUpdate(
    uploadId: string,
    update: StatusUpdate,
    expectedStatus: readonly UploadStatus[] | undefined,
    expectedVersionId: string | undefined,
  ): Promise<StatusRecord> {
    const names: Record<string, string> = { '#id': STATUS_TABLE_PARTITION_KEY, '#updatedAt': 'updatedAt' };
    const values: Record<string, unknown> = { ':updatedAt': this.now().toISOString() };
    const assignments = ['#updatedAt = :updatedAt'];
    for (const [field, value] of Object.entries(updatableFields(update))) {
      names[`#${field}`] = field;
      values[`:${field}`] = value;
      assignments.push(`#${field} = :${field}`);
    }
    const removals = removedFields(update).map((field) => {
      names[`#${field}`] = field;
      return `#${field}`;
    });
    let condition = 'attribute_exists(#id)';
    if (expectedStatus) {
      names['#status'] = 'status';
      const placeholders = expectedStatus.map((status, index) => {
        values[`:expected${index}`] = status;
        return `:expected${index}`;
      });
      condition += ` AND #status IN (${placeholders.join(', ')})`;
    }
    if (expectedVersionId !== undefined) {
      names['#boundVersion'] = 'sourceVersionId';
      values[':boundVersion'] = expectedVersionId;
      condition += ' AND (attribute_not_exists(#boundVersion) OR #boundVersion = :boundVersion)';
    }
    const output = await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { [STATUS_TABLE_PARTITION_KEY]: uploadId },
        UpdateExpression: `SET ${assignments.join(', ')}${removals.length > 0 ? ` REMOVE ${removals.join(', ')}` : ''}`,
        ConditionExpression: condition,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        ReturnValues: 'ALL_NEW',
      }),
    );
    if (!output.Attributes) throw new Error(`UpdateItem on ${uploadId} returned no attributes`);
    return toStatusRecord(output.Attributes);
  }

  /**
   * Queries STATUS_TABLE_OWNER_INDEX newest first (ScanIndexForward=false). A status filter is applied after the
   * read, so a query page may hold fewer matches than asked: pages are read until `limit` matches or the end.
   * The next position is the last returned record's keys (any item's keys are a valid ExclusiveStartKey).
   * Eventually consistent, as every GSI read is: a record created a moment ago may appear a moment later.
   */
  async listByOwner(owner: string, query: OwnerListQuery): Promise<OwnerListPage> {
    const records: StatusRecord[] = [];
    let start: Record<string, unknown> | undefined = query.after && {
      [STATUS_TABLE_PARTITION_KEY]: query.after.uploadId,
      [STATUS_TABLE_OWNER_INDEX_PARTITION_KEY]: query.after.owner,
      [STATUS_TABLE_OWNER_INDEX_SORT_KEY]: query.after.createdAt,
    };
    const names: Record<string, string> = { '#owner': STATUS_TABLE_OWNER_INDEX_PARTITION_KEY };
    const values: Record<string, unknown> = { ':owner': owner };
    if (query.status) {
      names['#status'] = 'status';
      values[':status'] = query.status;
    }
    let more = true;
    while (records.length < query.limit && more) {
      const output = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: STATUS_TABLE_OWNER_INDEX,
          KeyConditionExpression: '#owner = :owner',
          ...(query.status ? { FilterExpression: '#status = :status' } : {}),
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ScanIndexForward: false,
          Limit: query.limit - records.length,
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      for (const item of output.Items ?? []) records.push(toStatusRecord(item));
      start = output.LastEvaluatedKey;
      more = start !== undefined;
    }
    const last = records[records.length - 1];
    return more && last ? { records, next: listPositionOf(last) } : { records };
  }

  private async readExisting(uploadId: string): Promise<StatusRecord> {
    const record = await this.read(uploadId);
    if (!record) throw new StatusNotFoundError(uploadId);
    return record;
  }

  /**
   * Strongly consistent: an owner polling right after `POST /uploads`, and a step deciding what to do next,
   * must see the latest write, not a replica that may lag by a second.
   */
  private async read(uploadId: string): Promise<StatusRecord | undefined> {
    const output = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { [STATUS_TABLE_PARTITION_KEY]: uploadId },
        ConsistentRead: true,
      }),
    );
    return output.Item ? toStatusRecord(output.Item) : undefined;
  }
}
