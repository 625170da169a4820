/**
 * The DynamoDB table of upload status records: the contract between lib/stacks/intake-stack.ts (which creates
 * the table) and core/status/dynamodb-status-store.ts (which reads and writes it).
 *
 * Key schema: partition key `uploadId` only (no sort key). Every access to one upload is by `uploadId`, with the
 * owner check done on the record itself. One global secondary index, STATUS_TABLE_OWNER_INDEX (partition `owner`,
 * sort `createdAt`, all attributes projected), lists one owner's uploads newest first (`GET /uploads`).
 */

/** Name of the partition key attribute. */
export const STATUS_TABLE_PARTITION_KEY = 'uploadId';

/** DynamoDB type of the partition key: `S` (string), i.e. `AttributeType.STRING` in CDK. */
export const STATUS_TABLE_PARTITION_KEY_TYPE = 'S';

/** Name of the TTL attribute (epoch seconds), to enable as the table's `timeToLiveAttribute`. */
export const STATUS_TABLE_TTL_ATTRIBUTE = 'expiresAt';

/**
 * Days a status record lives after it was created, when the store is not told otherwise: longer than the
 * longest bucket lifecycle a record describes (processed archive tier after 90 days, quarantine review 90 days),
 * so an owner can still ask about an upload for over a year.
 */
export const DEFAULT_STATUS_TTL_DAYS = 400;

/** The global secondary index of one owner's records by time: partition `owner`, sort `createdAt` (ISO 8601). */
export const STATUS_TABLE_OWNER_INDEX = 'owner-createdAt';

/** Partition key of STATUS_TABLE_OWNER_INDEX (the JWT `sub`), a string. */
export const STATUS_TABLE_OWNER_INDEX_PARTITION_KEY = 'owner';

/** Sort key of STATUS_TABLE_OWNER_INDEX (ISO 8601, so string order is time order), a string. */
export const STATUS_TABLE_OWNER_INDEX_SORT_KEY = 'createdAt';
