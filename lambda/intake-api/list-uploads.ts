import { UPLOAD_STATUSES, type OwnerListPosition, type UploadStatus } from '../../core/status/upload-status';
import type { ApiRequest, ApiResponse } from './api-types';
import { toUploadStatusView, UPLOAD_ID, type UploadStatusView } from './get-upload-status';
import { invalidRequest, jsonResponse } from './http-responses';
import type { IntakeDependencies } from './intake-dependencies';

/** Page size of `GET /uploads`: default and bounds. */
export const LIST_LIMIT = { default: 20, min: 1, max: 100 } as const;

const QUERY_PARAMETERS = new Set(['status', 'limit', 'cursor']);
const ISO_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;
/** Longest cursor accepted: a position is three short strings. */
const MAX_CURSOR_LENGTH = 1024;

/** `200` body of `GET /uploads`. */
export interface UploadList {
  /** The caller's uploads, newest first. */
  readonly uploads: readonly UploadStatusView[];
  /** Pass as `cursor` for the next page; absent on the last page. */
  readonly nextCursor?: string;
}

/**
 * The opaque cursor of a position: base64url of its JSON. It is not secret (it names the caller's own upload), but it
 * is checked on the way back in: anything that does not decode to a position of the caller's own records is a 400.
 */
export function encodeCursor(position: OwnerListPosition): string {
  const { owner, createdAt, uploadId } = position;
  return Buffer.from(JSON.stringify({ o: owner, c: createdAt, u: uploadId }), 'utf8').toString('base64url');
}

/** The position a cursor names when it is one of `owner`'s; undefined for anything else. */
export function decodeCursor(cursor: string, owner: string): OwnerListPosition | undefined {
  if (cursor.length > MAX_CURSOR_LENGTH || !/^[A-Za-z0-9_-]+$/.test(cursor)) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch (error) {
    if (error instanceof SyntaxError) return undefined;
    throw error;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
  const { o, c, u, ...rest } = parsed as Record<string, unknown>;
  if (Object.keys(rest).length > 0 || o !== owner) return undefined;
  if (typeof c !== 'string' || !ISO_TIMESTAMP.test(c) || typeof u !== 'string' || !UPLOAD_ID.test(u)) {
    return undefined;
  }
  return { owner, createdAt: c, uploadId: u };
}

type ParsedQuery =
  | {
      readonly ok: true;
      readonly limit: number;
      readonly status?: UploadStatus;
      readonly after?: OwnerListPosition;
    }
  | { readonly ok: false; readonly response: ApiResponse };

function parseQuery(query: Readonly<Record<string, string>>, subject: string): ParsedQuery {
  const unknown = Object.keys(query).filter((name) => !QUERY_PARAMETERS.has(name));
  if (unknown.length > 0) {
    return { ok: false, response: invalidRequest(unknown[0]!, 'is not a parameter (status, limit, cursor)') };
  }
  let limit: number = LIST_LIMIT.default;
  if (query.limit !== undefined) {
    limit = /^\d{1,3}$/.test(query.limit) ? Number(query.limit) : NaN;
    if (!(limit >= LIST_LIMIT.min && limit <= LIST_LIMIT.max)) {
      const message = `must be a whole number between ${LIST_LIMIT.min} and ${LIST_LIMIT.max}`;
      return { ok: false, response: invalidRequest('limit', message) };
    }
  }
  const status = query.status;
  if (status !== undefined && !(UPLOAD_STATUSES as readonly string[]).includes(status)) {
    return { ok: false, response: invalidRequest('status', `must be one of ${UPLOAD_STATUSES.join(', ')}`) };
  }
  let after: OwnerListPosition | undefined;
  if (query.cursor !== undefined) {
    after = decodeCursor(query.cursor, subject);
    if (!after) return { ok: false, response: invalidRequest('cursor', 'is not a cursor of this listing') };
  }
  return {
    ok: true,
    limit,
    ...(status !== undefined ? { status: status as UploadStatus } : {}),
    ...(after ? { after } : {}),
  };
}

/**
 * `GET /uploads?status=&limit=&cursor=`: the caller's uploads, newest first, `limit` (1-100, default 20) per page,
 * optionally of one status, each as the status route shows it. Nobody else's record can appear: the store is asked
 * for the caller's records only, and a cursor must be the caller's own position (anything else is a 400).
 */
export function createListUploads(
  deps: IntakeDependencies,
): (request: ApiRequest, subject: string) => Promise<ApiResponse> {
  return async (request, subject) => {
    const parsed = parseQuery(request.query ?? {}, subject);
    if (!parsed.ok) return parsed.response;
    const page = await deps.statusStore.listByOwner(subject, parsed);
    const body: UploadList = {
      // The store returns the caller's records; the check keeps that true whatever a store does.
      uploads: page.records.filter((r) => r.owner === subject).map(toUploadStatusView),
      ...(page.next ? { nextCursor: encodeCursor(page.next) } : {}),
    };
    return jsonResponse(200, body);
  };
}
