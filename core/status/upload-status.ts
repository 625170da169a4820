import type { ScanStatus } from '../scan/verdict';
import type { RecordedManifest } from './recorded-manifest';

/**
 * The status of one upload as its owner sees it (`GET /uploads/{uploadId}`), docs/architecture.md step 5.
 * pending: presigned, not yet landed · scanning: landed, scan running · processed: clean and in `processed`
 * · quarantined: infected or suspicious and in `quarantine` · error: the pipeline gave up (see `reason`).
 */
export const UPLOAD_STATUSES = ['pending', 'scanning', 'processed', 'quarantined', 'error'] as const;
export type UploadStatus = (typeof UPLOAD_STATUSES)[number];

/** The scan verdict as recorded on the status record (and as object tags). */
export interface RecordedVerdict {
  readonly status: ScanStatus;
  readonly engine: string;
  readonly signature?: string;
  readonly reason?: string;
  readonly detectedType?: string;
  /** Lower-case hex SHA-256 of the scanned bytes. */
  readonly sha256: string;
  readonly size: number;
  /** ISO 8601. */
  readonly scannedAt: string;
}

/** One upload's record, written by the intake API and updated by every pipeline step. */
export interface StatusRecord {
  readonly uploadId: string;
  /** The uploader: the JWT `sub`. Only the owner may read the record. */
  readonly owner: string;
  readonly status: UploadStatus;
  /** Why the upload is in `error` (or what the last step said), for the owner: never an internal message. */
  readonly reason?: string;
  /** The sanitized original file name. */
  readonly fileName: string;
  /** Content-Type declared at presign time. */
  readonly contentType: string;
  /** Size declared at presign time. */
  readonly declaredSize: number;
  /** Key in the uploads bucket: `uploads/<userId>/<yyyy>/<mm>/<dd>/<uploadId>.<ext>`. */
  readonly uploadKey: string;
  /**
   * The version of the uploads key this record is bound to: the FIRST version that landed under the upload's key,
   * claimed once by the first scan (never changed afterwards). Every verdict, copy and status on this record is
   * that version's; a later version under the same key (the presigned form used again) is quarantined as
   * `form-reused` and never touches the record (core/intake/upload-versions.ts).
   */
  readonly sourceVersionId?: string;
  readonly verdict?: RecordedVerdict;
  /** Key in `processed` once processed. */
  readonly processedKey?: string;
  /** What the processed object's manifest says (hash, size, types, media), once processed. */
  readonly manifest?: RecordedManifest;
  /** Key in `quarantine` once quarantined. */
  readonly quarantineKey?: string;
  /** ISO 8601. */
  readonly createdAt: string;
  /** ISO 8601. */
  readonly updatedAt: string;
}

/** Fields a pipeline step may change. */
export type StatusUpdate = Partial<
  Pick<
    StatusRecord,
    'status' | 'reason' | 'sourceVersionId' | 'verdict' | 'processedKey' | 'manifest' | 'quarantineKey'
  >
>;

/**
 * Where status records live: DynamoDB on AWS (core/status/dynamodb-status-store.ts), an in-memory
 * or file-backed store in tests and local mode. Implementations must make `create` fail if the id exists
 * and `update` fail if it does not, so that no step invents or overwrites an upload.
 */
export interface StatusStore {
  /** Creates a record; rejects with StatusConflictError if `uploadId` exists. */
  create(record: StatusRecord): Promise<void>;
  /** The record, or undefined. */
  get(uploadId: string): Promise<StatusRecord | undefined>;
  /**
   * Applies `update` and sets `updatedAt`; rejects with StatusNotFoundError if the record does not exist.
   * With `expectedStatus`, applies only while the record is in one of those statuses and otherwise
   * resolves to the unchanged record (a stale or duplicate step must not move a final status backwards).
   * With `expectedVersionId`, applies only while the record's `sourceVersionId` is unset or equals it, and
   * otherwise resolves to the unchanged record: a step about one object version never writes on a record bound
   * to another (the caller compares the returned `sourceVersionId` to learn whether it applied).
   */
  update(
    uploadId: string,
    update: StatusUpdate,
    expectedStatus?: readonly UploadStatus[],
    expectedVersionId?: string,
  ): Promise<StatusRecord>;
  /**
   * One page of `owner`'s records, newest first (`createdAt`, then `uploadId`, descending), optionally of one
   * status. `query.after` must be a position of the same owner (the caller checks it).
   */
  listByOwner(owner: string, query: OwnerListQuery): Promise<OwnerListPage>;
}

/** Where a listing of one owner's records goes on: after the record with this `createdAt` and `uploadId`. */
export interface OwnerListPosition {
  readonly owner: string;
  readonly createdAt: string;
  readonly uploadId: string;
}

/** One page of an owner's records, newest first (`createdAt`, then `uploadId`, descending). */
export interface OwnerListPage {
  readonly records: readonly StatusRecord[];
  /** Where the next page starts; absent on the last page. */
  readonly next?: OwnerListPosition;
}

export interface OwnerListQuery {
  /** Most records on the page (1 or more). */
  readonly limit: number;
  /** Only records in this status. */
  readonly status?: UploadStatus;
  /** Continue after this position (the `next` of the previous page, of the same owner). */
  readonly after?: OwnerListPosition;
}

/** The position right after `record` in an owner listing. */
export function listPositionOf(record: StatusRecord): OwnerListPosition {
  return { owner: record.owner, createdAt: record.createdAt, uploadId: record.uploadId };
}

/** Newest first: `createdAt` descending, then `uploadId` descending (a total order even for equal times). */
export function compareNewestFirst(a: OwnerListPosition, b: OwnerListPosition): number {
  if (a.createdAt !== b.createdAt) return a.createdAt < b.createdAt ? 1 : -1;
  return a.uploadId === b.uploadId ? 0 : a.uploadId < b.uploadId ? 1 : -1;
}

/**
 * An owner listing over records in memory (the memory and file stores): the owner's records, filtered, sorted
 * newest first, from after `query.after`, at most `query.limit`, with `next` when more may follow.
 */
export function pageOfRecords(
  records: Iterable<StatusRecord>,
  owner: string,
  query: OwnerListQuery,
): OwnerListPage {
  const after = query.after;
  const matching = [...records]
    .filter((r) => r.owner === owner && (!query.status || r.status === query.status))
    .filter((r) => !after || compareNewestFirst(listPositionOf(r), after) > 0)
    .sort((a, b) => compareNewestFirst(listPositionOf(a), listPositionOf(b)));
  const page = matching.slice(0, query.limit);
  const last = page[page.length - 1];
  return matching.length > page.length && last
    ? { records: page, next: listPositionOf(last) }
    : { records: page };
}

export class StatusConflictError extends Error {
  constructor(readonly uploadId: string) {
    super(`status record ${uploadId} already exists`);
    this.name = 'StatusConflictError';
  }
}

export class StatusNotFoundError extends Error {
  constructor(readonly uploadId: string) {
    super(`status record ${uploadId} does not exist`);
    this.name = 'StatusNotFoundError';
  }
}
