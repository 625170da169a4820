import type { SQSRecord } from 'aws-lambda';

import {
  deadLetterReason,
  isLastDelivery,
  receiveCountOf,
  withDeadLetterReason,
  type DeadLetterReasonOptions,
} from '../../../lambda/runtime/dead-letter-reason';
import { MemoryStatusStore } from '../../../core/status/memory-status-store';
import { pendingRecord } from '../../core/status/status-store-contract';

const UPLOAD_ID = pendingRecord().uploadId;

function recordAt(receiveCount: number | undefined): SQSRecord {
  return {
    messageId: 'm-1',
    receiptHandle: 'r',
    body: '{}',
    attributes: {
      ...(receiveCount === undefined ? {} : { ApproximateReceiveCount: String(receiveCount) }),
    },
  } as unknown as SQSRecord;
}

function options(
  store: MemoryStatusStore,
  overrides: Partial<DeadLetterReasonOptions> = {},
): DeadLetterReasonOptions {
  return {
    policy: { maxReceiveCount: 5 },
    statusStore: store,
    uploadIdsOf: () => [UPLOAD_ID],
    describeFailure: () => 'scan could not complete',
    ...overrides,
  };
}

describe('dead-letter reasons', () => {
  it('reads the receive count SQS sends (1 when it is missing or bad)', () => {
    expect(receiveCountOf(recordAt(3))).toBe(3);
    expect(receiveCountOf(recordAt(undefined))).toBe(1);
    expect(isLastDelivery(recordAt(5), { maxReceiveCount: 5 })).toBe(true);
    expect(isLastDelivery(recordAt(4), { maxReceiveCount: 5 })).toBe(false);
    expect(deadLetterReason(5, 'scan could not complete')).toBe(
      'dead-lettered after 5 attempts: scan could not complete',
    );
  });

  it('records the dead-letter reason when the last delivery fails, and rethrows the original error', async () => {
    // Arrange
    const store = new MemoryStatusStore();
    await store.create(pendingRecord({ status: 'error', reason: 'scan could not complete, retrying' }));
    const failure = new Error('clamd did not respond');
    const handler = withDeadLetterReason(async () => Promise.reject(failure), options(store));
    // Act
    const handled = handler(recordAt(5));
    // Assert
    await expect(handled).rejects.toBe(failure);
    await expect(store.get(UPLOAD_ID)).resolves.toMatchObject({
      status: 'error',
      reason: 'dead-lettered after 5 attempts: scan could not complete',
    });
  });

  it('leaves the status alone on earlier deliveries and on success', async () => {
    // Arrange
    const store = new MemoryStatusStore();
    await store.create(pendingRecord({ status: 'error', reason: 'scan could not complete, retrying' }));
    const failing = withDeadLetterReason(async () => Promise.reject(new Error('x')), options(store));
    const succeeding = withDeadLetterReason(async () => undefined, options(store));
    // Act
    await expect(failing(recordAt(4))).rejects.toThrow('x');
    await succeeding(recordAt(5));
    // Assert
    await expect(store.get(UPLOAD_ID)).resolves.toMatchObject({
      reason: 'scan could not complete, retrying',
    });
  });

  it('never moves a final status back, and a redrive that completes clears the reason', async () => {
    // Arrange: dead-lettered, then redriven and processed by the process step's usual write.
    const store = new MemoryStatusStore();
    await store.create(pendingRecord({ status: 'scanning' }));
    await expect(
      withDeadLetterReason(async () => Promise.reject(new Error('x')), options(store))(recordAt(5)),
    ).rejects.toThrow('x');
    // Act
    await store.update(UPLOAD_ID, { status: 'processed', processedKey: 'processed/k' }, [
      'pending',
      'scanning',
      'error',
    ]);
    await expect(
      withDeadLetterReason(
        async () => Promise.reject(new Error('late duplicate')),
        options(store),
      )(recordAt(9)),
    ).rejects.toThrow('late duplicate');
    // Assert
    const record = await store.get(UPLOAD_ID);
    expect(record?.status).toBe('processed');
    expect(record?.reason).toBeUndefined();
  });

  it('keeps the original error when recording the reason fails or the body names no upload', async () => {
    // Arrange
    const store = new MemoryStatusStore(); // no record: update rejects with StatusNotFoundError
    const problems: string[] = [];
    const failure = new Error('original');
    const handler = withDeadLetterReason(
      async () => Promise.reject(failure),
      options(store, {
        onRecordFailure: (uploadId, error) => problems.push(`${uploadId}: ${String(error)}`),
      }),
    );
    const unreadable = withDeadLetterReason(
      async () => Promise.reject(failure),
      options(store, {
        uploadIdsOf: () => {
          throw new SyntaxError('bad body');
        },
      }),
    );
    // Act / Assert
    await expect(handler(recordAt(5))).rejects.toBe(failure);
    await expect(unreadable(recordAt(5))).rejects.toBe(failure);
    expect(problems).toEqual([
      `${UPLOAD_ID}: StatusNotFoundError: status record ${UPLOAD_ID} does not exist`,
    ]);
  });
});
