import { createHash } from 'node:crypto';

import { S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';

import type { ScanResultDetail } from '../../../core/events/scan-result-event';
import { ProcessedConflictError } from '../../../core/intake/processed-writes';
import { processUpload } from '../../../core/intake/process-upload';
import { scanObject } from '../../../core/intake/scan-object';
import { createBuiltinEngine } from '../../../core/scan/builtin-engine';
import { eicarBytes } from '../../../core/scan/eicar';
import { MemoryStatusStore } from '../../../core/status/memory-status-store';
import { minimalWav } from '../scan/fixtures';
import { FakeS3, type FakeVersion } from './fake-s3';
import { PipelineHarness } from './pipeline-harness';
import {
  PROCESSED,
  PROCESSED_KEY,
  QUARANTINE,
  recordingLogger,
  statusRecord,
  uploadKey,
  UPLOADS,
  verdictFor,
} from './pipeline-fixtures';

const s3Mock = mockClient(S3Client);
const KEY = uploadKey('u1', 'wav');
const PROCESSED_WAV = 'processed/user-1/2025/03/04/u1.wav';
const NAME = 'memo.wav';

const CLEAN_A = minimalWav(800);
const CLEAN_B = minimalWav(900);
const EICAR = eicarBytes();

let fakeS3: FakeS3;
let store: MemoryStatusStore;

beforeEach(async () => {
  s3Mock.reset();
  fakeS3 = new FakeS3(s3Mock, { copyNotImplemented: true });
  store = new MemoryStatusStore();
  await store.create(
    statusRecord('u1', { uploadKey: KEY, fileName: NAME, contentType: 'audio/wav', declaredSize: 2000 }),
  );
});

/** A POST of the form: a new version of the upload key, as the presigned POST leaves it. */
function post(body: Buffer): FakeVersion {
  return fakeS3.put(UPLOADS, KEY, body, { contentType: 'audio/wav', metadata: { 'upload-id': 'u1' } });
}

function sha256(body: Buffer): string {
  return createHash('sha256').update(body).digest('hex');
}

/** Every key of a bucket with the bodies of all its versions. */
function contents(bucket: string): Record<string, Buffer[]> {
  const keys = fakeS3.buckets.get(bucket) ?? new Map<string, FakeVersion[]>();
  return Object.fromEntries(
    [...keys.entries()]
      .filter(([, versions]) => versions.length > 0)
      .map(([key, versions]) => [key, versions.map((version) => version.body)]),
  );
}

/**
 * The invariants after the pipeline settled: nothing left in uploads; the first version in exactly one place decided
 * by its own verdict (processed holds only its bytes); every later version only in its own form-reused quarantine
 * key; the record bound to the first version with its verdict and hash, and a status that matches storage.
 */
async function expectSettled(first: FakeVersion, later: readonly FakeVersion[]): Promise<void> {
  expect(fakeS3.versions(UPLOADS, KEY)).toHaveLength(0);
  const record = (await store.get('u1'))!;
  expect(record.sourceVersionId).toBe(first.versionId);
  expect(record.verdict?.sha256).toBe(sha256(first.body));
  const expectedQuarantine: Record<string, Buffer[]> = {};
  for (const version of later) {
    expectedQuarantine[`quarantine/u1/form-reused/${version.versionId}/${NAME}`] = [version.body];
  }
  const quarantined = contents(QUARANTINE);
  const processed = contents(PROCESSED);
  // Re-runs may write a quarantine key twice; every version there must be the same bytes.
  const dedupe = (entries: Record<string, Buffer[]>) =>
    Object.fromEntries(
      Object.entries(entries).map(([key, bodies]) => [
        key,
        [...new Set(bodies.map((b) => b.toString('hex')))],
      ]),
    );
  if (first.body.equals(EICAR)) {
    expect(record).toMatchObject({ status: 'quarantined', quarantineKey: `quarantine/u1/${NAME}` });
    expect(record.verdict?.status).toBe('INFECTED');
    expectedQuarantine[`quarantine/u1/${NAME}`] = [first.body];
    expect(processed).toEqual({});
  } else {
    expect(record).toMatchObject({ status: 'processed', processedKey: PROCESSED_WAV });
    expect(record.verdict?.status).toBe('CLEAN');
    expect(record.manifest?.sha256).toBe(sha256(first.body));
    expect(Object.keys(processed).sort()).toEqual([PROCESSED_WAV, `${PROCESSED_WAV}.manifest.json`]);
    // Create-only: exactly one version of the processed object, with the first version's bytes.
    expect(processed[PROCESSED_WAV]).toEqual([first.body]);
    expect(processed[`${PROCESSED_WAV}.manifest.json`]).toHaveLength(1);
    const manifest = JSON.parse(processed[`${PROCESSED_WAV}.manifest.json`]![0]!.toString('utf8'));
    expect(manifest).toMatchObject({ sha256: sha256(first.body), source: { versionId: first.versionId } });
  }
  expect(dedupe(quarantined)).toEqual(dedupe(expectedQuarantine));
}

const COMBINATIONS: ReadonlyArray<readonly [string, Buffer, Buffer]> = [
  ['clean then clean', CLEAN_A, CLEAN_B],
  ['clean then EICAR', CLEAN_A, EICAR],
  ['EICAR then clean', EICAR, CLEAN_A],
  ['EICAR then EICAR', EICAR, EICAR],
];

describe('one presigned form used twice', () => {
  it.each(COMBINATIONS)('%s, both landed before any event (RGW: no version ids)', async (_, a, b) => {
    // Arrange
    const first = post(a);
    const second = post(b);
    const harness = new PipelineHarness(store);
    harness.objectCreated(KEY);
    harness.objectCreated(KEY);
    // Act
    await harness.settle();
    // Assert
    await expectSettled(first, [second]);
    expect(harness.retries).toBe(0);
  });

  it.each(COMBINATIONS)(
    '%s, one after the other (the first settled before the second POST)',
    async (_, a, b) => {
      // Arrange
      const harness = new PipelineHarness(store);
      const first = post(a);
      harness.objectCreated(KEY);
      await harness.settle();
      // Act
      const second = post(b);
      harness.objectCreated(KEY);
      await harness.settle();
      // Assert
      await expectSettled(first, [second]);
    },
  );

  it.each(COMBINATIONS)('%s, versioned events with the later version delivered first', async (_, a, b) => {
    // Arrange
    const first = post(a);
    const second = post(b);
    const harness = new PipelineHarness(store);
    harness.objectCreated(KEY, second.versionId);
    harness.objectCreated(KEY, first.versionId);
    // Act
    await harness.settle();
    // Assert
    await expectSettled(first, [second]);
  });

  it('three POSTs: the first decides, both later ones are quarantined as form-reused', async () => {
    // Arrange
    const first = post(CLEAN_A);
    const second = post(EICAR);
    const third = post(CLEAN_B);
    const harness = new PipelineHarness(store);
    harness.objectCreated(KEY);
    // Act
    await harness.settle();
    // Assert
    await expectSettled(first, [second, third]);
    const reused = harness.published.filter((detail) => detail.formReused);
    expect(reused.map((detail) => [detail.versionId, detail.verdict.status, detail.verdict.reason])).toEqual([
      [second.versionId, 'INFECTED', 'form-reused: Eicar-Test-Signature found in memo.wav'],
      [third.versionId, 'SUSPICIOUS', 'form-reused'],
    ]);
    expect(reused[1]!.verdict.sha256).toBe(sha256(CLEAN_B));
  });

  it('tags every version with the verdict it is published with (a clean later version reads SUSPICIOUS)', async () => {
    // Arrange
    const first = post(CLEAN_A);
    const second = post(CLEAN_B);
    const published: ScanResultDetail[] = [];
    // Act
    const outcomes = await scanObject(
      { object: { bucket: UPLOADS, key: KEY, source: 'ceph:s3' } },
      {
        s3: new S3Client({ region: 'eu-west-1' }),
        statusStore: store,
        engines: [createBuiltinEngine()],
        config: { uploadsBucket: UPLOADS, guardDutyInconclusive: 'ERROR' },
        logger: recordingLogger(),
        results: { publish: async (detail) => void published.push(detail) },
      },
    );
    // Assert
    expect(outcomes).toEqual([
      { kind: 'published', status: 'CLEAN', key: KEY, versionId: first.versionId },
      { kind: 'form-reused', status: 'SUSPICIOUS', key: KEY, versionId: second.versionId },
    ]);
    const tag = (version: FakeVersion) => version.tags.find((t) => t.Key === 'scan-status')?.Value;
    expect([tag(first), tag(second)]).toEqual(['CLEAN', 'SUSPICIOUS']);
    expect(published[1]).toMatchObject({ formReused: true, verdict: { engine: 'pipeline' } });
    expect(await store.get('u1')).toMatchObject({ sourceVersionId: first.versionId, status: 'scanning' });
  });
});

describe('listing the versions of a key', () => {
  it('a key whose newest entry is a delete marker is gone: its hidden versions are not resurrected', async () => {
    // Arrange
    post(CLEAN_A);
    fakeS3.deleteCurrent(UPLOADS, KEY);
    const harness = new PipelineHarness(store);
    harness.objectCreated(KEY);
    // Act
    await harness.settle();
    // Assert
    expect(harness.published).toEqual([]);
    expect(await store.get('u1')).toMatchObject({
      status: 'error',
      reason: 'the uploaded file is no longer available',
    });
    expect(contents(PROCESSED)).toEqual({});
  });

  it('a POST after a delete marker is the upload version', async () => {
    // Arrange
    post(CLEAN_A);
    fakeS3.deleteCurrent(UPLOADS, KEY);
    const after = post(CLEAN_B);
    const harness = new PipelineHarness(store);
    harness.objectCreated(KEY);
    // Act
    await harness.settle();
    // Assert
    expect(harness.published.map((detail) => detail.versionId)).toEqual([after.versionId]);
    expect(await store.get('u1')).toMatchObject({ status: 'processed', sourceVersionId: after.versionId });
  });
});

describe('a crash at every step, then the re-run', () => {
  for (const [name, a, b] of COMBINATIONS) {
    it(`${name}: every crash point settles to the same end state`, async () => {
      // Arrange: count the side effects of a run without faults.
      post(a);
      post(b);
      const clean = new PipelineHarness(store);
      clean.objectCreated(KEY);
      clean.objectCreated(KEY);
      await clean.settle();
      const steps = clean.calls;
      expect(steps).toBeGreaterThan(10);

      for (let at = 1; at <= steps; at++) {
        s3Mock.reset();
        fakeS3 = new FakeS3(s3Mock, { copyNotImplemented: true });
        store = new MemoryStatusStore();
        await store.create(
          statusRecord('u1', {
            uploadKey: KEY,
            fileName: NAME,
            contentType: 'audio/wav',
            declaredSize: 2000,
          }),
        );
        const first = post(a);
        const second = post(b);
        const harness = new PipelineHarness(store, { at });
        harness.objectCreated(KEY);
        harness.objectCreated(KEY);
        // Act
        await harness.settle();
        // Assert
        expect(harness.retries).toBe(1);
        await expectSettled(first, [second]);
      }
    });
  }
});

describe('create-only writes into processed', () => {
  function processDeps() {
    return {
      s3: new S3Client({ region: 'eu-west-1' }),
      statusStore: store,
      config: { uploadsBucket: UPLOADS, processedBucket: PROCESSED, processedKeyId: PROCESSED_KEY },
      logger: recordingLogger(),
    };
  }

  it('refuses to replace processed/<id> holding other bytes: a conflict; source and record untouched', async () => {
    // Arrange
    const version = post(CLEAN_A);
    await store.update('u1', { status: 'scanning', sourceVersionId: version.versionId });
    fakeS3.put(PROCESSED, PROCESSED_WAV, CLEAN_B, {
      metadata: { sha256: sha256(CLEAN_B), 'source-version-id': 'other' },
    });
    const verdict = verdictFor(CLEAN_A, 'CLEAN', { detectedType: 'audio/wav' });
    // Act
    const run = processUpload(
      { uploadId: 'u1', owner: 'user-1', bucket: UPLOADS, key: KEY, versionId: version.versionId, verdict },
      processDeps(),
    );
    // Assert
    await expect(run).rejects.toBeInstanceOf(ProcessedConflictError);
    await expect(run).rejects.toThrow(/already holds .* not version v1/);
    expect(fakeS3.versions(PROCESSED, PROCESSED_WAV).map((v) => v.body)).toEqual([CLEAN_B]);
    expect(fakeS3.versions(UPLOADS, KEY)).toHaveLength(1);
    expect((await store.get('u1'))!.status).toBe('scanning');
  });

  it('treats an existing copy as done when it is the same version with the same SHA-256', async () => {
    // Arrange
    const version = post(CLEAN_A);
    await store.update('u1', { status: 'scanning', sourceVersionId: version.versionId });
    const verdict = verdictFor(CLEAN_A, 'CLEAN', { detectedType: 'audio/wav' });
    const detail = {
      uploadId: 'u1',
      owner: 'user-1',
      bucket: UPLOADS,
      key: KEY,
      versionId: version.versionId,
      verdict,
    };
    fakeS3.failNextDeleteWith(new Error('crash before the delete'));
    await expect(processUpload(detail, processDeps())).rejects.toThrow('crash before the delete');
    // Act
    const outcome = await processUpload(detail, processDeps());
    // Assert
    expect(outcome).toMatchObject({ kind: 'processed', copy: { method: 'existing' } });
    expect(fakeS3.versions(PROCESSED, PROCESSED_WAV)).toHaveLength(1);
    expect(fakeS3.versions(UPLOADS, KEY)).toHaveLength(0);
  });

  it('a concurrent writer between the look and the conditional PUT: the 412 is verified, nothing is written twice', async () => {
    // Arrange: the look finds nothing; right after it, another run stores the same version's copy and manifest.
    const version = post(CLEAN_A);
    await store.update('u1', { status: 'scanning', sourceVersionId: version.versionId });
    const verdict = verdictFor(CLEAN_A, 'CLEAN', { detectedType: 'audio/wav' });
    const detail = {
      uploadId: 'u1',
      owner: 'user-1',
      bucket: UPLOADS,
      key: KEY,
      versionId: version.versionId,
      verdict,
    };
    const base = new S3Client({ region: 'eu-west-1' });
    const send = base.send.bind(base) as (command: unknown) => Promise<unknown>;
    let raced = false;
    const racing = new Proxy(base, {
      get: (target, property, receiver) => {
        if (property !== 'send') return Reflect.get(target, property, receiver) as unknown;
        return async (command: { constructor: { name: string }; input: { Bucket?: string } }) => {
          try {
            return await send(command);
          } catch (error) {
            if (
              !raced &&
              command.constructor.name === 'HeadObjectCommand' &&
              command.input.Bucket === PROCESSED
            ) {
              raced = true;
              fakeS3.put(PROCESSED, PROCESSED_WAV, CLEAN_A, {
                metadata: { sha256: sha256(CLEAN_A), 'source-version-id': version.versionId },
              });
            }
            throw error;
          }
        };
      },
    });
    // Act
    const outcome = await processUpload(detail, { ...processDeps(), s3: racing });
    // Assert
    expect(raced).toBe(true);
    expect(outcome).toMatchObject({ kind: 'processed', copy: { method: 'existing' } });
    expect(fakeS3.versions(PROCESSED, PROCESSED_WAV)).toHaveLength(1);
    expect(fakeS3.versions(UPLOADS, KEY)).toHaveLength(0);
  });

  it('never processes a version other than the one the record is bound to', async () => {
    // Arrange
    const first = post(CLEAN_A);
    const second = post(CLEAN_B);
    await store.update('u1', { status: 'scanning', sourceVersionId: first.versionId });
    const verdict = verdictFor(CLEAN_B, 'CLEAN');
    // Act
    const run = processUpload(
      { uploadId: 'u1', owner: 'user-1', bucket: UPLOADS, key: KEY, versionId: second.versionId, verdict },
      processDeps(),
    );
    // Assert
    await expect(run).rejects.toThrow(/not the version upload u1 is bound to \(v1\)/);
    expect(contents(PROCESSED)).toEqual({});
  });

  it('never processes a result marked formReused', async () => {
    // Arrange
    const first = post(CLEAN_A);
    await store.update('u1', { status: 'scanning', sourceVersionId: first.versionId });
    // Act
    const run = processUpload(
      {
        uploadId: 'u1',
        owner: 'user-1',
        bucket: UPLOADS,
        key: KEY,
        versionId: first.versionId,
        verdict: verdictFor(CLEAN_A, 'CLEAN'),
        formReused: true,
      },
      processDeps(),
    );
    // Assert
    await expect(run).rejects.toThrow(/formReused/);
  });
});
