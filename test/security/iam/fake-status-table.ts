import type { ClientMocks } from './recorder';

/**
 * An in-memory status table behind the DynamoDB document client mock: Put, Get, Update (SET only, ALL_NEW) and Query
 * of the owner index, what
 * DynamoDbStatusStore sends. Conditions are not evaluated: the contract scenarios run one upload at a time.
 */
export class FakeStatusTable {
  readonly items = new Map<string, Record<string, unknown>>();

  static async install(mocks: ClientMocks): Promise<FakeStatusTable> {
    const table = new FakeStatusTable();
    const documents = await import('@aws-sdk/lib-dynamodb');
    mocks.documents.on(documents.PutCommand).callsFake((input: { Item: Record<string, unknown> }) => {
      table.items.set(String(input.Item.uploadId), { ...input.Item });
      return {};
    });
    mocks.documents.on(documents.GetCommand).callsFake((input: { Key: Record<string, unknown> }) => {
      const item = table.items.get(String(Object.values(input.Key)[0]));
      return item ? { Item: { ...item } } : {};
    });
    mocks.documents
      .on(documents.UpdateCommand)
      .callsFake(
        (input: {
          Key: Record<string, unknown>;
          UpdateExpression: string;
          ExpressionAttributeNames: Record<string, string>;
          ExpressionAttributeValues: Record<string, unknown>;
        }) => {
          const id = String(Object.values(input.Key)[0]);
          const item = { ...(table.items.get(id) ?? { uploadId: id }) };
          for (const assignment of input.UpdateExpression.replace(/^SET /, '').split(', ')) {
            const [name, value] = assignment.split(' = ');
            item[input.ExpressionAttributeNames[name]] = input.ExpressionAttributeValues[value];
          }
          table.items.set(id, item);
          return { Attributes: { ...item } };
        },
      );
    // The owner index, newest first, no paging: what GET /uploads reads.
    mocks.documents
      .on(documents.QueryCommand)
      .callsFake((input: { ExpressionAttributeValues: Record<string, unknown> }) => ({
        Items: [...table.items.values()]
          .filter((item) => item.owner === input.ExpressionAttributeValues[':owner'])
          .sort((a, b) => String(b.createdAt).localeCompare(String(a.createdAt))),
      }));
    return table;
  }
}
