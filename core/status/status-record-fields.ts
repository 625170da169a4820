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

/** Statuses after which an upload has nothing left to explain: a retry or dead-letter reason would be stale. */
const FINAL_STATUSES_WITHOUT_REASON: ReadonlySet<StatusRecord['status']> = new Set([
  'processed',
  'quarantined',
]);

/**
 * Fields an update removes: an update that moves a record to `processed` or `quarantined` without a reason of its
 * own drops the previous one ("scan could not complete, retrying", "dead-lettered after 5 attempts: …"), so a
 * redriven or requeued upload that completes never keeps a reason that is no longer true.
 */
export function removedFields(update: StatusUpdate): readonly 'reason'[] {
  return update.status !== undefined &&
    FINAL_STATUSES_WITHOUT_REASON.has(update.status) &&
    update.reason === undefined
    ? ['reason']
    : [];
}

/** `record` without the fields `update` removes (see removedFields). */
export function withoutRemovedFields(record: StatusRecord, update: StatusUpdate): StatusRecord {
  const copy: Record<string, unknown> = { ...record };
  for (const field of removedFields(update)) delete copy[field];
  return copy as unknown as StatusRecord;
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
