import type { StatusRecord, StatusUpdate, UploadStatus } from './upload-status';

/** Fields of StatusUpdate a store may write; anything else on an update object is ignored. */
export const UPDATABLE_FIELDS = [
  'status',
  'reason',
  'sourceVersionId',
  'verdict',
  'processedKey',
  'manifest',
  'quarantineKey',
] as const satisfies readonly (keyof StatusUpdate)[];

const RECORD_FIELDS = [
  'uploadId',
  'owner',
  'status',
  'reason',
  'fileName',
  'contentType',
  'declaredSize',
  'uploadKey',
  'sourceVersionId',
  'verdict',
  'processedKey',
  'manifest',
  'quarantineKey',
  'createdAt',
  'updatedAt',
] as const satisfies readonly (keyof StatusRecord)[];

/**
 * A deep copy of a JSON-like value with every `undefined` property removed, so that no store writes an
 * attribute that means "absent" and every record reads back the same from every store.
 */
export function withoutUndefined<T>(value: T): T {
  if (Array.isArray(value)) return value.map((item: unknown) => withoutUndefined(item)) as T;
  if (value !== null && typeof value === 'object') {
    const copy: Record<string, unknown> = {};
    for (const [key, field] of Object.entries(value)) {
      if (field !== undefined) copy[key] = withoutUndefined(field);
    }
    return copy as T;
  }
  return value;
}

/** The defined, updatable fields of an update (no `uploadId`, `owner` or timestamps can be smuggled in). */
export function updatableFields(update: StatusUpdate): Partial<StatusUpdate> {
  const fields: Record<string, unknown> = {};
  for (const name of UPDATABLE_FIELDS) {
    if (update[name] !== undefined) fields[name] = withoutUndefined(update[name]);
  }
  return fields as Partial<StatusUpdate>;
}

/** The status record held in a stored item: known fields only (drops the TTL attribute and anything else). */
export function toStatusRecord(item: Record<string, unknown>): StatusRecord {
  const record: Record<string, unknown> = {};
  for (const name of RECORD_FIELDS) {
    if (item[name] !== undefined) record[name] = withoutUndefined(item[name]);
  }
  return record as unknown as StatusRecord;
}

/**
 * Whether a conditional update applies to `current` (StatusStore.update): its status is one of `expectedStatus`
 * (when given) and its `sourceVersionId` is unset or equals `expectedVersionId` (when given).
 */
export function updateApplies(
  current: StatusRecord,
  expectedStatus: readonly UploadStatus[] | undefined,
  expectedVersionId: string | undefined,
): boolean {
  if (expectedStatus && !expectedStatus.includes(current.status)) return false;
  return (
    expectedVersionId === undefined ||
    current.sourceVersionId === undefined ||
    current.sourceVersionId === expectedVersionId
  );
}
