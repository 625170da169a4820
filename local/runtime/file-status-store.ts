import { createHash, randomBytes } from 'node:crypto';
import { link, mkdir, readdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { KeyedSerializer } from '../../core/intake/keyed-serializer';
import {
  toStatusRecord,
  updatableFields,
  updateApplies,
  withoutRemovedFields,
  withoutUndefined,
} from '../../core/status/status-record-fields';
import { pageOfRecords, StatusConflictError, StatusNotFoundError } from '../../core/status/upload-status';
import type {
  OwnerListPage,
  OwnerListQuery,
  StatusRecord,
  StatusStore,
  StatusUpdate,
  UploadStatus,
} from '../../core/status/upload-status';

export interface FileStatusStoreOptions {
  /** Directory holding one JSON file per record; created when missing. Required. */
  readonly dir: string;
  /** Clock for `updatedAt`. Default: the system clock. */
  readonly now?: () => Date;
}

/** Upload ids used as file names as they are (the API's are UUIDs); any other id is hashed. */
const PLAIN_ID = /^[A-Za-z0-9_-]{1,200}$/;

/**
 * A StatusStore on disk for local mode, so status records survive restarts: one JSON file per upload, with the
 * conditional semantics of DynamoDbStatusStore and MemoryStatusStore (the shared contract test runs on it).
 * `create` publishes a complete file with a hard link, which fails if the id exists; `update` reads, applies
 * and renames a complete new file over the old one, serialized per id. Either way a reader never sees a
 * half-written record, and a crash of the process leaves the old or the new record, never a mix. One process
 * writes a directory at a time (local mode holds its data directory's lock); files are not fsynced, so a power
 * loss may lose the latest writes.
 */
export class FileStatusStore implements StatusStore {
  private readonly dir: string;
  private readonly now: () => Date;
  private readonly serializer = new KeyedSerializer();
  private ready: Promise<unknown> | undefined;

  constructor(options: FileStatusStoreOptions) {
    if (!options.dir) throw new Error('FileStatusStore: dir is required');
    this.dir = path.resolve(options.dir);
    this.now = options.now ?? (() => new Date());
  }

  async create(record: StatusRecord): Promise<void> {
    await this.ensureDir();
    const file = this.fileOf(record.uploadId);
    const temporary = await this.writeTemporary(toStatusRecord({ ...record }));
    try {
      await link(temporary, file);
    } catch (error) {
      if (errnoCode(error) === 'EEXIST') throw new StatusConflictError(record.uploadId);
      throw error;
    } finally {
      await unlink(temporary);
    }
  }

  async get(uploadId: string): Promise<StatusRecord | undefined> {
    return this.read(uploadId);
  }

  update(
    uploadId: string,
    update: StatusUpdate,
    expectedStatus?: readonly UploadStatus[],
    expectedVersionId?: string,
  ): Promise<StatusRecord> {
    return this.serializer.run(uploadId, async () => {
      const current = await this.read(uploadId);
      if (!current) throw new StatusNotFoundError(uploadId);
      if (!updateApplies(current, expectedStatus, expectedVersionId)) return current;
      const next: StatusRecord = withoutUndefined(
        withoutRemovedFields(
          { ...current, ...updatableFields(update), updatedAt: this.now().toISOString() },
          update,
        ),
      );
      const temporary = await this.writeTemporary(next);
      try {
        await rename(temporary, this.fileOf(uploadId));
      } catch (error) {
        await unlink(temporary);
        throw error;
      }
      return withoutUndefined(next);
    });
  }

  /** Reads every record of the directory (local mode holds a few thousand at most) and pages them in memory. */
  async listByOwner(owner: string, query: OwnerListQuery): Promise<OwnerListPage> {
    await this.ensureDir();
    const records: StatusRecord[] = [];
    for (const name of await readdir(this.dir)) {
      if (!name.endsWith('.json') || name.startsWith('.')) continue;
      const record = await this.readFile(path.join(this.dir, name));
      if (record?.owner === owner) records.push(record);
    }
    return pageOfRecords(records, owner, query);
  }

  private async read(uploadId: string): Promise<StatusRecord | undefined> {
    const record = await this.readFile(this.fileOf(uploadId));
    // A hashed file name could in theory collide: the record must be the one asked for.
    return record?.uploadId === uploadId ? record : undefined;
  }

  private async readFile(file: string): Promise<StatusRecord | undefined> {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') return undefined;
      throw error;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      throw new Error(`status record ${file} is not JSON: ${(error as Error).message}`, { cause: error });
    }
    return toStatusRecord(parsed as Record<string, unknown>);
  }

  private async writeTemporary(record: StatusRecord): Promise<string> {
    const temporary = path.join(this.dir, `.tmp-${process.pid}-${randomBytes(8).toString('hex')}`);
    await writeFile(temporary, `${JSON.stringify(record, null, 2)}\n`, { flag: 'wx', mode: 0o600 });
    return temporary;
  }

  private fileOf(uploadId: string): string {
    const name = PLAIN_ID.test(uploadId)
      ? uploadId
      : `sha256~${createHash('sha256').update(uploadId, 'utf8').digest('hex')}`;
    return path.join(this.dir, `${name}.json`);
  }

  private ensureDir(): Promise<unknown> {
    this.ready ??= mkdir(this.dir, { recursive: true, mode: 0o700 }).catch((error: unknown) => {
      this.ready = undefined;
      throw error;
    });
    return this.ready;
  }
}

function errnoCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null ? (error as NodeJS.ErrnoException).code : undefined;
}
