import type { SQSEvent } from 'aws-lambda';

import { createResultsBatchHandler } from '../../../lambda/runtime/results-batch-handler';
import { MemoryStatusStore } from '../../../core/status/memory-status-store';
import {
  recordingMetrics,
  resultDetail,
  resultsMessageBody,
  sqsRecord,
  statusRecord,
  uploadKey,
  verdictFor,
} from '../../core/intake/pipeline-fixtures';

const UPLOAD_ID = '5f0c8a3e-1b2d-4c5e-8f9a-0b1c2d3e4f5a';

function eventAt(receiveCount: number): SQSEvent {
  const detail = resultDetail(
    UPLOAD_ID,
    uploadKey(UPLOAD_ID, 'png'),
    'v1',
    verdictFor(Buffer.from('x'), 'CLEAN'),
  );
  const record = sqsRecord('m1', resultsMessageBody(detail));
  return {
    Records: [
      { ...record, attributes: { ...record.attributes, ApproximateReceiveCount: String(receiveCount) } },
    ],
  };
}

describe('createResultsBatchHandler with dead-letter reasons', () => {
  async function setUp(handle: () => Promise<string>) {
    const store = new MemoryStatusStore();
    await store.create(
      statusRecord(UPLOAD_ID, { status: 'error', reason: 'scan could not complete, retrying' }),
    );
    const handler = createResultsBatchHandler({
      handle,
      metrics: recordingMetrics(),
      metricFor: (outcome) => outcome,
      failureMetric: 'Failures',
      deadLetter: {
        policy: { maxReceiveCount: 3 },
        statusStore: store,
        failure: 'moving the file to processed failed',
      },
    });
    return { store, handler };
  }

  it("records the dead-letter reason on the record's last failing delivery, and still reports the failure", async () => {
    // Arrange
    const { store, handler } = await setUp(async () => Promise.reject(new Error('AccessDenied')));
    // Act
    const response = await handler(eventAt(3));
    // Assert
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'm1' }]);
    await expect(store.get(UPLOAD_ID)).resolves.toMatchObject({
      status: 'error',
      reason: 'dead-lettered after 3 attempts: moving the file to processed failed',
    });
  });

  it('leaves the reason alone on earlier deliveries', async () => {
    // Arrange
    const { store, handler } = await setUp(async () => Promise.reject(new Error('throttled')));
    // Act
    const response = await handler(eventAt(2));
    // Assert
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'm1' }]);
    await expect(store.get(UPLOAD_ID)).resolves.toMatchObject({
      reason: 'scan could not complete, retrying',
    });
  });
});
