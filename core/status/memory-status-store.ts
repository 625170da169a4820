import {
  toStatusRecord,
  updatableFields,
  updateApplies,
  withoutRemovedFields,
  withoutUndefined,
} from './status-record-fields';
import { pageOfRecords, StatusConflictError, StatusNotFoundError } from './upload-status';
import type {
  OwnerListPage,
  OwnerListQuery,
  StatusRecord,
  StatusStore,
  StatusUpdate,
  UploadStatus,
} from './upload-status';

export interface MemoryStatusStoreOptions {
  /** Clock for `updatedAt`. Default: the system clock. */
  readonly now?: () => Date;
}

/**
 * A StatusStore in memory, for tests and local mode, with the semantics of DynamoDbStatusStore. Records go in
 * and come out as deep copies, so no caller can change a stored record by mutating an object it holds.
 */
export class MemoryStatusStore implements StatusStore {
  private readonly records = new Map<string, StatusRecord>();
  private readonly now: () => Date;

  constructor(options: MemoryStatusStoreOptions = {}) {
    this.now = options.now ?? (() => new Date());
  }

  async create(record: StatusRecord): Promise<void> {
    if (this.records.has(record.uploadId)) throw new StatusConflictError(record.uploadId);
    this.records.set(record.uploadId, toStatusRecord({ ...record }));
  }

  async get(uploadId: string): Promise<StatusRecord | undefined> {
    const record = this.records.get(uploadId);
    return record && withoutUndefined(record);
  }

  async update(
    uploadId: string,
    update: StatusUpdate,
    expectedStatus?: readonly UploadStatus[],
    expectedVersionId?: string,
  ): Promise<StatusRecord> {
    const current = this.records.get(uploadId);
    if (!current) throw new StatusNotFoundError(uploadId);
    if (!updateApplies(current, expectedStatus, expectedVersionId)) return withoutUndefined(current);
    const next: StatusRecord = withoutRemovedFields(
      { ...current, ...updatableFields(update), updatedAt: this.now().toISOString() },
      update,
    );
    this.records.set(uploadId, next);
    return withoutUndefined(next);
  }

  async listByOwner(owner: string, query: OwnerListQuery): Promise<OwnerListPage> {
    const page = pageOfRecords(this.records.values(), owner, query);
    return { ...page, records: page.records.map((r) => withoutUndefined(r)) };
  }
}
