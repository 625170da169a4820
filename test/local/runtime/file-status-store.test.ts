import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { StatusNotFoundError } from '../../../core/status/upload-status';
import { FileStatusStore } from '../../../local/runtime/file-status-store';
import {
  describeStatusStoreContract,
  pendingRecord,
  UPDATED_AT,
} from '../../core/status/status-store-contract';

const dirs: string[] = [];

function tempDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'stowage-file-status-'));
  dirs.push(dir);
  return dir;
}

afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describeStatusStoreContract(
  'FileStatusStore',
  () => new FileStatusStore({ dir: path.join(tempDir(), 'status'), now: () => new Date(UPDATED_AT) }),
);

describe('FileStatusStore', () => {
  it('keeps records for a new store on the same directory (a restart)', async () => {
    // Arrange
    const dir = tempDir();
    const first = new FileStatusStore({ dir, now: () => new Date(UPDATED_AT) });
    await first.create(pendingRecord());
    await first.update(pendingRecord().uploadId, { status: 'scanning' });

    // Act
    const second = new FileStatusStore({ dir });

    // Assert
    await expect(second.get(pendingRecord().uploadId)).resolves.toEqual({
      ...pendingRecord(),
      status: 'scanning',
      updatedAt: UPDATED_AT,
    });
  });

  it('writes one readable JSON file per record and leaves no temporary file behind', async () => {
    // Arrange
    const dir = tempDir();
    const store = new FileStatusStore({ dir });

    // Act
    await store.create(pendingRecord());
    await store.update(pendingRecord().uploadId, { status: 'scanning' });
    await expect(store.create(pendingRecord())).rejects.toThrow('already exists');

    // Assert
    expect(readdirSync(dir)).toEqual([`${pendingRecord().uploadId}.json`]);
    const stored = JSON.parse(readFileSync(path.join(dir, `${pendingRecord().uploadId}.json`), 'utf8'));
    expect(stored).toMatchObject({ uploadId: pendingRecord().uploadId, status: 'scanning' });
  });

  it('applies concurrent updates of one record one after another, losing none', async () => {
    // Arrange
    const dir = tempDir();
    const store = new FileStatusStore({ dir });
    await store.create(pendingRecord());
    const id = pendingRecord().uploadId;

    // Act: the second update is conditional on the first having happened.
    const [first, second] = await Promise.all([
      store.update(id, { status: 'scanning', sourceVersionId: 'v1' }, ['pending']),
      store.update(id, { status: 'processed', processedKey: 'processed/k' }, ['scanning']),
    ]);

    // Assert
    expect(first.status).toBe('scanning');
    expect(second).toMatchObject({ status: 'processed', sourceVersionId: 'v1', processedKey: 'processed/k' });
    await expect(store.get(id)).resolves.toMatchObject({ status: 'processed', sourceVersionId: 'v1' });
  });

  it.each([
    ['a path', '../../etc/passwd'],
    ['a dot', '.'],
    ['non-ASCII', 'ä/ö'],
    ['a long id', 'x'.repeat(300)],
  ])('stores an id with %s under a hashed file name inside its directory', async (_name, uploadId) => {
    // Arrange
    const dir = tempDir();
    const store = new FileStatusStore({ dir });

    // Act
    await store.create(pendingRecord({ uploadId }));

    // Assert
    await expect(store.get(uploadId)).resolves.toMatchObject({ uploadId });
    const files = readdirSync(dir);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^sha256~[0-9a-f]{64}\.json$/);
  });

  it('does not serve a file whose record names another upload', async () => {
    // Arrange
    const dir = tempDir();
    const store = new FileStatusStore({ dir });
    await store.create(pendingRecord({ uploadId: 'other-upload' }));
    const misplaced = readFileSync(path.join(dir, 'other-upload.json'), 'utf8');
    writeFileSync(path.join(dir, 'asked-for.json'), misplaced);

    // Act / Assert
    await expect(store.get('asked-for')).resolves.toBeUndefined();
    await expect(store.update('asked-for', { status: 'scanning' })).rejects.toBeInstanceOf(
      StatusNotFoundError,
    );
  });

  it('fails loudly, naming the file, on a record that is not JSON', async () => {
    // Arrange
    const dir = tempDir();
    writeFileSync(path.join(dir, 'broken.json'), '{"uploadId": "bro');
    const store = new FileStatusStore({ dir });

    // Act / Assert
    await expect(store.get('broken')).rejects.toThrow(`${path.join(dir, 'broken.json')} is not JSON`);
  });

  it('refuses to be created without a directory', () => {
    // Act / Assert
    expect(() => new FileStatusStore({ dir: '' })).toThrow('dir is required');
  });
});
