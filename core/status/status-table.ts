/**
 * The DynamoDB table of upload status records: the contract between lib/stacks/intake-stack.ts (which creates
 * the table) and core/status/dynamodb-status-store.ts (which reads and writes it).
 *
 * Key schema: partition key only (no sort key, no indexes). Every access is by `uploadId`; the owner check is
 * done on the record itself, so no index by owner is needed.
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
