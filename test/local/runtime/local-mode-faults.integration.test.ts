/**
 * clamd faults under local mode (its own RGW and clamd, in process): a hung clamd (SIGSTOP) holds neither an
 * EICAR upload, which the built-in engine decides alone, nor a clean one, which fails its scan after the
 * size-based timeout and is retried (then processed once clamd runs again); a killed clamd is restarted by local
 * mode's supervisor and the next upload is scanned by it; one that hangs for good is restarted after failed health
 * checks; a dead-lettered upload's reason says so until a redrive completes it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import type { UploadStatusView } from '../../../lambda/intake-api/get-upload-status';
import type { PresignedUpload } from '../../../lambda/intake-api/presign-upload';
import { eicarBytes } from '../../../core/scan/eicar';
import { startLocalMode, type LocalMode } from '../../../local/runtime/local-mode';
import { isProcessAlive, readPidFile } from '../../../local/servers/process';
import { stopClamd } from '../../../local/servers/clamd';
import { stopRgw } from '../../../local/servers/rgw';
import { postPresignedForm } from '../../support/integration/presigned-post';
import { waitFor } from '../../support/integration/wait-for';

const USER = 'faults-user';
/** clamd's verdict wait in this test: 2 s + size at 16 MiB/s (small PDFs: about 2 s). */
const FLOOR_MS = 2_000;

function cleanPdf(text: string): Buffer {
  return Buffer.from(
    `%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n` +
      `% ${text}\ntrailer<</Root 1 0 R>>\n%%EOF\n`,
  );
}

describe('local mode and clamd faults', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'stowage-local-faults-'));
  const err: string[] = [];
  let local: LocalMode;
  let token: string;
  const clamdPid = (): number => readPidFile(path.join(dataDir, 'clamd', 'clamd.pid')) as number;

  beforeAll(async () => {
    local = await startLocalMode({
      dataDir,
      port: 0,
      logLevel: 'SILENT',
      verifyAtStart: false,
      clamdScanTimeout: { scanTimeoutFloorMs: FLOOR_MS },
      supervision: { backoffMs: 200, checkIntervalMs: 100 },
      out: () => undefined,
      err: (line) => err.push(line),
    });
    token = await local.mintToken(USER);
  }, 120_000);

  afterAll(async () => {
    try {
      process.kill(clamdPid(), 'SIGCONT');
    } catch {
      // not running
    }
    await local?.stop();
    await Promise.all([
      stopRgw({ dataDir: path.join(dataDir, 'rgw') }),
      stopClamd({ dataDir: path.join(dataDir, 'clamd') }),
    ]);
    rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);

  async function upload(fileName: string, bytes: Buffer): Promise<PresignedUpload> {
    const response = await fetch(`${local.apiUrl}/uploads`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ fileName, contentType: 'application/pdf', size: bytes.length }),
    });
    expect(response.status).toBe(201);
    const presigned = (await response.json()) as PresignedUpload;
    expect((await postPresignedForm(presigned.url, presigned.fields, bytes, fileName)).status).toBe(204);
    return presigned;
  }

  async function statusOf(uploadId: string): Promise<UploadStatusView> {
    const response = await fetch(`${local.apiUrl}/uploads/${uploadId}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    return (await response.json()) as UploadStatusView;
  }

  function until(uploadId: string, wanted: string, timeoutMs: number): Promise<UploadStatusView> {
    return waitFor(
      `${uploadId} to be ${wanted}`,
      async () => {
        const view = await statusOf(uploadId);
        return view.status === wanted ? view : undefined;
      },
      { timeoutMs, intervalMs: 100 },
    );
  }

  it('quarantines EICAR at once and retries a clean upload while clamd hangs (SIGSTOP), then processes it', async () => {
    // Arrange
    const pid = clamdPid();
    process.kill(pid, 'SIGSTOP');
    try {
      // Act
      const started = Date.now();
      const infected = await upload('hung eicar.pdf', eicarBytes());
      const clean = await upload('hung clean.pdf', cleanPdf('while clamd hangs'));

      // Assert: EICAR is decided by the built-in engine without waiting for clamd.
      const quarantined = await until(infected.uploadId, 'quarantined', 10_000);
      expect(Date.now() - started).toBeLessThan(FLOOR_MS + 3_000);
      expect(quarantined.verdict).toMatchObject({ status: 'INFECTED', engine: 'builtin' });
      // The clean one fails its scan after the floor and waits for its retry, not 120 s.
      const retrying = await until(clean.uploadId, 'error', FLOOR_MS + 10_000);
      expect(retrying.reason).toBe('scan could not complete, retrying');
      // Once clamd runs again, a retry completes it.
      process.kill(pid, 'SIGCONT');
      const processed = await until(clean.uploadId, 'processed', 30_000);
      expect(processed.verdict).toMatchObject({ status: 'CLEAN', engine: 'builtin+clamav' });
    } finally {
      process.kill(pid, 'SIGCONT');
    }
  }, 60_000);

  it('gives a dead-lettered upload a reason that says so, and a redrive that completes it clears the reason', async () => {
    // Arrange: clamd hangs through every delivery of the upload's message.
    const pid = clamdPid();
    const queue = local.intake.queues.intake;
    const deadBefore = queue.deadLettered.length;
    process.kill(pid, 'SIGSTOP');
    let uploadId: string;
    try {
      uploadId = (await upload('dead letter.pdf', cleanPdf('dead-lettered'))).uploadId;
      // Act
      await waitFor(
        'the message in the DLQ',
        () => (queue.deadLettered.length > deadBefore ? true : undefined),
        {
          timeoutMs: 60_000,
          intervalMs: 100,
        },
      );
      // Assert
      await expect(statusOf(uploadId)).resolves.toMatchObject({
        status: 'error',
        reason: 'dead-lettered after 5 attempts: scan could not complete',
      });
    } finally {
      process.kill(pid, 'SIGCONT');
    }

    // Act: the redrive (what the operations handler does on AWS) with clamd running again.
    queue.send(queue.deadLettered[deadBefore]!.body);

    // Assert
    const processed = await until(uploadId, 'processed', 30_000);
    expect(processed.reason).toBeUndefined();
    expect(processed.verdict).toMatchObject({ status: 'CLEAN', engine: 'builtin+clamav' });
  }, 120_000);

  it('restarts a killed clamd and scans the next upload with it', async () => {
    // Arrange
    const before = clamdPid();

    // Act
    process.kill(before, 'SIGKILL');
    await waitFor('clamd restarted', () => err.find((line) => line.includes('clamd restarted')), {
      timeoutMs: 20_000,
    });
    const uploaded = await upload('after restart.pdf', cleanPdf('after the restart'));

    // Assert
    const view = await until(uploaded.uploadId, 'processed', 30_000);
    expect(view.verdict).toMatchObject({ status: 'CLEAN', engine: 'builtin+clamav' });
    expect(clampLines(err)).toEqual([
      `stowage local: clamd pid ${before} exited unexpectedly; restarting it in 200 ms (attempt 1 of 5)`,
      `stowage local: clamd restarted (pid ${clamdPid()})`,
    ]);
    expect(clamdPid()).not.toBe(before);
  }, 60_000);

  it('restarts RGW when radosgw dies, keeping its port and data, and the pipeline goes on', async () => {
    // Arrange
    const radosgw = readPidFile(path.join(dataDir, 'rgw', 'pid', 'radosgw.pid')) as number;
    expect(radosgw).toBeGreaterThan(0);

    // Act
    process.kill(radosgw, 'SIGKILL');
    await waitFor('RGW restarted', () => err.find((line) => line.includes('RGW restarted')), {
      timeoutMs: 60_000,
    });
    const uploaded = await upload('after rgw restart.pdf', cleanPdf('after the RGW restart'));

    // Assert
    await expect(until(uploaded.uploadId, 'processed', 30_000)).resolves.toMatchObject({
      status: 'processed',
    });
    expect(err.join('\n')).toContain(
      `stowage local: RGW pid ${radosgw} exited unexpectedly; restarting it in 200 ms`,
    );
  }, 90_000);
});

function clampLines(lines: readonly string[]): string[] {
  return lines.filter((line) => line.includes('clamd') && !line.includes('dead letter'));
}

describe('local mode and a clamd that hangs for good', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'stowage-local-hung-'));
  const err: string[] = [];
  let local: LocalMode;
  const clamdPid = (): number => readPidFile(path.join(dataDir, 'clamd', 'clamd.pid')) as number;

  beforeAll(async () => {
    local = await startLocalMode({
      dataDir,
      port: 0,
      logLevel: 'SILENT',
      verifyAtStart: false,
      supervision: { backoffMs: 200, checkIntervalMs: 100, healthCheckIntervalMs: 500, unhealthyAfter: 3 },
      out: () => undefined,
      err: (line) => err.push(line),
    });
  }, 120_000);

  afterAll(async () => {
    await local?.stop();
    await Promise.all([
      stopRgw({ dataDir: path.join(dataDir, 'rgw') }),
      stopClamd({ dataDir: path.join(dataDir, 'clamd') }),
    ]);
    rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);

  it('restarts a clamd that stops answering (SIGSTOP) after its failed health checks', async () => {
    // Arrange
    const hung = clamdPid();

    // Act
    process.kill(hung, 'SIGSTOP');
    await waitFor('clamd restarted', () => err.find((line) => line.includes('clamd restarted')), {
      timeoutMs: 40_000,
      intervalMs: 100,
    });

    // Assert
    expect(err[0]).toBe(
      `stowage local: clamd (pid ${hung}) did not answer 3 health checks in a row; restarting it in 200 ms ` +
        '(attempt 1 of 5)',
    );
    expect(clamdPid()).not.toBe(hung);
    expect(isProcessAlive(hung)).toBe(false);
  }, 60_000);
});
