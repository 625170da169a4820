import {
  CopyObjectCommand,
  DeleteObjectCommand,
  HeadObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import type { SQSEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';

import { createQuarantineHandler } from '../../../lambda/quarantine/quarantine-handler';
import type { ScanResultDetail } from '../../../core/events/scan-result-event';
import { eicarBytes } from '../../../core/scan/eicar';
import { MemoryStatusStore } from '../../../core/status/memory-status-store';
import { FakeS3, type FakeS3Options } from '../../core/intake/fake-s3';
import {
  QUARANTINE,
  QUARANTINE_KEY,
  recordingLogger,
  recordingMetrics,
  resultDetail,
  resultsMessageBody,
  sqsRecord,
  statusRecord,
  uploadKey,
  UPLOADS,
  verdictFor,
} from '../../core/intake/pipeline-fixtures';

const s3Mock = mockClient(S3Client);
const KEY = uploadKey('u1', 'png');
const QUARANTINE_OBJECT = 'quarantine/u1/Holiday photo (1).png';
const BODY = eicarBytes();

let store: MemoryStatusStore;
let metrics: ReturnType<typeof recordingMetrics>;

function setup(options: FakeS3Options = {}) {
  const fakeS3 = new FakeS3(s3Mock, options);
  const source = fakeS3.put(UPLOADS, KEY, BODY, {
    contentType: 'image/png',
    metadata: { 'upload-id': 'u1' },
    tags: [{ Key: 'scan-status', Value: 'INFECTED' }],
  });
  const detail = resultDetail(
    'u1',
    KEY,
    source.versionId,
    verdictFor(BODY, 'INFECTED', { signature: 'Eicar-Test-Signature' }),
  );
  const handler = createQuarantineHandler({
    s3: new S3Client({ region: 'eu-west-1' }),
    statusStore: store,
    config: { uploadsBucket: UPLOADS, quarantineBucket: QUARANTINE, quarantineKeyId: QUARANTINE_KEY },
    logger: recordingLogger(),
    metrics,
  });
  return { fakeS3, source, detail, handler };
}

function batch(...details: ScanResultDetail[]): SQSEvent {
  return { Records: details.map((detail, index) => sqsRecord(`m${index + 1}`, resultsMessageBody(detail))) };
}

beforeEach(async () => {
  s3Mock.reset();
  store = new MemoryStatusStore();
  metrics = recordingMetrics();
  await store.create(statusRecord('u1', { status: 'scanning' }));
});

describe('quarantine handler', () => {
  it('copies the exact version server-side under the quarantine key, verified, then deletes the source version', async () => {
    // Arrange
    const { fakeS3, detail, handler, source } = setup();
    // Act
    const response = await handler(batch(detail));
    // Assert
    expect(response.batchItemFailures).toEqual([]);
    const copy = fakeS3.current(QUARANTINE, QUARANTINE_OBJECT)!;
    expect(copy.body).toEqual(BODY);
    expect(copy).toMatchObject({ sse: 'aws:kms', kmsKeyId: QUARANTINE_KEY, contentType: 'image/png' });
    expect(copy.metadata).toEqual({
      'upload-id': 'u1',
      'scan-status': 'INFECTED',
      'scan-engine': 'builtin',
      'scan-signature': 'Eicar-Test-Signature',
      sha256: detail.verdict.sha256,
      'source-bucket': UPLOADS,
      'source-key': encodeURIComponent(KEY),
      'source-version-id': source.versionId,
    });
    const copyCall = s3Mock.commandCalls(CopyObjectCommand)[0]!.args[0].input;
    expect(copyCall).toMatchObject({
      CopySource: `${UPLOADS}/${KEY}?versionId=${source.versionId}`,
      ChecksumAlgorithm: 'SHA256',
      ServerSideEncryption: 'aws:kms',
      SSEKMSKeyId: QUARANTINE_KEY,
    });
    expect(s3Mock.commandCalls(DeleteObjectCommand)[0]!.args[0].input).toEqual({
      Bucket: UPLOADS,
      Key: KEY,
      VersionId: source.versionId,
    });
    expect(fakeS3.versions(UPLOADS, KEY)).toHaveLength(0);
    expect(await store.get('u1')).toMatchObject({ status: 'quarantined', quarantineKey: QUARANTINE_OBJECT });
  });

  it.each([
    ['marked formReused', true],
    ['for a version other than the one the record is bound to', false],
  ])(
    'quarantines a later version (%s) under its own form-reused key and leaves the record alone',
    async (_, marked) => {
      // Arrange
      const { fakeS3, detail, handler, source } = setup();
      await store.update('u1', {
        sourceVersionId: 'v-first',
        status: 'processed',
        processedKey: 'processed/x',
      });
      // Act
      const response = await handler(batch(marked ? { ...detail, formReused: true } : detail));
      // Assert
      expect(response.batchItemFailures).toEqual([]);
      const reusedKey = `quarantine/u1/form-reused/${source.versionId}/Holiday photo (1).png`;
      expect(fakeS3.current(QUARANTINE, reusedKey)!.body).toEqual(BODY);
      expect(fakeS3.current(QUARANTINE, QUARANTINE_OBJECT)).toBeUndefined();
      expect(fakeS3.versions(UPLOADS, KEY)).toHaveLength(0);
      expect(await store.get('u1')).toMatchObject({ status: 'processed', sourceVersionId: 'v-first' });
      // A duplicate after the move finds the source gone and reports it moved.
      const again = await handler(batch(marked ? { ...detail, formReused: true } : detail));
      expect(again.batchItemFailures).toEqual([]);
      expect(metrics.names).toContain('QuarantineDuplicate');
    },
  );

  it('a crash between copy and delete loses nothing, and the re-run completes the move', async () => {
    // Arrange
    const { fakeS3, detail, handler } = setup();
    fakeS3.failNextDeleteWith(new Error('Lambda timed out'));
    const crashed = await handler(batch(detail));
    expect(crashed.batchItemFailures).toEqual([{ itemIdentifier: 'm1' }]);
    expect(fakeS3.current(UPLOADS, KEY)!.body).toEqual(BODY);
    expect(fakeS3.current(QUARANTINE, QUARANTINE_OBJECT)!.body).toEqual(BODY);
    // Act
    const rerun = await handler(batch(detail));
    // Assert
    expect(rerun.batchItemFailures).toEqual([]);
    expect(fakeS3.versions(UPLOADS, KEY)).toHaveLength(0);
    expect(fakeS3.current(QUARANTINE, QUARANTINE_OBJECT)!.body).toEqual(BODY);
    expect((await store.get('u1'))!.status).toBe('quarantined');
  });

  it('does not delete the source when the copy does not verify, and removes the bad copy', async () => {
    // Arrange
    const { fakeS3, detail, handler } = setup({ corruptCopies: true });
    // Act
    const response = await handler(batch(detail));
    // Assert
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'm1' }]);
    expect(fakeS3.current(UPLOADS, KEY)!.body).toEqual(BODY);
    expect(fakeS3.versions(QUARANTINE, QUARANTINE_OBJECT)).toHaveLength(0);
    expect(s3Mock.commandCalls(DeleteObjectCommand).map((call) => call.args[0].input.Bucket)).toEqual([
      QUARANTINE,
    ]);
    expect((await store.get('u1'))!.status).toBe('scanning');
    expect(metrics.names).toEqual(['QuarantineFailures']);
  });

  it('falls back to a streamed, hashed copy when the server answers 501 NotImplemented', async () => {
    // Arrange
    const { fakeS3, detail, handler } = setup({ copyNotImplemented: true });
    // Act
    const response = await handler(batch(detail));
    // Assert
    expect(response.batchItemFailures).toEqual([]);
    const copy = fakeS3.current(QUARANTINE, QUARANTINE_OBJECT)!;
    expect(copy.body).toEqual(BODY);
    expect(copy).toMatchObject({ sse: 'aws:kms', kmsKeyId: QUARANTINE_KEY });
    expect(copy.metadata['source-version-id']).toBe(detail.versionId);
    expect(fakeS3.versions(UPLOADS, KEY)).toHaveLength(0);
  });

  it('streamed copy whose bytes differ from the verdict sha256: no delete', async () => {
    // Arrange
    const { fakeS3, detail, handler } = setup({ copyNotImplemented: true });
    const wrong = { ...detail, verdict: { ...detail.verdict, sha256: 'f'.repeat(64) } };
    // Act
    const response = await handler(batch(wrong));
    // Assert
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'm1' }]);
    expect(fakeS3.current(UPLOADS, KEY)!.body).toEqual(BODY);
    expect(fakeS3.versions(QUARANTINE, QUARANTINE_OBJECT)).toHaveLength(0);
  });

  it('acknowledges a duplicate after the move completed', async () => {
    // Arrange
    const { detail, handler } = setup();
    await handler(batch(detail));
    // Act
    const response = await handler(batch(detail));
    // Assert
    expect(response.batchItemFailures).toEqual([]);
    expect(metrics.names).toEqual(['EndToEndLatency', 'Quarantined', 'QuarantineDuplicate']);
  });

  it('acknowledges a source that vanished before the move, with status error', async () => {
    // Arrange
    const { detail, handler } = setup();
    const gone = { ...detail, versionId: 'v-unknown' };
    // Act
    const response = await handler(batch(gone));
    // Assert
    expect(response.batchItemFailures).toEqual([]);
    expect(await store.get('u1')).toMatchObject({
      status: 'error',
      reason: 'the uploaded file is no longer available',
    });
  });

  it('propagates an unexpected copy error (KMS AccessDenied)', async () => {
    // Arrange
    const { fakeS3, detail, handler } = setup();
    s3Mock.on(CopyObjectCommand).rejects(
      new S3ServiceException({
        name: 'AccessDenied',
        $fault: 'client',
        $metadata: { httpStatusCode: 403 },
        message: 'kms',
      }),
    );
    // Act
    const response = await handler(batch(detail));
    // Assert
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'm1' }]);
    expect(fakeS3.current(UPLOADS, KEY)).toBeDefined();
  });

  it('fails a misrouted CLEAN result and an invalid message', async () => {
    // Arrange
    const { detail, handler } = setup();
    const clean = { ...detail, verdict: { ...detail.verdict, status: 'CLEAN' as const } };
    const event = batch(clean);
    event.Records.push(sqsRecord('m2', '{"source":"stowage.intake"}'));
    // Act
    const response = await handler(event);
    // Assert
    expect(response.batchItemFailures).toHaveLength(2);
    expect(response.batchItemFailures).toEqual(
      expect.arrayContaining([{ itemIdentifier: 'm1' }, { itemIdentifier: 'm2' }]),
    );
  });
});

describe('quarantine handler: end-to-end latency', () => {
  const COMPLETED = new Date('2025-03-04T05:08:07.500Z');

  /** Records every metric with its unit and value. */
  function valueMetrics() {
    const added: Array<{ name: string; unit: string; value: number }> = [];
    return {
      added,
      addMetric: (name: string, unit: string, value: number) => {
        added.push({ name, unit, value });
      },
      publishStoredMetrics: () => undefined,
    };
  }

  function handlerWith(recorder: ReturnType<typeof valueMetrics>) {
    return createQuarantineHandler({
      s3: new S3Client({ region: 'eu-west-1' }),
      statusStore: store,
      config: { uploadsBucket: UPLOADS, quarantineBucket: QUARANTINE, quarantineKeyId: QUARANTINE_KEY },
      logger: recordingLogger(),
      metrics: recorder,
      now: () => COMPLETED,
    });
  }

  it("emits EndToEndLatency in milliseconds from the upload's LastModified to the completed move", async () => {
    // Arrange: FakeS3 reports LastModified 2025-03-04T05:06:07.000Z; the verdict was written a minute later.
    const { detail } = setup();
    const scannedLater = { ...detail, verdict: { ...detail.verdict, scannedAt: '2025-03-04T05:07:07.000Z' } };
    const recorder = valueMetrics();
    // Act
    const response = await handlerWith(recorder)(batch(scannedLater));
    // Assert
    expect(response.batchItemFailures).toEqual([]);
    expect(recorder.added).toEqual([
      { name: 'EndToEndLatency', unit: 'Milliseconds', value: 120_500 },
      { name: 'Quarantined', unit: 'Count', value: 1 },
    ]);
  });

  it('falls back to the scan time when S3 reports no LastModified', async () => {
    // Arrange
    const { detail, source } = setup();
    s3Mock.on(HeadObjectCommand).resolves({
      VersionId: source.versionId,
      ContentLength: BODY.length,
      ContentType: 'image/png',
      Metadata: { 'upload-id': 'u1' },
    });
    const recorder = valueMetrics();
    // Act
    const response = await handlerWith(recorder)(batch(detail));
    // Assert: scannedAt is 2025-03-04T05:06:07.000Z
    expect(response.batchItemFailures).toEqual([]);
    expect(recorder.added[0]).toEqual({ name: 'EndToEndLatency', unit: 'Milliseconds', value: 120_500 });
  });

  it('emits no latency unless this run completed the move: not for a crash before the delete, nor a duplicate', async () => {
    // Arrange
    const { detail, fakeS3 } = setup();
    fakeS3.failNextDeleteWith(new Error('Lambda timed out'));
    const crashed = valueMetrics();
    const rerun = valueMetrics();
    const later = valueMetrics();
    // Act
    await handlerWith(crashed)(batch(detail));
    await handlerWith(rerun)(batch(detail));
    await handlerWith(later)(batch(detail));
    // Assert
    expect(crashed.added.map((m) => m.name)).toEqual(['QuarantineFailures']);
    expect(rerun.added.map((m) => m.name)).toEqual(['EndToEndLatency', 'Quarantined']);
    expect(later.added.map((m) => m.name)).toEqual(['QuarantineDuplicate']);
  });
});
