import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AwsClientStub } from 'aws-sdk-client-mock';

type Item = Record<string, unknown>;
type Names = Record<string, string> | undefined;
type Values = Record<string, unknown> | undefined;

export function conditionalCheckFailed(): ConditionalCheckFailedException {
  return new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });
}

/** Fails the test when a value DynamoDB's marshaller would refuse (undefined, without removeUndefinedValues). */
function assertNoUndefined(value: unknown, path: string): void {
  if (value === undefined) throw new Error(`undefined value at ${path}`);
  if (value !== null && typeof value === 'object') {
    for (const [key, field] of Object.entries(value)) assertNoUndefined(field, `${path}.${key}`);
  }
}

function attributeName(token: string, names: Names): string {
  const name = names?.[token];
  if (!name) throw new Error(`unknown attribute name placeholder ${token}`);
  return name;
}

function attributeValue(token: string, values: Values): unknown {
  if (!values || !(token in values)) throw new Error(`unknown attribute value placeholder ${token}`);
  return values[token];
}

/** Evaluates the subset of condition expressions the store uses; anything else fails the test. */
function conditionHolds(expression: string, item: Item | undefined, names: Names, values: Values): boolean {
  return expression.split(' AND ').every((term) => {
    const unsetOrEqual = /^\(attribute_not_exists\((#\w+)\) OR (#\w+) = (:\w+)\)$/.exec(term.trim());
    if (unsetOrEqual && unsetOrEqual[1] === unsetOrEqual[2]) {
      const actual = item?.[attributeName(unsetOrEqual[1] ?? '', names)];
      return actual === undefined || actual === attributeValue(unsetOrEqual[3] ?? '', values);
    }
    const exists = /^attribute_(not_)?exists\((#\w+)\)$/.exec(term.trim());
    if (exists) {
      const present = item !== undefined && item[attributeName(exists[2] ?? '', names)] !== undefined;
      return exists[1] ? !present : present;
    }
    const inList = /^(#\w+) IN \(([^)]*)\)$/.exec(term.trim());
    if (inList) {
      const actual = item?.[attributeName(inList[1] ?? '', names)];
      return (inList[2] ?? '').split(',').some((token) => attributeValue(token.trim(), values) === actual);
    }
    throw new Error(`condition not understood by the fake table: ${term}`);
  });
}

/**
 * A small in-memory DynamoDB table behind a mocked DynamoDBDocumentClient: Put, Get and Update (`SET`, then optionally `REMOVE`) with
 * the condition expressions DynamoDbStatusStore writes, and Query of the owner index (newest first, `Limit` counting
 * items read before the filter, `LastEvaluatedKey` whenever `Limit` stopped the read, as DynamoDB does). Lets the shared StatusStore contract run against the
 * DynamoDB store's real requests.
 */
export function installFakeStatusTable(
  ddb: AwsClientStub<DynamoDBDocumentClient>,
  tableName: string,
): Map<string, Item> {
  const items = new Map<string, Item>();
  ddb.on(PutCommand).callsFake((input: PutCommand['input']) => {
    if (input.TableName !== tableName) throw new Error(`wrong table ${input.TableName}`);
    assertNoUndefined(input.Item, 'Item');
    const item = structuredClone(input.Item ?? {});
    const key = String(item.uploadId);
    const condition = input.ConditionExpression;
    if (condition && !conditionHolds(condition, items.get(key), input.ExpressionAttributeNames, undefined)) {
      throw conditionalCheckFailed();
    }
    items.set(key, item);
    return {};
  });
  ddb.on(GetCommand).callsFake((input: GetCommand['input']) => {
    const item = items.get(String(input.Key?.uploadId));
    return item ? { Item: structuredClone(item) } : {};
  });
  ddb.on(UpdateCommand).callsFake((input: UpdateCommand['input']) => {
    assertNoUndefined(input.ExpressionAttributeValues, 'ExpressionAttributeValues');
    const key = String(input.Key?.uploadId);
    const names = input.ExpressionAttributeNames;
    const values = input.ExpressionAttributeValues;
    const current = items.get(key);
    if (input.ConditionExpression && !conditionHolds(input.ConditionExpression, current, names, values)) {
      throw conditionalCheckFailed();
    }
    const next: Item = structuredClone(current ?? { uploadId: key });
    const set = /^SET (.+?)(?: REMOVE (.+))?$/.exec(input.UpdateExpression ?? '');
    if (!set?.[1]) throw new Error(`update expression not understood: ${input.UpdateExpression}`);
    for (const assignment of set[1].split(',')) {
      const [name = '', value = ''] = assignment.split('=').map((part) => part.trim());
      next[attributeName(name, names)] = structuredClone(attributeValue(value, values));
    }
    for (const removed of set[2]?.split(',') ?? []) delete next[attributeName(removed.trim(), names)];
    items.set(key, next);
    return { Attributes: structuredClone(next) };
  });
  ddb.on(QueryCommand).callsFake((input: QueryCommand['input']) => {
    if (input.IndexName !== 'owner-createdAt' || input.KeyConditionExpression !== '#owner = :owner') {
      throw new Error(`query not understood: ${input.IndexName} ${input.KeyConditionExpression}`);
    }
    if (input.ScanIndexForward !== false) throw new Error('the owner index is read newest first');
    const names = input.ExpressionAttributeNames;
    const values = input.ExpressionAttributeValues;
    const owner = values?.[':owner'];
    const order = (a: Item, b: Item) =>
      String(b.createdAt).localeCompare(String(a.createdAt)) ||
      String(b.uploadId).localeCompare(String(a.uploadId));
    let candidates = [...items.values()].filter((item) => item.owner === owner).sort(order);
    const start = input.ExclusiveStartKey;
    if (start) candidates = candidates.filter((item) => order(start, item) < 0);
    const limit = input.Limit ?? candidates.length;
    const evaluated = candidates.slice(0, limit);
    const filter = input.FilterExpression;
    if (filter && filter !== '#status = :status') throw new Error(`filter not understood: ${filter}`);
    const matching = filter
      ? evaluated.filter((item) => item[attributeName('#status', names)] === values?.[':status'])
      : evaluated;
    const last = evaluated[evaluated.length - 1];
    return {
      Items: matching.map((item) => structuredClone(item)),
      ...(evaluated.length === limit && last
        ? { LastEvaluatedKey: { uploadId: last.uploadId, owner: last.owner, createdAt: last.createdAt } }
        : {}),
    };
  });
  return items;
}
