import { MemoryStatusStore } from '../../../core/status/memory-status-store';
import { describeStatusStoreContract, UPDATED_AT } from './status-store-contract';

describeStatusStoreContract(
  'MemoryStatusStore',
  () => new MemoryStatusStore({ now: () => new Date(UPDATED_AT) }),
);

describe('MemoryStatusStore', () => {
  it('uses the system clock by default', async () => {
    // Arrange
    const store = new MemoryStatusStore();
    await store.create({
      uploadId: 'id',
      owner: 'o',
      status: 'pending',
      fileName: 'f',
      contentType: 'application/pdf',
      declaredSize: 1,
      uploadKey: 'k',
      createdAt: 'c',
      updatedAt: 'c',
    });
    const before = Date.now();

    // Act
    const updated = await store.update('id', { status: 'scanning' });

    // Assert
    expect(Date.parse(updated.updatedAt)).toBeGreaterThanOrEqual(before - 1);
  });
});
