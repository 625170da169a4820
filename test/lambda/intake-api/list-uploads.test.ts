import { decodeCursor, encodeCursor } from '../../../lambda/intake-api/list-uploads';
import { createIntakeApi } from '../../../lambda/intake-api/routes';
import type { ApiRequest } from '../../../lambda/intake-api/api-types';
import type { StatusRecord, UploadStatus } from '../../../core/status/upload-status';
import { bodyOf, OWNER, testDependencies } from './intake-fixtures';

const OTHER = 'someone-else';
const id = (n: number) => `0b8e4c5e-2a61-4f3b-9d7e-${String(n).padStart(12, '0')}`;

function record(n: number, owner: string, status: UploadStatus): StatusRecord {
  const createdAt = new Date(Date.UTC(2026, 2, 4, 5, n)).toISOString();
  return {
    uploadId: id(n),
    owner,
    status,
    fileName: `file ${n}.pdf`,
    contentType: 'application/pdf',
    declaredSize: n,
    uploadKey: `uploads/${owner}/2026/03/04/${id(n)}.pdf`,
    createdAt,
    updatedAt: createdAt,
  };
}

function list(query?: Record<string, string>, subject: string = OWNER): ApiRequest {
  return { method: 'GET', path: '/uploads', subject, requestId: 'req-4', ...(query ? { query } : {}) };
}

/** 25 uploads of the caller (every fifth processed) and 5 of another user, interleaved in time. */
async function seededApi() {
  const deps = testDependencies();
  for (let n = 1; n <= 30; n += 1) {
    const owner = n % 6 === 0 ? OTHER : OWNER;
    await deps.statusStore.create(record(n, owner, n % 5 === 0 ? 'processed' : 'pending'));
  }
  return createIntakeApi(deps);
}

interface ListBody {
  uploads: { uploadId: string; status: string }[];
  nextCursor?: string;
}

describe('GET /uploads', () => {
  it('pages through the caller’s uploads newest first, 20 by default, with an opaque cursor', async () => {
    // Arrange
    const api = await seededApi();
    const mine = Array.from({ length: 30 }, (_, i) => 30 - i)
      .filter((n) => n % 6 !== 0)
      .map(id);

    // Act
    const first = bodyOf(await api(list())) as unknown as ListBody;
    const second = bodyOf(await api(list({ cursor: first.nextCursor! }))) as unknown as ListBody;

    // Assert
    expect(first.uploads.map((u) => u.uploadId)).toEqual(mine.slice(0, 20));
    expect(first.nextCursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(second.uploads.map((u) => u.uploadId)).toEqual(mine.slice(20));
    expect(second.nextCursor).toBeUndefined();
    // Each upload as the status route shows it: no owner, no uploads key.
    expect(JSON.stringify([first, second])).not.toMatch(/owner|uploadKey|someone-else/);
  });

  it('honours limit and the status filter across pages', async () => {
    const api = await seededApi();
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const response = await api(list({ status: 'processed', limit: '2', ...(cursor ? { cursor } : {}) }));
      expect(response.statusCode).toBe(200);
      const body = bodyOf(response) as unknown as ListBody;
      expect(body.uploads.length).toBeLessThanOrEqual(2);
      expect(body.uploads.every((u) => u.status === 'processed')).toBe(true);
      seen.push(...body.uploads.map((u) => u.uploadId));
      cursor = body.nextCursor;
    } while (cursor);
    // 30 is another user's: never listed.
    expect(seen).toEqual([id(25), id(20), id(15), id(10), id(5)]);
  });

  it('never shows another user’s uploads, and an empty list to a user without any', async () => {
    const api = await seededApi();
    const theirs = bodyOf(await api(list({ limit: '100' }, OTHER))) as unknown as ListBody;
    expect(theirs.uploads.map((u) => u.uploadId)).toEqual([id(30), id(24), id(18), id(12), id(6)]);
    const nobody = bodyOf(await api(list(undefined, 'nobody'))) as unknown as ListBody;
    expect(nobody).toEqual({ uploads: [] });
  });

  it.each([
    [{ limit: '0' }, 'limit'],
    [{ limit: '101' }, 'limit'],
    [{ limit: '2.5' }, 'limit'],
    [{ limit: '' }, 'limit'],
    [{ status: 'deleted' }, 'status'],
    [{ status: 'PROCESSED' }, 'status'],
    [{ sort: 'asc' }, 'sort'],
    [{ cursor: 'not a cursor' }, 'cursor'],
    [{ cursor: Buffer.from('{"o":1}').toString('base64url') }, 'cursor'],
    [{ cursor: Buffer.from('[]').toString('base64url') }, 'cursor'],
    [{ cursor: 'x'.repeat(2000) }, 'cursor'],
  ])('answers 400 naming the field for %j', async (query, field) => {
    const api = await seededApi();
    const response = await api(list(query));
    expect(response.statusCode).toBe(400);
    expect(bodyOf(response)).toMatchObject({ error: 'invalid_request', field });
  });

  it('answers 400 to a tampered cursor and to another user’s cursor', async () => {
    // Arrange: a real cursor of the other user, and one of the caller's with its time changed.
    const api = await seededApi();
    const theirs = (bodyOf(await api(list({ limit: '1' }, OTHER))) as unknown as ListBody).nextCursor!;
    const mine = (bodyOf(await api(list({ limit: '1' }))) as unknown as ListBody).nextCursor!;
    const decoded = JSON.parse(Buffer.from(mine, 'base64url').toString('utf8')) as Record<string, string>;
    const tampered = Buffer.from(JSON.stringify({ ...decoded, c: 'yesterday' })).toString('base64url');
    const extra = Buffer.from(JSON.stringify({ ...decoded, x: 1 })).toString('base64url');

    // Act / Assert
    for (const cursor of [theirs, tampered, extra]) {
      const response = await api(list({ cursor }));
      expect(response.statusCode).toBe(400);
      expect(bodyOf(response)).toMatchObject({ field: 'cursor' });
    }
    expect((await api(list({ cursor: mine }))).statusCode).toBe(200);
  });

  it('allows GET and POST on /uploads only', async () => {
    const api = await seededApi();
    const response = await api({ ...list(), method: 'DELETE' });
    expect(response.statusCode).toBe(405);
    expect(response.headers.allow).toBe('GET, POST');
  });
});

describe('list cursors', () => {
  it('round-trip a position of the owner, and of no one else', () => {
    const position = { owner: OWNER, createdAt: '2026-03-04T05:06:07.000Z', uploadId: id(1) };
    const cursor = encodeCursor(position);
    expect(decodeCursor(cursor, OWNER)).toEqual(position);
    expect(decodeCursor(cursor, OTHER)).toBeUndefined();
  });
});
