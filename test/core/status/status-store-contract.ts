import { StatusConflictError, StatusNotFoundError } from '../../../core/status/upload-status';
import type {
  OwnerListPosition,
  StatusRecord,
  StatusStore,
  StatusUpdate,
} from '../../../core/status/upload-status';

export const CREATED_AT = '2026-03-04T05:06:07.000Z';
export const UPDATED_AT = '2026-03-04T06:00:00.000Z';

export function pendingRecord(overrides: Partial<StatusRecord> = {}): StatusRecord {
  return {
    uploadId: '0b8e4c5e-2a61-4f3b-9d7e-1c2b3a4d5e6f',
    owner: 'user-1',
    status: 'pending',
    fileName: 'voice memo.webm',
    contentType: 'audio/webm',
    declaredSize: 1234,
    uploadKey: 'uploads/user-1/2026/03/04/0b8e4c5e-2a61-4f3b-9d7e-1c2b3a4d5e6f.webm',
    createdAt: CREATED_AT,
    updatedAt: CREATED_AT,
    ...overrides,
  };
}

const verdict = {
  status: 'CLEAN',
  engine: 'builtin',
  sha256: 'a'.repeat(64),
  size: 1234,
  scannedAt: '2026-03-04T05:30:00.000Z',
} as const;

/**
 * The StatusStore semantics every implementation must have, written once. `makeStore` returns a fresh, empty
 * store whose clock reads UPDATED_AT.
 */
export function describeStatusStoreContract(name: string, makeStore: () => StatusStore): void {
  describe(`${name}: StatusStore contract`, () => {
    let store: StatusStore;

    beforeEach(() => {
      store = makeStore();
    });

    it('returns a created record as it was given', async () => {
      // Arrange
      const record = pendingRecord();

      // Act
      await store.create(record);

      // Assert
      await expect(store.get(record.uploadId)).resolves.toEqual(record);
    });

    it.each(['processed', 'quarantined'] as const)(
      'drops a stale reason when an update moves the record to %s without one',
      async (status) => {
        // Arrange: a record dead-lettered earlier, then redriven.
        const record = pendingRecord({
          status: 'error',
          reason: 'dead-lettered after 5 attempts: scan could not complete',
        });
        await store.create(record);
        // Act
        const updated = await store.update(record.uploadId, { status }, ['pending', 'scanning', 'error']);
        // Assert
        expect(updated.reason).toBeUndefined();
        expect('reason' in updated).toBe(false);
        expect((await store.get(record.uploadId))?.reason).toBeUndefined();
        expect((await store.get(record.uploadId))?.status).toBe(status);
      },
    );

    it('keeps the reason on other updates, and takes a new one', async () => {
      // Arrange
      const record = pendingRecord({ status: 'error', reason: 'scan could not complete, retrying' });
      await store.create(record);
      // Act
      const scanning = await store.update(record.uploadId, { status: 'scanning' });
      const dead = await store.update(record.uploadId, {
        status: 'error',
        reason: 'dead-lettered after 5 attempts: x',
      });
      // Assert
      expect(scanning.reason).toBe('scan could not complete, retrying');
      expect(dead.reason).toBe('dead-lettered after 5 attempts: x');
    });

    it('returns undefined for an unknown id', async () => {
      // Act / Assert
      await expect(store.get('no-such-id')).resolves.toBeUndefined();
    });

    it('refuses to create a record twice and keeps the first', async () => {
      // Arrange
      const record = pendingRecord();
      await store.create(record);

      // Act
      const second = store.create({ ...record, owner: 'intruder' });

      // Assert
      await expect(second).rejects.toBeInstanceOf(StatusConflictError);
      await expect(second).rejects.toMatchObject({ uploadId: record.uploadId });
      await expect(store.get(record.uploadId)).resolves.toMatchObject({ owner: 'user-1' });
    });

    it('does not store undefined optional fields', async () => {
      // Arrange
      const record = { ...pendingRecord(), reason: undefined, processedKey: undefined };

      // Act
      await store.create(record);

      // Assert
      const stored = await store.get(record.uploadId);
      expect(stored).toEqual(pendingRecord());
      expect(Object.keys(stored ?? {})).not.toContain('reason');
    });

    it('applies an update, sets updatedAt and returns the new record', async () => {
      // Arrange
      await store.create(pendingRecord());
      const update: StatusUpdate = { status: 'processed', verdict, processedKey: 'processed/user-1/x.webm' };

      // Act
      const updated = await store.update(pendingRecord().uploadId, update);

      // Assert
      const expected = { ...pendingRecord(), ...update, updatedAt: UPDATED_AT };
      expect(updated).toEqual(expected);
      await expect(store.get(pendingRecord().uploadId)).resolves.toEqual(expected);
    });

    it('records the manifest of a processed upload with its media facts', async () => {
      // Arrange
      await store.create(pendingRecord({ status: 'scanning' }));
      const manifest = {
        sha256: 'b'.repeat(64),
        size: 44_144,
        declaredType: 'audio/wav',
        detectedType: 'audio/wav',
        uploadedAt: '2026-03-04T05:10:00.000Z',
        processedAt: '2026-03-04T05:31:00.000Z',
        media: { audio: { durationSeconds: 0.25, sampleRate: 44_100, channels: 2, bitsPerSample: 16 } },
      };

      // Act
      const updated = await store.update(
        pendingRecord().uploadId,
        { status: 'processed', processedKey: 'processed/user-1/x.wav', manifest },
        ['scanning'],
      );

      // Assert
      expect(updated.manifest).toEqual(manifest);
      await expect(store.get(pendingRecord().uploadId)).resolves.toMatchObject({
        status: 'processed',
        manifest,
      });
    });

    it('keeps fields an update leaves undefined', async () => {
      // Arrange
      await store.create(pendingRecord({ reason: 'first' }));

      // Act
      const updated = await store.update(pendingRecord().uploadId, { status: 'scanning', reason: undefined });

      // Assert
      expect(updated).toMatchObject({ status: 'scanning', reason: 'first' });
    });

    it('never lets an update change the id, owner or creation time', async () => {
      // Arrange
      await store.create(pendingRecord());
      const smuggled = {
        status: 'scanning',
        owner: 'intruder',
        uploadId: 'other',
        createdAt: 'x',
      } as StatusUpdate;

      // Act
      const updated = await store.update(pendingRecord().uploadId, smuggled);

      // Assert
      expect(updated).toMatchObject({
        uploadId: pendingRecord().uploadId,
        owner: 'user-1',
        createdAt: CREATED_AT,
      });
      await expect(store.get('other')).resolves.toBeUndefined();
    });

    it('refuses to update a record that does not exist, and creates none', async () => {
      // Act
      const update = store.update('no-such-id', { status: 'scanning' });

      // Assert
      await expect(update).rejects.toBeInstanceOf(StatusNotFoundError);
      await expect(update).rejects.toMatchObject({ uploadId: 'no-such-id' });
      await expect(store.get('no-such-id')).resolves.toBeUndefined();
    });

    it('refuses to update a missing record even with an expected status', async () => {
      // Act / Assert
      await expect(store.update('no-such-id', { status: 'scanning' }, ['pending'])).rejects.toBeInstanceOf(
        StatusNotFoundError,
      );
    });

    it('applies an update while the record is in an expected status', async () => {
      // Arrange
      await store.create(pendingRecord());

      // Act
      const updated = await store.update(pendingRecord().uploadId, { status: 'scanning' }, [
        'pending',
        'error',
      ]);

      // Assert
      expect(updated).toMatchObject({ status: 'scanning', updatedAt: UPDATED_AT });
    });

    it('resolves to the unchanged record when the status is not expected', async () => {
      // Arrange
      const processed = pendingRecord({ status: 'processed', processedKey: 'processed/k' });
      await store.create(processed);

      // Act
      const result = await store.update(processed.uploadId, { status: 'scanning', reason: 'late' }, [
        'pending',
      ]);

      // Assert
      expect(result).toEqual(processed);
      await expect(store.get(processed.uploadId)).resolves.toEqual(processed);
    });

    it('binds an unbound record to the expected version and then refuses every other version', async () => {
      // Arrange
      await store.create(pendingRecord());
      const id = pendingRecord().uploadId;

      // Act
      const claimed = await store.update(id, { sourceVersionId: 'v1' }, ['pending'], 'v1');
      const other = await store.update(id, { sourceVersionId: 'v2', status: 'error' }, undefined, 'v2');
      const same = await store.update(id, { status: 'scanning' }, ['pending'], 'v1');

      // Assert
      expect(claimed).toMatchObject({ sourceVersionId: 'v1', status: 'pending' });
      expect(other).toMatchObject({ sourceVersionId: 'v1', status: 'pending' });
      expect(same).toMatchObject({ sourceVersionId: 'v1', status: 'scanning' });
      await expect(store.get(id)).resolves.toMatchObject({ sourceVersionId: 'v1', status: 'scanning' });
    });

    it('checks the expected status and the expected version together', async () => {
      // Arrange
      await store.create(pendingRecord({ status: 'processed', sourceVersionId: 'v1' }));

      // Act
      const result = await store.update(pendingRecord().uploadId, { status: 'error' }, ['pending'], 'v1');

      // Assert
      expect(result).toMatchObject({ status: 'processed', sourceVersionId: 'v1' });
    });

    it('refuses a version-bound update of a missing record', async () => {
      // Act / Assert
      await expect(store.update('no-such-id', { status: 'error' }, undefined, 'v1')).rejects.toBeInstanceOf(
        StatusNotFoundError,
      );
    });

    it('applies nothing with an empty expected-status list', async () => {
      // Arrange
      await store.create(pendingRecord());

      // Act
      const result = await store.update(pendingRecord().uploadId, { status: 'scanning' }, []);

      // Assert
      expect(result).toEqual(pendingRecord());
    });

    it('hands out copies: mutating a returned or given record changes nothing stored', async () => {
      // Arrange
      const given = { ...pendingRecord(), verdict: { ...verdict } };
      await store.create(given);

      // Act
      (given.verdict as { engine: string }).engine = 'mutated-given';
      const read = await store.get(given.uploadId);
      (read?.verdict as { engine: string }).engine = 'mutated-read';
      const updated = await store.update(given.uploadId, { reason: 'r' });
      (updated.verdict as { engine: string }).engine = 'mutated-updated';

      // Assert
      await expect(store.get(given.uploadId)).resolves.toMatchObject({ verdict: { engine: 'builtin' } });
    });
  });

  describe(`${name}: listByOwner`, () => {
    let store: StatusStore;
    const id = (n: number) => `0b8e4c5e-2a61-4f3b-9d7e-${String(n).padStart(12, '0')}`;
    const at = (n: number) => `2026-03-04T05:${String(n).padStart(2, '0')}:00.000Z`;

    beforeEach(async () => {
      store = makeStore();
      // Seven uploads of user-1 (one minute apart, two at the same time), statuses alternating; three of user-2.
      for (let n = 1; n <= 7; n += 1) {
        await store.create(
          pendingRecord({
            uploadId: id(n),
            createdAt: at(n === 7 ? 6 : n),
            status: n % 2 ? 'pending' : 'processed',
          }),
        );
      }
      for (let n = 8; n <= 10; n += 1)
        await store.create(pendingRecord({ uploadId: id(n), owner: 'user-2', createdAt: at(n) }));
    });

    async function all(owner: string, limit: number, status?: 'pending' | 'processed') {
      const pages: string[][] = [];
      let after: OwnerListPosition | undefined;
      for (let guard = 0; guard < 20; guard += 1) {
        const page = await store.listByOwner(owner, {
          limit,
          ...(status ? { status } : {}),
          ...(after ? { after } : {}),
        });
        expect(page.records.length).toBeLessThanOrEqual(limit);
        expect(page.records.every((r) => r.owner === owner)).toBe(true);
        pages.push(page.records.map((r) => r.uploadId));
        if (!page.next) return pages;
        after = page.next;
      }
      throw new Error('listing did not end');
    }

    it('pages through the owner’s records newest first (equal times by id), each exactly once', async () => {
      const pages = await all('user-1', 3);
      expect(pages.flat()).toEqual([id(7), id(6), id(5), id(4), id(3), id(2), id(1)]);
      expect(pages[0]).toEqual([id(7), id(6), id(5)]);
    });

    it('filters by status across pages', async () => {
      const pages = await all('user-1', 2, 'processed');
      expect(pages.flat()).toEqual([id(6), id(4), id(2)]);
    });

    it('never returns another owner’s records, and nothing for an owner without any', async () => {
      expect((await all('user-2', 100)).flat()).toEqual([id(10), id(9), id(8)]);
      expect((await all('nobody', 5)).flat()).toEqual([]);
    });
  });
}
