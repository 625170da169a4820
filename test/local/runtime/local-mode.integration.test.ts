/**
 * `stowage local` in-process against real servers: its own Ceph RGW on a persistent (bluestore) store and its own
 * clamd in a temporary data directory, then a variant on the run's test RGW (`--s3-endpoint`). Every upload goes
 * the whole way: local JWT → POST /uploads (the Lambda handler behind the HTTP front) → a browser-style presigned
 * POST straight to RGW → RGW's notification → local queues → scan (built-in + clamd) → process or quarantine.
 */
import { createHash, generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import {
  GetBucketCorsCommand,
  GetBucketLifecycleConfigurationCommand,
  GetBucketTaggingCommand,
  GetBucketVersioningCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  type LifecycleRule,
  type S3Client,
} from '@aws-sdk/client-s3';
import { SignJWT } from 'jose';

import type { UploadStatusView } from '../../../lambda/intake-api/get-upload-status';
import type { PresignedUpload } from '../../../lambda/intake-api/presign-upload';
import { createS3Client } from '../../../core/aws/s3-client';
import { eicarBytes } from '../../../core/scan/eicar';
import { loadConfig } from '../../../lib/config';
import { BUCKET_PURPOSES } from '../../../lib/config/naming';
import { localLifecycleRules } from '../../../local/runtime/local-buckets';
import { readLocalState } from '../../../local/runtime/local-data-dir';
import { LOCAL_JWT_ISSUER } from '../../../local/runtime/local-jwt';
import { startLocalMode, type LocalMode, type LocalModeOptions } from '../../../local/runtime/local-mode';
import { startClamd, stopClamd } from '../../../local/servers/clamd';
import { getFreePort } from '../../../local/servers/net';
import { isProcessAlive } from '../../../local/servers/process';
import { startRgw, stopRgw } from '../../../local/servers/rgw';
import { postPresignedForm } from '../../support/integration/presigned-post';
import { deleteBucketWithContents, getTestServers } from '../../support/integration/servers';
import { waitFor } from '../../support/integration/wait-for';

const USER = 'local-it-user';
/** Local mode's console, dropped (tests that read it use a Console). */
const quiet: Pick<LocalModeOptions, 'out' | 'err' | 'logLevel'> = {
  out: () => undefined,
  err: () => undefined,
  logLevel: 'SILENT',
};
const FINAL = ['processed', 'quarantined', 'error'];
const dev = loadConfig('dev', { environment: {} });

/** A small, valid PDF: what the built-in engine's magic-byte check expects of application/pdf. */
function cleanPdf(text: string): Buffer {
  return Buffer.from(
    `%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n` +
      `% ${text}\ntrailer<</Root 1 0 R>>\n%%EOF\n`,
  );
}

/** Local mode's console, kept for assertions. */
class Console {
  readonly out: string[] = [];
  readonly err: string[] = [];
  options(): Pick<LocalModeOptions, 'out' | 'err'> {
    return { out: (line) => this.out.push(line), err: (line) => this.err.push(line) };
  }
}

async function presign(
  local: LocalMode,
  token: string | undefined,
  body: { fileName: string; contentType: string; size: number },
): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(`${local.apiUrl}/uploads`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

/** Presign through the API, then the browser-style POST straight to the S3 server. */
async function upload(
  local: LocalMode,
  token: string,
  fileName: string,
  contentType: string,
  bytes: Buffer,
): Promise<PresignedUpload> {
  const presigned = await presign(local, token, { fileName, contentType, size: bytes.length });
  expect(presigned.status).toBe(201);
  const upload = presigned.json as unknown as PresignedUpload;
  const posted = await postPresignedForm(upload.url, upload.fields, bytes, fileName);
  expect(posted.status).toBe(204);
  return upload;
}

async function status(
  local: LocalMode,
  token: string,
  uploadId: string,
): Promise<{ status: number; view: UploadStatusView }> {
  const response = await fetch(`${local.apiUrl}/uploads/${uploadId}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  return { status: response.status, view: (await response.json()) as UploadStatusView };
}

async function finalStatus(local: LocalMode, token: string, uploadId: string): Promise<UploadStatusView> {
  return waitFor(
    `a final status of ${uploadId}`,
    async () => {
      const { view } = await status(local, token, uploadId);
      return FINAL.includes(view.status) ? view : undefined;
    },
    { timeoutMs: 30_000, intervalMs: 100 },
  );
}

/** A token signed by a key that is not local mode's (what a forger has), otherwise valid. */
async function forgedToken(): Promise<string> {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({})
    .setProtectedHeader({ alg: 'RS256', kid: 'forged' })
    .setIssuer(LOCAL_JWT_ISSUER)
    .setAudience(dev.intake.jwt.audiences[0] as string)
    .setSubject(USER)
    .setIssuedAt(now)
    .setExpirationTime(now + 3600)
    .sign(privateKey);
}

function s3Of(local: LocalMode): S3Client {
  return createS3Client(local.s3);
}

describe('local mode with its own RGW (bluestore) and clamd', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'stowage-local-it-'));
  const consoleA = new Console();
  let local: LocalMode | undefined;
  let token = '';
  const kept: {
    processed?: PresignedUpload;
    processedBytes?: Buffer;
    quarantined?: PresignedUpload;
    processedKey?: string;
  } = {};

  function running(): LocalMode {
    if (!local) throw new Error('local mode is not running');
    return local;
  }

  beforeAll(async () => {
    local = await startLocalMode({ dataDir, port: 0, logLevel: 'SILENT', ...consoleA.options() });
    token = await local.mintToken(USER);
  }, 120_000);

  afterAll(async () => {
    await local?.stop();
    // Whatever a failed test left running from this directory.
    await Promise.all([
      stopRgw({ dataDir: path.join(dataDir, 'rgw') }),
      stopClamd({ dataDir: path.join(dataDir, 'clamd') }),
    ]);
    rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);

  it('prints the API, S3 and page URLs first, one per line, and writes the same facts to local.json', () => {
    // Arrange
    const { apiUrl, s3Url, pageUrl } = running();

    // Act
    const state = readLocalState(dataDir);

    // Assert
    expect(consoleA.out.slice(0, 3)).toEqual([`API: ${apiUrl}`, `S3: ${s3Url}`, `Page: ${pageUrl}`]);
    expect(apiUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(pageUrl).toBe(`${apiUrl}/`);
    expect(consoleA.out.join('\n')).toContain(`STOWAGE_S3_ENDPOINT=${s3Url}`);
    expect(consoleA.out.join('\n')).toContain('STOWAGE_BACKUPS_BUCKET=stowage-dev-backups');
    expect(consoleA.out.join('\n')).toContain(`npx stowage local token --user NAME --data-dir ${dataDir}`);
    expect(state).toMatchObject({ running: true, pid: process.pid, apiUrl, s3Url, pageUrl, dataDir });
    expect(state?.s3.managed).toBe(true);
  });

  it('creates the five dev buckets: versioned, with the config-derived lifecycle, tags and upload CORS', async () => {
    // Arrange
    const s3 = s3Of(running());
    try {
      for (const purpose of BUCKET_PURPOSES) {
        const Bucket = running().buckets[purpose];

        // Act
        const versioning = await s3.send(new GetBucketVersioningCommand({ Bucket }));
        const lifecycle = await s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket }));
        const tags = await s3.send(new GetBucketTaggingCommand({ Bucket }));

        // Assert
        expect(Bucket).toBe(`stowage-dev-${purpose}`);
        expect(versioning.Status).toBe('Enabled');
        const byId = (rules: LifecycleRule[] | undefined): LifecycleRule[] =>
          [...(rules ?? [])].sort((a, b) => (a.ID ?? '').localeCompare(b.ID ?? ''));
        const expected = byId(localLifecycleRules(dev, purpose));
        const actual = byId(lifecycle.Rules);
        expect(actual.map((rule) => rule.ID)).toEqual(expected.map((rule) => rule.ID));
        for (const [i, rule] of expected.entries()) {
          expect(actual[i]).toMatchObject({
            Status: 'Enabled',
            ...(rule.Expiration ? { Expiration: rule.Expiration } : {}),
            ...(rule.Transitions ? { Transitions: rule.Transitions } : {}),
            ...(rule.NoncurrentVersionExpiration
              ? { NoncurrentVersionExpiration: rule.NoncurrentVersionExpiration }
              : {}),
            ...(rule.AbortIncompleteMultipartUpload
              ? { AbortIncompleteMultipartUpload: rule.AbortIncompleteMultipartUpload }
              : {}),
          });
        }
        expect(tags.TagSet).toEqual(
          expect.arrayContaining([
            { Key: 'stowage:app', Value: 'stowage' },
            { Key: 'stowage:env', Value: 'dev' },
            { Key: 'stowage:bucket', Value: purpose },
          ]),
        );
      }
      const cors = await s3.send(new GetBucketCorsCommand({ Bucket: running().buckets.uploads }));
      expect(cors.CORSRules?.[0]?.AllowedOrigins).toEqual(
        expect.arrayContaining([...dev.cors.allowedOrigins, running().apiUrl]),
      );
      // The backups expiry, from the config: 90 days for current versions, 7 for test/.
      const backups = await s3.send(
        new GetBucketLifecycleConfigurationCommand({ Bucket: running().buckets.backups }),
      );
      expect(backups.Rules?.find((rule) => rule.ID === 'current-versions')?.Expiration?.Days).toBe(
        dev.lifecycle.backups.expirationDays,
      );
    } finally {
      s3.destroy();
    }
  });

  it('takes a clean PDF from token to processed, with a manifest in the processed bucket', async () => {
    // Arrange
    const bytes = cleanPdf('clean');

    // Act
    const uploaded = await upload(running(), token, 'report one.pdf', 'application/pdf', bytes);
    const view = await finalStatus(running(), token, uploaded.uploadId);

    // Assert
    expect(view).toMatchObject({ status: 'processed', fileName: 'report one.pdf' });
    expect(view.verdict?.status).toBe('CLEAN');
    expect(view.processedKey).toMatch(new RegExp(`^processed/${USER}/`));
    const s3 = s3Of(running());
    try {
      const head = await s3.send(
        new HeadObjectCommand({ Bucket: running().buckets.processed, Key: view.processedKey }),
      );
      expect(head.ContentLength).toBe(bytes.length);
      expect(head.SSEKMSKeyId).toBe(running().kmsKeyIds.processed);
    } finally {
      s3.destroy();
    }
    kept.processed = uploaded;
    kept.processedBytes = bytes;
    kept.processedKey = view.processedKey;
  });

  it('quarantines EICAR', async () => {
    // Act
    const uploaded = await upload(running(), token, 'not a virus.pdf', 'application/pdf', eicarBytes());
    const view = await finalStatus(running(), token, uploaded.uploadId);

    // Assert
    expect(view.status).toBe('quarantined');
    expect(view.verdict?.status).toBe('INFECTED');
    expect(view.verdict?.signature).toMatch(/eicar/i);
    kept.quarantined = uploaded;
  });

  it('downloads the processed PDF through a presigned GET: the bytes uploaded, as an attachment of its name', async () => {
    // Arrange
    const { processed, processedBytes } = kept;
    if (!processed || !processedBytes) throw new Error('the clean PDF test did not run');
    const sha256 = (bytes: Buffer | Uint8Array) => createHash('sha256').update(bytes).digest('hex');

    // Act
    const response = await fetch(`${running().apiUrl}/uploads/${processed.uploadId}/download`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const body = (await response.json()) as { url: string; sha256: string; contentType: string };
    const file = await fetch(body.url);
    const bytes = Buffer.from(await file.arrayBuffer());

    // Assert
    expect(response.status).toBe(200);
    expect(new URL(body.url).origin).toBe(new URL(running().s3Url).origin);
    expect({ status: file.status, error: file.ok ? '' : bytes.toString('utf8') }).toEqual({
      status: 200,
      error: '',
    });
    expect(sha256(bytes)).toBe(sha256(processedBytes));
    expect(body.sha256).toBe(sha256(processedBytes));
    expect(file.headers.get('content-type')).toBe('application/pdf');
    expect(file.headers.get('content-disposition')).toBe(
      `attachment; filename="report one.pdf"; filename*=UTF-8''report%20one.pdf`,
    );
  });

  it('answers 409 with the status for a download of the quarantined upload, 404 for another user', async () => {
    // Arrange
    const { quarantined, processed } = kept;
    if (!quarantined || !processed) throw new Error('the upload tests did not run');
    const other = await running().mintToken('someone-else');
    const get = (uploadId: string, bearer: string) =>
      fetch(`${running().apiUrl}/uploads/${uploadId}/download`, {
        headers: { authorization: `Bearer ${bearer}` },
      });

    // Act
    const notProcessed = await get(quarantined.uploadId, token);
    const othersUpload = await get(processed.uploadId, other);

    // Assert
    expect(notProcessed.status).toBe(409);
    expect(await notProcessed.json()).toMatchObject({ error: 'not_processed', status: 'quarantined' });
    expect(othersUpload.status).toBe(404);
  });

  it('lists the caller’s uploads newest first, one page at a time, filtered by status, and nobody else’s', async () => {
    // Arrange
    const { quarantined, processed } = kept;
    if (!quarantined || !processed) throw new Error('the upload tests did not run');
    const get = async (query: string, bearer = token) => {
      const response = await fetch(`${running().apiUrl}/uploads${query}`, {
        headers: { authorization: `Bearer ${bearer}` },
      });
      return {
        status: response.status,
        body: (await response.json()) as { uploads: UploadStatusView[]; nextCursor?: string },
      };
    };

    // Act
    const first = await get('?limit=1');
    const second = await get(`?limit=1&cursor=${first.body.nextCursor}`);
    const onlyProcessed = await get('?status=processed');
    const other = await get('', await running().mintToken('someone-else'));
    const tampered = await get(`?cursor=${first.body.nextCursor}x`);

    // Assert
    expect(first.status).toBe(200);
    expect(first.body.uploads.map((u) => u.uploadId)).toEqual([quarantined.uploadId]);
    expect(second.body.uploads.map((u) => u.uploadId)).toEqual([processed.uploadId]);
    expect(onlyProcessed.body.uploads.map((u) => [u.uploadId, u.status])).toEqual([
      [processed.uploadId, 'processed'],
    ]);
    expect(other).toEqual({ status: 200, body: { uploads: [] } });
    expect(tampered.status).toBe(400);
  });

  it.each([
    ['no token', async (): Promise<string | undefined> => undefined],
    ['a forged token', forgedToken],
    [
      'an expired token',
      async () => {
        const shortLived = await running().mintToken(USER, 1);
        await new Promise((resolve) => setTimeout(resolve, 2_100));
        return shortLived;
      },
    ],
  ])('answers 401 to %s, as the JWT authorizer does', async (_name, makeToken) => {
    // Arrange
    const candidate = await makeToken();

    // Act
    const response = await presign(running(), candidate, {
      fileName: 'a.pdf',
      contentType: 'application/pdf',
      size: 10,
    });

    // Assert
    expect(response.status).toBe(401);
  });

  it('writes the backup verification report to the backups bucket and prints the alert (no SNS locally)', async () => {
    // Act
    const report = await running().verifyBackups();

    // Assert
    expect(report.ok).toBe(false); // no backups yet: both dev sources are missing
    expect(report.sources.map((source) => source.status)).toEqual(['missing', 'missing']);
    const s3 = s3Of(running());
    try {
      const day = report.at.slice(0, 10).replace(/-/g, '');
      const stored = await s3.send(
        new GetObjectCommand({ Bucket: running().buckets.backups, Key: `reports/${day}.json` }),
      );
      expect(JSON.parse((await stored.Body?.transformToString()) ?? '{}')).toMatchObject({ ok: false });
    } finally {
      s3.destroy();
    }
    expect(consoleA.err.join('\n')).toContain('backup verification alert (local mode has no SNS');
    expect(running().nextVerificationAt()?.toISOString()).toMatch(/T04:00:00\.000Z$/);
  });

  it('stops every process it started, and only those', async () => {
    // Arrange
    const pids = running().startedPids;
    expect(pids.length).toBeGreaterThanOrEqual(4); // ceph-mon, ceph-osd, radosgw, clamd
    expect(pids.every(isProcessAlive)).toBe(true);

    // Act
    await running().stop();
    local = undefined;

    // Assert
    expect(pids.filter(isProcessAlive)).toEqual([]);
    expect(readLocalState(dataDir)).toMatchObject({ running: false });
    expect(existsSync(path.join(dataDir, 'local.lock'))).toBe(false);
  });

  it('keeps buckets, objects and status records across a restart from the same data directory', async () => {
    // Act
    const started = Date.now();
    local = await startLocalMode({ dataDir, port: 0, ...quiet, verifyAtStart: false });
    const restartMs = Date.now() - started;
    const newToken = await running().mintToken(USER);

    // Assert
    expect(running().startedPids.length).toBeGreaterThanOrEqual(4);
    expect(restartMs).toBeLessThan(20_000);
    // The old token still works: the signing key is kept too.
    await expect(status(running(), token, kept.processed?.uploadId ?? '')).resolves.toMatchObject({
      status: 200,
      view: { status: 'processed' },
    });
    await expect(status(running(), newToken, kept.quarantined?.uploadId ?? '')).resolves.toMatchObject({
      status: 200,
      view: { status: 'quarantined' },
    });
    const s3 = s3Of(running());
    try {
      const object = await s3.send(
        new GetObjectCommand({ Bucket: running().buckets.processed, Key: kept.processedKey }),
      );
      expect(Buffer.from((await object.Body?.transformToByteArray()) ?? [])).toEqual(cleanPdf('clean'));
    } finally {
      s3.destroy();
    }
    await running().stop();
    local = undefined;
  });

  it('reuses servers already running from the data directory, leaves them running, and on its next start processes what landed meanwhile', async () => {
    // Arrange: the servers are started by someone else (the test), so local mode only reuses them.
    const rgw = await startRgw({ dataDir: path.join(dataDir, 'rgw'), objectStore: 'bluestore' });
    const clamd = await startClamd({ dataDir: path.join(dataDir, 'clamd') });
    try {
      const reusing = await startLocalMode({ dataDir, port: 0, ...quiet, verifyAtStart: false });
      expect(reusing.startedPids).toEqual([]);
      const bytes = cleanPdf('landed while local mode was down');
      const presigned = await presign(reusing, token, {
        fileName: 'while down.pdf',
        contentType: 'application/pdf',
        size: bytes.length,
      });
      await reusing.stop();
      expect([...rgw.pids, clamd.pid].every((pid) => pid !== undefined && isProcessAlive(pid))).toBe(true);

      // Act: the upload lands while nothing receives RGW's notification.
      const upload = presigned.json as unknown as PresignedUpload;
      const posted = await postPresignedForm(upload.url, upload.fields, bytes, 'while down.pdf');
      expect(posted.status).toBe(204);
      const restarted = new Console();
      local = await startLocalMode({
        dataDir,
        port: 0,
        logLevel: 'SILENT',
        verifyAtStart: false,
        ...restarted.options(),
      });

      // Assert
      expect(restarted.out).toContain('requeued 1 upload(s) left unprocessed in stowage-dev-uploads');
      await expect(finalStatus(running(), token, upload.uploadId)).resolves.toMatchObject({
        status: 'processed',
      });
      await running().stop();
      local = undefined;
    } finally {
      await Promise.all([rgw.stop(), clamd.stop()]);
    }
  });

  it('refuses a second local mode on the same data directory, and a busy port, with clear errors', async () => {
    // Arrange
    local = await startLocalMode({ dataDir, port: 0, ...quiet, verifyAtStart: false });
    const busyPort = Number(new URL(running().apiUrl).port);
    const otherDir = mkdtempSync(path.join(tmpdir(), 'stowage-local-it-busy-'));

    try {
      // Act / Assert
      await expect(startLocalMode({ dataDir, port: 0, preflight: false })).rejects.toThrow(
        `local mode is already running from ${dataDir} (pid ${process.pid})`,
      );
      await expect(startLocalMode({ dataDir: otherDir, port: busyPort, preflight: false })).rejects.toThrow(
        `port ${busyPort} on 127.0.0.1 is in use: stop what listens there, or pass --port N`,
      );
      expect(existsSync(path.join(otherDir, 'rgw'))).toBe(false); // failed before starting anything
    } finally {
      rmSync(otherDir, { recursive: true, force: true });
      await running().stop();
      local = undefined;
    }
  });

  it('--fresh stops the servers and wipes buckets, objects, status records and keys', async () => {
    // Arrange: servers left running from the data directory.
    const leftover = await startRgw({ dataDir: path.join(dataDir, 'rgw'), objectStore: 'bluestore' });

    // Act
    local = await startLocalMode({ dataDir, port: 0, fresh: true, ...quiet, verifyAtStart: false });
    const newToken = await running().mintToken(USER);

    // Assert
    expect(leftover.pids.filter(isProcessAlive)).toEqual([]);
    expect(running().startedPids.length).toBeGreaterThanOrEqual(4);
    await expect(status(running(), token, kept.processed?.uploadId ?? '')).resolves.toMatchObject({
      status: 401,
    });
    await expect(status(running(), newToken, kept.processed?.uploadId ?? '')).resolves.toMatchObject({
      status: 404,
    });
    const s3 = s3Of(running());
    try {
      await expect(
        s3.send(new HeadObjectCommand({ Bucket: running().buckets.processed, Key: kept.processedKey })),
      ).rejects.toMatchObject({ $metadata: { httpStatusCode: 404 } });
    } finally {
      s3.destroy();
    }
    await running().stop();
    local = undefined;
  });

  it('--fresh refuses a directory that is not local mode’s, touching nothing in it', async () => {
    // Arrange
    const foreign = mkdtempSync(path.join(tmpdir(), 'stowage-not-local-'));
    mkdirSync(path.join(foreign, 'rgw'));
    writeFileSync(path.join(foreign, 'rgw', 'precious.txt'), 'keep me');

    try {
      // Act / Assert
      await expect(
        startLocalMode({ dataDir: foreign, port: 0, fresh: true, preflight: false }),
      ).rejects.toThrow(`refusing to wipe ${foreign}: it is not a Stowage local mode data directory`);
      expect(readFileSync(path.join(foreign, 'rgw', 'precious.txt'), 'utf8')).toBe('keep me');
    } finally {
      rmSync(foreign, { recursive: true, force: true });
    }
  });
});

describe('local mode on an existing S3 server (--s3-endpoint: the run’s test RGW)', () => {
  const servers = getTestServers();
  const dataDir = mkdtempSync(path.join(tmpdir(), 'stowage-local-it-ext-'));
  let local: LocalMode | undefined;

  afterAll(async () => {
    await local?.stop();
    const s3 = createS3Client({
      endpoint: servers.s3.endpoint,
      region: servers.s3.region,
      credentials: { accessKeyId: servers.s3.accessKey, secretAccessKey: servers.s3.secretKey },
    });
    try {
      const { Buckets } = await s3.send(new ListBucketsCommand({}));
      for (const bucket of Buckets ?? []) {
        if (bucket.Name?.startsWith('stowage-dev-')) await deleteBucketWithContents(s3, bucket.Name);
      }
    } finally {
      s3.destroy();
    }
    rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);

  it('needs credentials, saying which variables are missing', async () => {
    // Act / Assert
    await expect(
      startLocalMode({ dataDir, s3Endpoint: servers.s3.endpoint, environment: {}, preflight: false }),
    ).rejects.toThrow(
      `--s3-endpoint ${servers.s3.endpoint} needs credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY`,
    );
  });

  it('fails to start against a server that does not answer, leaving nothing behind', async () => {
    // Arrange
    const deadPort = await getFreePort();
    const failed = new Console();

    // Act
    const start = startLocalMode({
      dataDir,
      port: 0,
      s3Endpoint: { url: `http://127.0.0.1:${deadPort}`, accessKeyId: 'a', secretAccessKey: 's' },
      clamav: false,
      preflight: false,
      logLevel: 'SILENT',
      ...failed.options(),
    });

    // Assert
    await expect(start).rejects.toThrow(
      new RegExp(`^could not set up the dev buckets on http://127\\.0\\.0\\.1:${deadPort}: .*ECONNREFUSED`),
    );
    expect(failed.out).toEqual([]);
    expect(failed.err).toEqual([]);
    expect(existsSync(path.join(dataDir, 'local.lock'))).toBe(false);
    expect(readLocalState(dataDir)).toBeUndefined();
  });

  it('starts no server, creates the buckets there and runs the pipeline against it', async () => {
    // Arrange
    const port = await getFreePort();
    local = await startLocalMode({
      dataDir,
      port,
      s3Endpoint: servers.s3.endpoint,
      environment: {
        AWS_ACCESS_KEY_ID: servers.s3.accessKey,
        AWS_SECRET_ACCESS_KEY: servers.s3.secretKey,
        AWS_REGION: servers.s3.region,
        STOWAGE_KMS_KEY_ID: servers.s3.kmsKeyId,
      },
      clamav: servers.clamd,
      logLevel: 'SILENT',
      verifyAtStart: false,
      out: () => undefined,
    });
    const token = await local.mintToken(USER);

    // Act
    const clean = await upload(local, token, 'ext.pdf', 'application/pdf', cleanPdf('external'));
    const infected = await upload(local, token, 'ext-eicar.pdf', 'application/pdf', eicarBytes());

    // Assert
    expect(local.startedPids).toEqual([]);
    expect(local.s3Url).toBe(servers.s3.endpoint);
    expect(`${local.apiUrl}`).toBe(`http://127.0.0.1:${port}`);
    await expect(finalStatus(local, token, clean.uploadId)).resolves.toMatchObject({ status: 'processed' });
    await expect(finalStatus(local, token, infected.uploadId)).resolves.toMatchObject({
      status: 'quarantined',
    });
    expect(readLocalState(dataDir)?.s3).toEqual({
      endpoint: servers.s3.endpoint,
      region: servers.s3.region,
      managed: false,
    });
    await local.stop();
    local = undefined;
    // The test RGW keeps running: local mode did not start it.
    const s3 = createS3Client({
      endpoint: servers.s3.endpoint,
      region: servers.s3.region,
      credentials: { accessKeyId: servers.s3.accessKey, secretAccessKey: servers.s3.secretKey },
    });
    try {
      await expect(s3.send(new ListBucketsCommand({}))).resolves.toBeDefined();
    } finally {
      s3.destroy();
    }
  });
});
