/**
 * The whole intake flow against the real servers: presign → a real multipart POST to Ceph RGW → RGW's
 * object-created notification → scan (built-in engine + clamd) → quarantine or process → status. Everything runs
 * through createLocalIntake, i.e. the same handlers Lambda runs, fed by local queues.
 */
import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { DeleteObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';

import type { UploadManifest } from '../../core/contracts/upload-manifest';
import { startClamd, type ClamdServer } from '../../local/servers/clamd';
import { postPresignedForm } from '../support/integration/presigned-post';
import { waitFor } from '../support/integration/wait-for';
import { deleteFaultClient, FlowHarness, KiB, MiB, servers, USER } from './flow-harness';
import {
  disguisedExecutable,
  eicarGzip,
  eicarZip,
  wavDurationSeconds,
  wavFile,
  wavWithEicarAcrossBoundary,
} from './intake-fixtures';
import { eicarBytes } from '../../core/scan/eicar';

const CLAMAV_TESTFILE = '/usr/share/clamav-testfiles/clam.zip';

describe('intake flow: presign → POST to RGW → event → scan → quarantine/process → status', () => {
  const flow = new FlowHarness('flow');
  const processFaults = deleteFaultClient(flow.buckets.uploads);
  const quarantineFaults = deleteFaultClient(flow.buckets.uploads);

  beforeAll(async () => {
    await flow.setUp({
      clamd: servers.clamd,
      maxReceiveCount: 3,
      s3Clients: { process: processFaults.client, quarantine: quarantineFaults.client },
    });
  });

  afterEach(async () => {
    await flow.settled();
    expect(flow.deadLetters()).toEqual({ intake: 0, quarantine: 0, process: 0 });
  });

  afterAll(async () => {
    await flow.tearDown();
    processFaults.client.destroy();
    quarantineFaults.client.destroy();
  });

  /** Asserts the upload left `uploads` and sits quarantined with the contract tags; returns the tags. */
  async function expectQuarantined(presigned: { uploadId: string; key: string }, fileName: string) {
    const view = await flow.finalStatus(presigned.uploadId);
    const quarantineKey = `quarantine/${presigned.uploadId}/${fileName}`;
    expect(view.status).toBe('quarantined');
    expect(await flow.keys(flow.buckets.uploads, presigned.key)).toEqual([]);
    expect(await flow.keys(flow.buckets.quarantine, `quarantine/${presigned.uploadId}/`)).toEqual([
      quarantineKey,
    ]);
    expect(await flow.keys(flow.buckets.processed)).not.toContain(
      expect.stringContaining(presigned.uploadId),
    );
    const tags = await flow.tags(flow.buckets.quarantine, quarantineKey);
    expect(Object.keys(tags).sort()).toEqual(
      view.verdict?.signature === undefined
        ? ['scan-engine', 'scan-status', 'scanned-at']
        : ['scan-engine', 'scan-signature', 'scan-status', 'scanned-at'],
    );
    expect(tags['scan-status']).toBe(view.verdict?.status);
    return { view, tags };
  }

  describe('the presigned POST policy, enforced by RGW', () => {
    it('refuses a file larger than the declared size (400 EntityTooLarge) and stores nothing', async () => {
      // Arrange
      const presigned = await flow.presign('song.wav', 'audio/wav', KiB);
      // Act
      const posted = await postPresignedForm(presigned.url, presigned.fields, wavFile(KiB + 1));
      // Assert
      expect(posted.status).toBe(400);
      expect(posted.body).toContain('EntityTooLarge');
      expect(await flow.keys(flow.buckets.uploads, presigned.key)).toEqual([]);
      expect((await flow.status(presigned.uploadId)).status).toBe('pending');
    });

    it('refuses a Content-Type other than the presigned one (403) and stores nothing', async () => {
      // Arrange
      const presigned = await flow.presign('song.wav', 'audio/wav', KiB);
      // Act
      const posted = await postPresignedForm(
        presigned.url,
        { ...presigned.fields, 'Content-Type': 'image/png' },
        wavFile(KiB),
      );
      // Assert
      expect(posted.status).toBe(403);
      expect(await flow.keys(flow.buckets.uploads, presigned.key)).toEqual([]);
    });
  });

  describe('malware is quarantined', () => {
    it.each([
      ['plain, under a unicode name', 'ä eicar+1%(x).mp3', 'audio/mpeg', () => eicarBytes()],
      ['in a zip', 'archive.zip', 'application/zip', eicarZip],
      ['in a gzip', 'notes.gz', 'application/gzip', eicarGzip],
      [
        'across a 64 KiB chunk boundary of a large WAV',
        'long.wav',
        'audio/wav',
        () => wavWithEicarAcrossBoundary(MiB),
      ],
    ])('EICAR %s → INFECTED, moved to quarantine', async (_case, fileName, contentType, bytes) => {
      // Arrange
      const body = bytes();
      // Act
      const presigned = await flow.upload(fileName, contentType, body);
      // Assert
      const { view, tags } = await expectQuarantined(presigned, fileName);
      expect(view.verdict).toMatchObject({
        status: 'INFECTED',
        signature: expect.stringMatching(/^Eicar-Test-Signature/),
      });
      expect(tags['scan-signature']).toMatch(/^Eicar-Test-Signature/);
      const copy = await flow.read(flow.buckets.quarantine, `quarantine/${presigned.uploadId}/${fileName}`);
      expect(copy.equals(body)).toBe(true);
    });

    it('a ClamAV test file (clam.zip) → INFECTED by clamd with a ClamAV-Test-File signature', async () => {
      // Arrange
      const body = readFileSync(CLAMAV_TESTFILE);
      // Act
      const presigned = await flow.upload('clam.zip', 'application/zip', body);
      // Assert
      const { view, tags } = await expectQuarantined(presigned, 'clam.zip');
      expect(view.verdict).toMatchObject({ status: 'INFECTED', engine: 'clamav' });
      expect(view.verdict?.signature).toMatch(/^ClamAV-Test-File/);
      expect(tags['scan-engine']).toBe('clamav');
    });

    it('a disguised executable (MZ bytes declared audio/mpeg) → SUSPICIOUS, quarantined', async () => {
      // Act
      const presigned = await flow.upload('track.mp3', 'audio/mpeg', disguisedExecutable());
      // Assert
      const { view, tags } = await expectQuarantined(presigned, 'track.mp3');
      expect(view.verdict).toMatchObject({ status: 'SUSPICIOUS', engine: 'builtin' });
      expect(tags).toMatchObject({ 'scan-status': 'SUSPICIOUS', 'scan-engine': 'builtin' });
    });

    it('a zero-byte object (put directly: the API refuses size 0) → SUSPICIOUS, quarantined', async () => {
      // Arrange
      const uploadId = randomUUID();
      const key = `uploads/${USER}/2025/03/04/${uploadId}.wav`;
      // Act
      await flow.putDirect(key, uploadId, 'audio/wav', Buffer.alloc(0), 'empty.wav');
      // Assert
      const { view } = await expectQuarantined({ uploadId, key }, 'empty.wav');
      expect(view.verdict).toMatchObject({ status: 'SUSPICIOUS', engine: 'builtin' });
      expect((await flow.read(flow.buckets.quarantine, `quarantine/${uploadId}/empty.wav`)).length).toBe(0);
    });
  });

  describe('clean uploads are processed', () => {
    it('a clean WAV → processed with the detected Content-Type and a manifest', async () => {
      // Arrange
      const body = wavFile(256 * KiB);
      // Act
      const presigned = await flow.upload('Take 1.wav', 'audio/wav', body);
      // Assert
      const view = await flow.finalStatus(presigned.uploadId);
      const processedKey = presigned.key.replace(/^uploads\//, 'processed/');
      expect(view).toMatchObject({ status: 'processed', processedKey, verdict: { status: 'CLEAN' } });
      expect(await flow.keys(flow.buckets.uploads, presigned.key)).toEqual([]);
      expect(await flow.keys(flow.buckets.processed, processedKey)).toEqual([
        processedKey,
        `${processedKey}.manifest.json`,
      ]);
      const head = await flow.s3.send(
        new HeadObjectCommand({ Bucket: flow.buckets.processed, Key: processedKey }),
      );
      expect(head.ContentType).toBe('audio/wav');
      expect(head.ServerSideEncryption).toBe('aws:kms');
      expect((await flow.read(flow.buckets.processed, processedKey)).equals(body)).toBe(true);
      expect(await flow.tags(flow.buckets.processed, processedKey)).toEqual({
        'scan-status': 'CLEAN',
        'scan-engine': 'builtin+clamav',
        'scanned-at': view.verdict?.scannedAt,
      });
      const manifest = JSON.parse(
        (await flow.read(flow.buckets.processed, `${processedKey}.manifest.json`)).toString('utf8'),
      ) as UploadManifest;
      expect(manifest).toMatchObject({
        uploadId: presigned.uploadId,
        owner: USER,
        originalName: 'Take 1.wav',
        size: body.length,
        sha256: createHash('sha256').update(body).digest('hex'),
        declaredType: 'audio/wav',
        detectedType: 'audio/wav',
        source: { bucket: flow.buckets.uploads, key: presigned.key },
        media: {
          audio: { durationSeconds: wavDurationSeconds(body.length), sampleRate: 44_100, channels: 2 },
        },
      });
    });

    it('a key with spaces, +, % and unicode (put directly) survives the whole path', async () => {
      // Arrange
      const uploadId = randomUUID();
      const userSegment = 'ä user+1%(x) 😀';
      const key = `uploads/${userSegment}/2025/03/04/${uploadId}.wav`;
      const body = wavFile(8 * KiB);
      // Act
      await flow.putDirect(key, uploadId, 'audio/wav', body, 'ä file+1%(x).wav');
      // Assert
      const view = await flow.finalStatus(uploadId);
      const processedKey = `processed/${userSegment}/2025/03/04/${uploadId}.wav`;
      expect(view).toMatchObject({ status: 'processed', processedKey });
      expect(await flow.keys(flow.buckets.uploads, `uploads/${userSegment}/`)).toEqual([]);
      expect((await flow.read(flow.buckets.processed, processedKey)).equals(body)).toBe(true);
      const manifest = JSON.parse(
        (await flow.read(flow.buckets.processed, `${processedKey}.manifest.json`)).toString('utf8'),
      ) as UploadManifest;
      expect(manifest.source.key).toBe(key);
      expect(manifest.processed.key).toBe(processedKey);
    });
  });

  describe('at-least-once delivery and failures', () => {
    it('a duplicate notification yields one result: one processed object, one manifest, status unchanged', async () => {
      // Arrange
      const body = wavFile(64 * KiB);
      const presigned = await flow.presign('dup.wav', 'audio/wav', body.length);
      flow.intake.queues.intake.pause();
      const posted = await postPresignedForm(presigned.url, presigned.fields, body);
      const notification = await waitFor('the RGW notification', () =>
        flow.notifications.find((n) => n.includes(presigned.uploadId)),
      );
      const processedBefore = flow.intake.metrics.process.count('Processed');
      // Act
      flow.intake.queues.intake.send(notification);
      flow.intake.queues.intake.resume();
      // Assert
      expect(posted.status).toBe(204);
      const view = await flow.finalStatus(presigned.uploadId);
      await flow.settled();
      const after = await flow.status(presigned.uploadId);
      const processedKey = presigned.key.replace(/^uploads\//, 'processed/');
      expect(after).toEqual(view);
      expect(after.status).toBe('processed');
      expect(await flow.keys(flow.buckets.processed, processedKey)).toEqual([
        processedKey,
        `${processedKey}.manifest.json`,
      ]);
      expect(await flow.keys(flow.buckets.uploads, presigned.key)).toEqual([]);
      expect(flow.intake.metrics.process.count('Processed') - processedBefore).toBe(1);
      const manifest = JSON.parse(
        (await flow.read(flow.buckets.processed, `${processedKey}.manifest.json`)).toString('utf8'),
      ) as UploadManifest;
      expect(manifest.sha256).toBe(createHash('sha256').update(body).digest('hex'));
    });

    it('an object deleted before its scan is acknowledged with status error, nothing dead-lettered', async () => {
      // Arrange
      const presigned = await flow.presign('gone.wav', 'audio/wav', 4 * KiB);
      flow.intake.queues.intake.pause();
      await postPresignedForm(presigned.url, presigned.fields, wavFile(4 * KiB));
      await waitFor('the RGW notification', () =>
        flow.notifications.find((n) => n.includes(presigned.uploadId)),
      );
      await flow.s3.send(new DeleteObjectCommand({ Bucket: flow.buckets.uploads, Key: presigned.key }));
      // Act
      flow.intake.queues.intake.resume();
      // Assert
      const view = await flow.finalStatus(presigned.uploadId);
      expect(view).toMatchObject({ status: 'error', reason: 'the uploaded file is no longer available' });
      expect(flow.intake.metrics.scan.count('ScanObjectGone')).toBeGreaterThanOrEqual(1);
    });

    it.each([
      ['process', 'clean.wav', 'audio/wav', () => wavFile(32 * KiB), processFaults, 'processed'],
      ['quarantine', 'bad.mp3', 'audio/mpeg', () => eicarBytes(), quarantineFaults, 'quarantined'],
    ] as const)(
      'a %s record whose DeleteObject fails after the copy is retried and completes, nothing lost',
      async (_step, fileName, contentType, bytes, faults, expected) => {
        // Arrange
        const body = bytes();
        faults.fail(1);
        const before = faults.injected();
        // Act
        const presigned = await flow.upload(fileName, contentType, body);
        // Assert
        const view = await flow.finalStatus(presigned.uploadId);
        await flow.settled();
        expect(faults.injected() - before).toBe(1);
        expect(view.status).toBe(expected);
        expect(await flow.versions(flow.buckets.uploads, presigned.key)).toEqual([]);
        const destination =
          expected === 'processed'
            ? await flow.keys(flow.buckets.processed, presigned.key.replace(/^uploads\//, 'processed/'))
            : await flow.keys(flow.buckets.quarantine, `quarantine/${presigned.uploadId}/`);
        expect(destination).toHaveLength(expected === 'processed' ? 2 : 1);
        const copyKey = destination[0]!;
        const bucket = expected === 'processed' ? flow.buckets.processed : flow.buckets.quarantine;
        expect((await flow.read(bucket, copyKey)).equals(body)).toBe(true);
        if (expected === 'processed') {
          // Writes into processed are create-only: RGW refused the re-run's copy and manifest (412), which the
          // re-run verified as its own earlier copy, so each key still has exactly one version.
          expect(await flow.versions(flow.buckets.processed, copyKey)).toHaveLength(2);
          expect(
            (await flow.versions(flow.buckets.processed, copyKey)).filter((v) => v.startsWith(`${copyKey}#`)),
          ).toHaveLength(1);
        }
      },
    );
  });
});

describe('intake flow with a clamd whose stream limit is 1 MiB', () => {
  const flow = new FlowHarness('limit');
  const clamdDir = mkdtempSync(path.join(tmpdir(), 'stowage-flow-clamd-'));
  let limited: ClamdServer;

  beforeAll(async () => {
    limited = await startClamd({ dataDir: clamdDir, maxScanBytes: MiB, detached: false });
    await flow.setUp({ clamd: { host: limited.host, port: limited.port }, maxReceiveCount: 2 });
  });

  afterAll(async () => {
    await flow.tearDown();
    await limited.stop();
    rmSync(clamdDir, { recursive: true, force: true });
  });

  it('an over-limit stream is an ERROR, never CLEAN: retried, dead-lettered, kept unreadable in uploads', async () => {
    // Arrange
    const body = wavFile(2 * MiB);
    // Act
    const presigned = await flow.upload('long take.wav', 'audio/wav', body);
    // Assert
    await waitFor('the intake record to be dead-lettered', () =>
      flow.intake.queues.intake.deadLettered.length > 0 ? true : undefined,
    );
    await flow.settled();
    const view = await flow.status(presigned.uploadId);
    expect(view.status).toBe('error');
    expect(view.verdict).toMatchObject({ status: 'ERROR', engine: 'clamav' });
    expect(flow.deadLetters()).toEqual({ intake: 1, quarantine: 0, process: 0 });
    expect(flow.intake.metrics.scan.count('ScanCLEAN')).toBe(0);
    expect(await flow.keys(flow.buckets.uploads)).toEqual([presigned.key]);
    expect(await flow.tags(flow.buckets.uploads, presigned.key)).toMatchObject({
      'scan-status': 'ERROR',
      'scan-engine': 'clamav',
    });
    expect(await flow.keys(flow.buckets.processed)).toEqual([]);
    expect(await flow.keys(flow.buckets.quarantine)).toEqual([]);
  });
});
