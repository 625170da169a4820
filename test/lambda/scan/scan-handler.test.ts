import { createServer, type AddressInfo } from 'node:net';

import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { GetObjectCommand, HeadObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import type { SQSEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';

import { createScanHandler } from '../../../lambda/scan/scan-handler';
import type { ScanResultDetail } from '../../../core/events/scan-result-event';
import { EventBridgeResultsPublisher } from '../../../lambda/runtime/eventbridge-results-publisher';
import type { ScanDependencies } from '../../../core/intake/scan-object';
import { createBuiltinEngine } from '../../../core/scan/builtin-engine';
import { createClamdEngine } from '../../../core/scan/clamd-engine';
import { eicarBytes } from '../../../core/scan/eicar';
import type { ScanEngine } from '../../../core/scan/scan-engine';
import { MemoryStatusStore } from '../../../core/status/memory-status-store';
import { FakeS3 } from '../../core/intake/fake-s3';
import {
  recordingLogger,
  recordingMetrics,
  RESULTS_BUS,
  sqsRecord,
  statusRecord,
  uploadKey,
  UPLOADS,
} from '../../core/intake/pipeline-fixtures';
import { minimalPng } from '../../core/scan/fixtures';

const s3Mock = mockClient(S3Client);
const eventsMock = mockClient(EventBridgeClient);
const NOW = new Date('2025-03-04T05:06:07.000Z');

let fakeS3: FakeS3;
let store: MemoryStatusStore;
let metrics: ReturnType<typeof recordingMetrics>;

function handlerWith(
  engines: readonly ScanEngine[] = [createBuiltinEngine()],
  overrides: Partial<ScanDependencies> = {},
) {
  return createScanHandler({
    s3: new S3Client({ region: 'eu-west-1' }),
    results: new EventBridgeResultsPublisher({
      client: new EventBridgeClient({ region: 'eu-west-1' }),
      busName: RESULTS_BUS,
    }),
    statusStore: store,
    engines,
    config: { uploadsBucket: UPLOADS, guardDutyInconclusive: 'ERROR' },
    logger: recordingLogger(),
    metrics,
    now: () => NOW,
    ...overrides,
  });
}

/** The EventBridge Object Created event as the intake queue delivers it (key percent-encoded, + literal). */
function objectCreatedBody(key: string, versionId?: string, bucket = UPLOADS): string {
  const encoded = encodeURIComponent(key).replace(/%2F/g, '/').replace(/%2B/g, '+');
  return JSON.stringify({
    version: '0',
    source: 'aws.s3',
    'detail-type': 'Object Created',
    detail: {
      bucket: { name: bucket },
      object: { key: encoded, ...(versionId ? { 'version-id': versionId } : {}) },
    },
  });
}

function batch(...bodies: string[]): SQSEvent {
  return { Records: bodies.map((body, index) => sqsRecord(`m${index + 1}`, body)) };
}

/** Stores an upload as the presigned POST leaves it, with its status record. */
async function landUpload(uploadId: string, body: Buffer, options: { key?: string; metaId?: string } = {}) {
  const key = options.key ?? uploadKey(uploadId, 'png');
  await store.create(statusRecord(uploadId, { uploadKey: key }));
  return fakeS3.put(UPLOADS, key, body, {
    contentType: 'image/png',
    metadata: { 'upload-id': options.metaId ?? uploadId },
  });
}

function publishedDetails(): ScanResultDetail[] {
  return eventsMock
    .commandCalls(PutEventsCommand)
    .map((call) => JSON.parse(call.args[0].input.Entries![0]!.Detail!) as ScanResultDetail);
}

function tagsOf(key: string, versionId: string): Record<string, string> {
  const version = fakeS3.versions(UPLOADS, key).find((v) => v.versionId === versionId)!;
  return Object.fromEntries(version.tags.map((tag) => [tag.Key!, tag.Value!]));
}

beforeEach(() => {
  s3Mock.reset();
  eventsMock.reset();
  eventsMock.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e1' }] });
  fakeS3 = new FakeS3(s3Mock);
  store = new MemoryStatusStore({ now: () => NOW });
  metrics = recordingMetrics();
});

describe('scan handler', () => {
  it('scans a clean upload, tags exactly the four contract tags, records and publishes the verdict', async () => {
    // Arrange
    const png = minimalPng();
    const version = await landUpload('u1', png);
    const key = uploadKey('u1', 'png');
    // Act
    const response = await handlerWith()(batch(objectCreatedBody(key, version.versionId)));
    // Assert
    expect(response.batchItemFailures).toEqual([]);
    expect(tagsOf(key, version.versionId)).toEqual({
      'scan-status': 'CLEAN',
      'scan-engine': 'builtin',
      'scanned-at': NOW.toISOString(),
    });
    const [detail] = publishedDetails();
    expect(detail).toMatchObject({
      uploadId: 'u1',
      owner: 'user-1',
      bucket: UPLOADS,
      key,
      versionId: version.versionId,
    });
    expect(detail!.verdict).toMatchObject({ status: 'CLEAN', detectedType: 'image/png', size: png.length });
    const entry = eventsMock.commandCalls(PutEventsCommand)[0]!.args[0].input.Entries![0]!;
    expect(entry).toMatchObject({
      EventBusName: RESULTS_BUS,
      Source: 'stowage.intake',
      DetailType: 'Stowage Scan Result',
    });
    expect(await store.get('u1')).toMatchObject({
      status: 'scanning',
      sourceVersionId: version.versionId,
      verdict: detail!.verdict,
    });
    expect(metrics.names).toContain('ScanCLEAN');
  });

  it('replaces existing tags rather than adding to them', async () => {
    // Arrange
    const version = await landUpload('u1', minimalPng());
    version.tags = [{ Key: 'GuardDutyMalwareScanStatus', Value: 'NO_THREATS_FOUND' }];
    // Act
    await handlerWith()(batch(objectCreatedBody(uploadKey('u1', 'png'), version.versionId)));
    // Assert
    expect(Object.keys(tagsOf(uploadKey('u1', 'png'), version.versionId)).sort()).toEqual([
      'scan-engine',
      'scan-status',
      'scanned-at',
    ]);
  });

  it('reports only the bad record of a batch as failed', async () => {
    // Arrange
    const first = await landUpload('u1', minimalPng());
    const third = await landUpload('u3', minimalPng());
    const event = batch(
      objectCreatedBody(uploadKey('u1', 'png'), first.versionId),
      '{"not":"an event"}',
      objectCreatedBody(uploadKey('u3', 'png'), third.versionId),
    );
    // Act
    const response = await handlerWith()(event);
    // Assert
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'm2' }]);
    expect(
      publishedDetails()
        .map((detail) => detail.uploadId)
        .sort(),
    ).toEqual(['u1', 'u3']);
  });

  it('marks an infected upload with the signature', async () => {
    // Arrange
    const version = await landUpload('u1', eicarBytes());
    // Act
    await handlerWith()(batch(objectCreatedBody(uploadKey('u1', 'png'), version.versionId)));
    // Assert
    expect(tagsOf(uploadKey('u1', 'png'), version.versionId)).toMatchObject({
      'scan-status': 'INFECTED',
      'scan-signature': 'Eicar-Test-Signature',
    });
    expect(publishedDetails()[0]!.verdict.status).toBe('INFECTED');
  });

  it('sends zero-byte objects through the engines (SUSPICIOUS)', async () => {
    // Arrange
    const version = await landUpload('u1', Buffer.alloc(0));
    // Act
    const response = await handlerWith()(batch(objectCreatedBody(uploadKey('u1', 'png'), version.versionId)));
    // Assert
    expect(response.batchItemFailures).toEqual([]);
    expect(publishedDetails()[0]!.verdict).toMatchObject({
      status: 'SUSPICIOUS',
      size: 0,
      reason: 'empty object (0 bytes)',
    });
  });

  it('publishes the same single result for a duplicate delivery without scanning again', async () => {
    // Arrange
    const version = await landUpload('u1', minimalPng());
    const body = objectCreatedBody(uploadKey('u1', 'png'), version.versionId);
    const handler = handlerWith();
    await handler(batch(body));
    // Act
    const response = await handler(batch(body));
    // Assert
    expect(response.batchItemFailures).toEqual([]);
    expect(fakeS3.reads.fullReads).toBe(1);
    const [first, second] = publishedDetails();
    expect(second).toEqual(first);
    expect(metrics.names).toContain('ScanRepublished');
  });

  it('scans once when one batch carries the same object twice', async () => {
    // Arrange
    const version = await landUpload('u1', minimalPng());
    const body = objectCreatedBody(uploadKey('u1', 'png'), version.versionId);
    // Act
    const response = await handlerWith()({ Records: [sqsRecord('m1', body), sqsRecord('m2', body)] });
    // Assert
    expect(response.batchItemFailures).toEqual([]);
    expect(fakeS3.reads.fullReads).toBe(1);
    const [first, second] = publishedDetails();
    expect(second).toEqual(first);
  });

  it('after a crash between tagging and publishing, the re-run publishes the recorded verdict', async () => {
    // Arrange
    const version = await landUpload('u1', minimalPng());
    const body = objectCreatedBody(uploadKey('u1', 'png'), version.versionId);
    eventsMock
      .on(PutEventsCommand)
      .rejectsOnce(new Error('connection reset'))
      .resolves({ FailedEntryCount: 0 });
    const handler = handlerWith();
    const crashed = await handler(batch(body));
    // Act
    const rerun = await handler(batch(body));
    // Assert
    expect(crashed.batchItemFailures).toEqual([{ itemIdentifier: 'm1' }]);
    expect(rerun.batchItemFailures).toEqual([]);
    expect(fakeS3.reads.fullReads).toBe(1);
    expect(publishedDetails()[1]!.verdict).toEqual((await store.get('u1'))!.verdict);
  });

  it('fails the record when PutEvents reports a failed entry', async () => {
    // Arrange
    const version = await landUpload('u1', minimalPng());
    eventsMock.on(PutEventsCommand).resolves({
      FailedEntryCount: 1,
      Entries: [{ ErrorCode: 'ThrottlingException', ErrorMessage: 'slow down' }],
    });
    // Act
    const response = await handlerWith()(batch(objectCreatedBody(uploadKey('u1', 'png'), version.versionId)));
    // Assert
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'm1' }]);
    expect(metrics.names).toContain('ScanFailures');
  });

  it('acknowledges an object that is gone and sets the status to error with a reason', async () => {
    // Arrange
    await store.create(statusRecord('u1'));
    // Act
    const response = await handlerWith()(batch(objectCreatedBody(uploadKey('u1', 'png'), 'v-gone')));
    // Assert
    expect(response.batchItemFailures).toEqual([]);
    expect(await store.get('u1')).toMatchObject({
      status: 'error',
      reason: 'the uploaded file is no longer available',
    });
    expect(eventsMock.commandCalls(PutEventsCommand)).toHaveLength(0);
  });

  it('acknowledges a version deleted between HeadObject and GetObject', async () => {
    // Arrange
    const version = await landUpload('u1', minimalPng());
    s3Mock.on(GetObjectCommand).rejects(
      new S3ServiceException({
        name: 'NoSuchVersion',
        $fault: 'client',
        $metadata: { httpStatusCode: 404 },
        message: 'gone',
      }),
    );
    // Act
    const response = await handlerWith()(batch(objectCreatedBody(uploadKey('u1', 'png'), version.versionId)));
    // Assert
    expect(response.batchItemFailures).toEqual([]);
    expect((await store.get('u1'))!.status).toBe('error');
  });

  it.each([
    ['KMS AccessDenied', GetObjectCommand, 'AccessDenied', 403],
    ['throttling', HeadObjectCommand, 'SlowDown', 503],
  ] as const)('lets %s propagate so the record is retried', async (_name, command, code, httpStatusCode) => {
    // Arrange
    const version = await landUpload('u1', minimalPng());
    s3Mock.on(command).rejects(
      new S3ServiceException({
        name: code,
        $fault: 'client',
        $metadata: { httpStatusCode },
        message: code,
      }),
    );
    // Act
    const response = await handlerWith()(batch(objectCreatedBody(uploadKey('u1', 'png'), version.versionId)));
    // Assert
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'm1' }]);
    expect((await store.get('u1'))!.status).not.toBe('error');
    expect(eventsMock.commandCalls(PutEventsCommand)).toHaveLength(0);
  });

  it('clamd down: tags ERROR, sets status error, fails the record for a retry', async () => {
    // Arrange
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const version = await landUpload('u1', minimalPng());
    const engines = [createBuiltinEngine(), createClamdEngine({ port, connectTimeoutMs: 500 })];
    // Act
    const response = await handlerWith(engines)(
      batch(objectCreatedBody(uploadKey('u1', 'png'), version.versionId)),
    );
    // Assert
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'm1' }]);
    expect(tagsOf(uploadKey('u1', 'png'), version.versionId)).toMatchObject({
      'scan-status': 'ERROR',
      'scan-engine': 'clamav',
    });
    expect(await store.get('u1')).toMatchObject({
      status: 'error',
      reason: 'scan could not complete, retrying',
    });
    expect(eventsMock.commandCalls(PutEventsCommand)).toHaveLength(0);
  });

  it('rescans after an ERROR verdict once the engines work again', async () => {
    // Arrange
    const version = await landUpload('u1', minimalPng());
    const body = objectCreatedBody(uploadKey('u1', 'png'), version.versionId);
    const broken: ScanEngine = {
      name: 'clamav',
      scan: async () => ({ status: 'ERROR', engine: 'clamav', reason: 'down', bytesScanned: 0 }),
    };
    await handlerWith([createBuiltinEngine(), broken])(batch(body));
    // Act
    const response = await handlerWith()(batch(body));
    // Assert
    expect(response.batchItemFailures).toEqual([]);
    expect(publishedDetails()[0]!.verdict.status).toBe('CLEAN');
    expect((await store.get('u1'))!.status).toBe('scanning');
  });

  it('rejects an object whose metadata upload-id does not match its key: SUSPICIOUS, acknowledged, not scanned', async () => {
    // Arrange
    const version = await landUpload('u1', minimalPng(), { metaId: 'someone-else' });
    // Act
    const response = await handlerWith()(batch(objectCreatedBody(uploadKey('u1', 'png'), version.versionId)));
    // Assert
    expect(response.batchItemFailures).toEqual([]);
    expect(tagsOf(uploadKey('u1', 'png'), version.versionId)).toMatchObject({
      'scan-status': 'SUSPICIOUS',
      'scan-engine': 'pipeline',
    });
    expect(fakeS3.reads.fullReads).toBe(0);
    expect(eventsMock.commandCalls(PutEventsCommand)).toHaveLength(0);
    expect(await store.get('u1')).toMatchObject({
      status: 'error',
      reason: 'the upload does not match its upload request',
    });
    expect(metrics.names).toContain('ScanRejected');
  });

  it('rejects a key outside the uploads layout', async () => {
    // Arrange
    const version = fakeS3.put(UPLOADS, 'uploads/elsewhere/x.png', minimalPng(), { metadata: {} });
    // Act
    const response = await handlerWith()(
      batch(objectCreatedBody('uploads/elsewhere/x.png', version.versionId)),
    );
    // Assert
    expect(response.batchItemFailures).toEqual([]);
    expect(version.tags.find((tag) => tag.Key === 'scan-status')?.Value).toBe('SUSPICIOUS');
    expect(fakeS3.reads.fullReads).toBe(0);
  });

  it('ignores objects of other buckets', async () => {
    // Arrange / Act
    const response = await handlerWith()(
      batch(objectCreatedBody(uploadKey('u1', 'png'), 'v1', 'other-bucket')),
    );
    // Assert
    expect(response.batchItemFailures).toEqual([]);
    expect(metrics.names).toEqual(['ScanIgnored']);
  });

  it.each([
    ['aws:s3', (key: string) => encodeURIComponent(key).replace(/%2F/g, '/').replace(/%20/g, '+')],
    ['ceph:s3', (key: string) => key],
  ])('handles %s records, looking up a missing version id with HeadObject', async (eventSource, encode) => {
    // Arrange
    const key = 'uploads/ä user+1 (x)/2025/03/04/u1.png';
    const version = await landUpload('u1', minimalPng(), { key });
    const body = JSON.stringify({
      Records: [
        {
          eventSource,
          eventName: 'ObjectCreated:Post',
          s3: { bucket: { name: UPLOADS }, object: { key: encode(key), versionId: '' } },
        },
      ],
    });
    // Act
    const response = await handlerWith()(batch(body));
    // Assert
    expect(response.batchItemFailures).toEqual([]);
    expect(publishedDetails()[0]).toMatchObject({ key, versionId: version.versionId });
  });

  it('an event without a version id scans every version of its key: the first decides, the later is form-reused', async () => {
    // Arrange: one form POSTed twice (Ceph RGW's event names no version).
    const key = uploadKey('u1', 'png');
    const first = await landUpload('u1', minimalPng());
    const second = fakeS3.put(UPLOADS, key, minimalPng(), {
      contentType: 'image/png',
      metadata: { 'upload-id': 'u1' },
    });
    const body = JSON.stringify({
      Records: [
        {
          eventSource: 'ceph:s3',
          eventName: 'ObjectCreated:Post',
          s3: { bucket: { name: UPLOADS }, object: { key, versionId: '' } },
        },
      ],
    });
    // Act
    const response = await handlerWith()(batch(body));
    // Assert
    expect(response.batchItemFailures).toEqual([]);
    expect(
      publishedDetails().map((detail) => [detail.versionId, detail.verdict.status, detail.formReused]),
    ).toEqual([
      [first.versionId, 'CLEAN', undefined],
      [second.versionId, 'SUSPICIOUS', true],
    ]);
    expect(metrics.names).toEqual(['ScanCLEAN', 'ScanFormReused']);
    expect(await store.get('u1')).toMatchObject({ sourceVersionId: first.versionId });
    expect(tagsOf(key, second.versionId)).toMatchObject({
      'scan-status': 'SUSPICIOUS',
      'scan-engine': 'pipeline',
    });
  });

  it.each([
    ['names the later version by its ETag: only that version carries it', 'etag-v2', ['CLEAN', 'INFECTED']],
    [
      'names neither version: no version gets it, the engines still scan both',
      undefined,
      ['CLEAN', 'SUSPICIOUS'],
    ],
  ])('a GuardDuty result without a version id on a key with two versions %s', async (_, eTag, statuses) => {
    // Arrange
    const key = uploadKey('u1', 'png');
    await landUpload('u1', minimalPng());
    fakeS3.put(UPLOADS, key, minimalPng(), { contentType: 'image/png', metadata: { 'upload-id': 'u1' } });
    const body = JSON.stringify({
      source: 'aws.guardduty',
      'detail-type': 'GuardDuty Malware Protection Object Scan Result',
      detail: {
        s3ObjectDetails: { bucketName: UPLOADS, objectKey: key, ...(eTag ? { eTag } : {}) },
        scanResultDetails: { scanResultStatus: 'THREATS_FOUND', threats: [{ name: 'EICAR-Test-File' }] },
      },
    });
    // Act
    const response = await handlerWith()(batch(body));
    // Assert
    expect(response.batchItemFailures).toEqual([]);
    expect(publishedDetails().map((detail) => [detail.versionId, detail.verdict.status])).toEqual([
      ['v1', statuses[0]],
      ['v2', statuses[1]],
    ]);
  });

  it('combines a GuardDuty THREATS_FOUND result with the built-in scan (tag value sanitized)', async () => {
    // Arrange
    const version = await landUpload('u1', minimalPng());
    const body = JSON.stringify({
      source: 'aws.guardduty',
      'detail-type': 'GuardDuty Malware Protection Object Scan Result',
      detail: {
        s3ObjectDetails: {
          bucketName: UPLOADS,
          objectKey: uploadKey('u1', 'png'),
          versionId: version.versionId,
        },
        scanResultDetails: {
          scanResultStatus: 'THREATS_FOUND',
          threats: [{ name: 'EICAR-Test-File (not a virus)' }],
        },
      },
    });
    // Act
    const response = await handlerWith()(batch(body));
    // Assert
    expect(response.batchItemFailures).toEqual([]);
    expect(publishedDetails()[0]!.verdict).toMatchObject({
      status: 'INFECTED',
      engine: 'guardduty',
      signature: 'EICAR-Test-File (not a virus)',
    });
    expect(tagsOf(uploadKey('u1', 'png'), version.versionId)['scan-signature']).toBe(
      'EICAR-Test-File _not a virus_',
    );
  });
});
