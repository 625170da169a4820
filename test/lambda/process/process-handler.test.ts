import { CopyObjectCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { SQSEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';

import { createProcessHandler } from '../../../lambda/process/process-handler';
import type { ScanResultDetail } from '../../../core/events/scan-result-event';
import type { UploadManifest } from '../../../core/contracts/upload-manifest';
import { MemoryStatusStore } from '../../../core/status/memory-status-store';
import type { StatusRecord } from '../../../core/status/upload-status';
import { FakeS3, type FakeS3Options } from '../../core/intake/fake-s3';
import {
  PROCESSED,
  PROCESSED_KEY,
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
import { minimalPng, minimalWav } from '../../core/scan/fixtures';

const s3Mock = mockClient(S3Client);
const NOW = new Date('2025-03-04T06:00:00.000Z');

let store: MemoryStatusStore;

interface Case {
  readonly extension: string;
  readonly body: Buffer;
  readonly storedType: string;
  readonly record?: Partial<StatusRecord>;
  readonly detectedType?: string;
  readonly options?: FakeS3Options;
}

async function setup(testCase: Case) {
  const fakeS3 = new FakeS3(s3Mock, testCase.options);
  const key = uploadKey('u1', testCase.extension);
  const source = fakeS3.put(UPLOADS, key, testCase.body, {
    contentType: testCase.storedType,
    metadata: { 'upload-id': 'u1' },
  });
  await store.create(
    statusRecord('u1', {
      status: 'scanning',
      uploadKey: key,
      sourceVersionId: source.versionId,
      ...testCase.record,
    }),
  );
  const verdict = verdictFor(
    testCase.body,
    'CLEAN',
    testCase.detectedType ? { detectedType: testCase.detectedType } : {},
  );
  const detail = resultDetail('u1', key, source.versionId, verdict);
  const handler = createProcessHandler({
    s3: new S3Client({ region: 'eu-west-1' }),
    statusStore: store,
    config: { uploadsBucket: UPLOADS, processedBucket: PROCESSED, processedKeyId: PROCESSED_KEY },
    logger: recordingLogger(),
    metrics: recordingMetrics(),
    now: () => NOW,
  });
  return { fakeS3, key, source, detail, handler };
}

function batch(...details: ScanResultDetail[]): SQSEvent {
  return { Records: details.map((detail, index) => sqsRecord(`m${index + 1}`, resultsMessageBody(detail))) };
}

function manifestOf(fakeS3: FakeS3, processedKey: string): UploadManifest {
  return JSON.parse(fakeS3.current(PROCESSED, `${processedKey}.manifest.json`)!.body.toString('utf8'));
}

const PNG_CASE: Case = {
  extension: 'png',
  body: minimalPng(),
  storedType: 'image/png',
  detectedType: 'image/png',
};
const PROCESSED_PNG = 'processed/user-1/2025/03/04/u1.png';

beforeEach(() => {
  s3Mock.reset();
  store = new MemoryStatusStore({ now: () => NOW });
});

describe('process handler', () => {
  it('copies a clean upload with the detected type, writes the manifest, then deletes the source version', async () => {
    // Arrange
    const { fakeS3, key, source, detail, handler } = await setup({
      ...PNG_CASE,
      storedType: 'application/octet-stream',
      record: { contentType: 'application/octet-stream' },
    });
    // Act
    const response = await handler(batch(detail));
    // Assert
    expect(response.batchItemFailures).toEqual([]);
    const copy = fakeS3.current(PROCESSED, PROCESSED_PNG)!;
    expect(copy).toMatchObject({ contentType: 'image/png', sse: 'aws:kms', kmsKeyId: PROCESSED_KEY });
    expect(copy.body).toEqual(PNG_CASE.body);
    expect(fakeS3.versions(UPLOADS, key)).toHaveLength(0);
    expect(await store.get('u1')).toMatchObject({ status: 'processed', processedKey: PROCESSED_PNG });
    expect((await store.get('u1'))!.manifest).toEqual({
      sha256: detail.verdict.sha256,
      size: PNG_CASE.body.length,
      declaredType: 'application/octet-stream',
      detectedType: 'image/png',
      uploadedAt: '2025-03-04T05:06:07.000Z',
      processedAt: NOW.toISOString(),
      media: { image: { width: 1, height: 1 } },
    });
    expect(manifestOf(fakeS3, PROCESSED_PNG)).toEqual({
      manifestVersion: 1,
      uploadId: 'u1',
      owner: 'user-1',
      originalName: 'Holiday photo (1).png',
      size: PNG_CASE.body.length,
      sha256: detail.verdict.sha256,
      declaredType: 'application/octet-stream',
      detectedType: 'image/png',
      verdict: detail.verdict,
      source: { bucket: UPLOADS, key, versionId: source.versionId },
      processed: { bucket: PROCESSED, key: PROCESSED_PNG, versionId: copy.versionId },
      uploadedAt: '2025-03-04T05:06:07.000Z',
      processedAt: NOW.toISOString(),
      media: { image: { width: 1, height: 1 } },
    });
    const manifestPut = s3Mock.commandCalls(PutObjectCommand)[0]!.args[0].input;
    expect(manifestPut).toMatchObject({
      ContentType: 'application/json',
      ServerSideEncryption: 'aws:kms',
      SSEKMSKeyId: PROCESSED_KEY,
    });
  });

  it('reads image metadata with a ranged GET, never the whole object', async () => {
    // Arrange
    const { fakeS3, detail, handler } = await setup(PNG_CASE);
    // Act
    await handler(batch(detail));
    // Assert
    expect(fakeS3.reads.fullReads).toBe(0);
    expect(fakeS3.reads.ranges).toEqual([`bytes=0-${PNG_CASE.body.length - 1}`]);
    // Every read of the upload names its version (the processed bucket is only looked at for an earlier copy).
    expect(
      s3Mock
        .commandCalls(GetObjectCommand)
        .filter((call) => call.args[0].input.Bucket === UPLOADS)
        .every((call) => call.args[0].input.VersionId === detail.versionId),
    ).toBe(true);
  });

  it('reads WAV duration, sample rate and channels from the RIFF header', async () => {
    // Arrange
    const wav = minimalWav(8000);
    const { fakeS3, detail, handler } = await setup({
      extension: 'wav',
      body: wav,
      storedType: 'audio/wav',
      detectedType: 'audio/wav',
      record: { contentType: 'audio/wav', fileName: 'memo.wav' },
    });
    // Act
    await handler(batch(detail));
    // Assert
    const manifest = manifestOf(fakeS3, 'processed/user-1/2025/03/04/u1.wav');
    expect(manifest.media).toEqual({
      audio: { durationSeconds: 1, sampleRate: 8000, channels: 1, bitsPerSample: 16 },
    });
    expect((await store.get('u1'))!.manifest).toMatchObject({
      detectedType: 'audio/wav',
      media: manifest.media,
    });
    expect(fakeS3.reads.fullReads).toBe(0);
    expect(fakeS3.reads.ranges).toEqual(['bytes=0-4095']);
  });

  it('falls back to the declared type when nothing was detected, with no media metadata', async () => {
    // Arrange
    const { fakeS3, detail, handler } = await setup({
      extension: 'mp3',
      body: Buffer.from('ID3 not really audio'),
      storedType: 'audio/mpeg',
      record: { contentType: 'audio/mpeg' },
    });
    // Act
    await handler(batch(detail));
    // Assert
    expect(fakeS3.current(PROCESSED, 'processed/user-1/2025/03/04/u1.mp3')!.contentType).toBe('audio/mpeg');
    expect(manifestOf(fakeS3, 'processed/user-1/2025/03/04/u1.mp3').media).toEqual({});
    expect(fakeS3.reads.ranges).toEqual([]);
  });

  it('a crash between copy and delete loses nothing, and the re-run completes', async () => {
    // Arrange
    const { fakeS3, key, detail, handler } = await setup(PNG_CASE);
    fakeS3.failNextDeleteWith(new Error('Lambda timed out'));
    const crashed = await handler(batch(detail));
    expect(crashed.batchItemFailures).toEqual([{ itemIdentifier: 'm1' }]);
    expect(fakeS3.current(UPLOADS, key)!.body).toEqual(PNG_CASE.body);
    expect(fakeS3.current(PROCESSED, PROCESSED_PNG)!.body).toEqual(PNG_CASE.body);
    // Act
    const rerun = await handler(batch(detail));
    // Assert
    expect(rerun.batchItemFailures).toEqual([]);
    expect(fakeS3.versions(UPLOADS, key)).toHaveLength(0);
    expect(fakeS3.current(PROCESSED, PROCESSED_PNG)!.body).toEqual(PNG_CASE.body);
    expect(manifestOf(fakeS3, PROCESSED_PNG).sha256).toBe(detail.verdict.sha256);
    expect((await store.get('u1'))!.status).toBe('processed');
  });

  it('acknowledges a duplicate after the move completed', async () => {
    // Arrange
    const { detail, handler } = await setup(PNG_CASE);
    await handler(batch(detail));
    const copies = s3Mock.commandCalls(CopyObjectCommand).length;
    // Act
    const response = await handler(batch(detail));
    // Assert
    expect(response.batchItemFailures).toEqual([]);
    expect(s3Mock.commandCalls(CopyObjectCommand)).toHaveLength(copies);
  });

  it('moves once when one batch carries the same result twice', async () => {
    // Arrange
    const { detail, handler, fakeS3 } = await setup(PNG_CASE);
    // Act
    const response = await handler(batch(detail, detail));
    // Assert
    expect(response.batchItemFailures).toEqual([]);
    expect(s3Mock.commandCalls(CopyObjectCommand)).toHaveLength(1);
    expect(fakeS3.versions(PROCESSED, PROCESSED_PNG)).toHaveLength(1);
  });

  it('does not delete the source when the copy does not verify', async () => {
    // Arrange
    const { fakeS3, key, detail, handler } = await setup({ ...PNG_CASE, options: { corruptCopies: true } });
    // Act
    const response = await handler(batch(detail));
    // Assert
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'm1' }]);
    expect(fakeS3.current(UPLOADS, key)!.body).toEqual(PNG_CASE.body);
    expect(fakeS3.versions(PROCESSED, PROCESSED_PNG)).toHaveLength(0);
    expect((await store.get('u1'))!.status).toBe('scanning');
  });

  it('uses the streaming copy when the server answers 501, hashing what it uploads', async () => {
    // Arrange
    const { fakeS3, key, detail, handler } = await setup({
      ...PNG_CASE,
      options: { copyNotImplemented: true },
    });
    // Act
    const response = await handler(batch(detail));
    // Assert
    expect(response.batchItemFailures).toEqual([]);
    expect(fakeS3.current(PROCESSED, PROCESSED_PNG)).toMatchObject({
      contentType: 'image/png',
      kmsKeyId: PROCESSED_KEY,
    });
    expect(fakeS3.current(PROCESSED, PROCESSED_PNG)!.body).toEqual(PNG_CASE.body);
    expect(fakeS3.versions(UPLOADS, key)).toHaveLength(0);
  });

  it('after one 501 streams later copies straight away, without asking the server again', async () => {
    // Arrange
    const { fakeS3, detail, handler } = await setup({ ...PNG_CASE, options: { copyNotImplemented: true } });
    await handler(batch(detail));
    const key2 = uploadKey('u2', 'png');
    const source2 = fakeS3.put(UPLOADS, key2, PNG_CASE.body, {
      contentType: 'image/png',
      metadata: { 'upload-id': 'u2' },
    });
    await store.create(
      statusRecord('u2', { status: 'scanning', uploadKey: key2, sourceVersionId: source2.versionId }),
    );
    const detail2 = resultDetail(
      'u2',
      key2,
      source2.versionId,
      verdictFor(PNG_CASE.body, 'CLEAN', { detectedType: 'image/png' }),
    );
    // Act
    const response = await handler(batch(detail2));
    // Assert
    expect(response.batchItemFailures).toEqual([]);
    expect(s3Mock.commandCalls(CopyObjectCommand)).toHaveLength(1);
    expect((await store.get('u2'))!.status).toBe('processed');
  });

  it('fails a misrouted INFECTED result', async () => {
    // Arrange
    const { detail, handler } = await setup(PNG_CASE);
    // Act
    const response = await handler(batch({ ...detail, verdict: { ...detail.verdict, status: 'INFECTED' } }));
    // Assert
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'm1' }]);
  });
});

describe('process handler: end-to-end latency', () => {
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

  async function handlerWith(recorder: ReturnType<typeof valueMetrics>) {
    const fakeS3 = new FakeS3(s3Mock);
    const key = uploadKey('u1', 'png');
    const source = fakeS3.put(UPLOADS, key, PNG_CASE.body, {
      contentType: 'image/png',
      metadata: { 'upload-id': 'u1' },
    });
    await store.create(
      statusRecord('u1', { status: 'scanning', uploadKey: key, sourceVersionId: source.versionId }),
    );
    const detail = resultDetail(
      'u1',
      key,
      source.versionId,
      verdictFor(PNG_CASE.body, 'CLEAN', { detectedType: 'image/png' }),
    );
    const handler = createProcessHandler({
      s3: new S3Client({ region: 'eu-west-1' }),
      statusStore: store,
      config: { uploadsBucket: UPLOADS, processedBucket: PROCESSED, processedKeyId: PROCESSED_KEY },
      logger: recordingLogger(),
      metrics: recorder,
      now: () => NOW,
    });
    return { fakeS3, detail, handler };
  }

  it("emits EndToEndLatency in milliseconds from the upload's LastModified to the completed move", async () => {
    // Arrange: FakeS3 reports LastModified 2025-03-04T05:06:07.000Z; NOW is 06:00:00.000Z.
    const recorder = valueMetrics();
    const { detail, handler } = await handlerWith(recorder);
    // Act
    const response = await handler(batch(detail));
    // Assert
    expect(response.batchItemFailures).toEqual([]);
    expect(recorder.added).toEqual([
      { name: 'EndToEndLatency', unit: 'Milliseconds', value: 53 * 60_000 + 53_000 },
      { name: 'Processed', unit: 'Count', value: 1 },
    ]);
  });

  it('emits no latency for a move that crashed before the delete, and one for the re-run that completes it', async () => {
    // Arrange
    const recorder = valueMetrics();
    const { detail, fakeS3, handler } = await handlerWith(recorder);
    fakeS3.failNextDeleteWith(new Error('Lambda timed out'));
    // Act
    await handler(batch(detail));
    await handler(batch(detail));
    await handler(batch(detail));
    // Assert
    expect(recorder.added.map((m) => m.name)).toEqual([
      'ProcessFailures',
      'EndToEndLatency',
      'Processed',
      'ProcessDuplicate',
    ]);
  });
});
