/**
 * local/servers/rgw.ts with a persistent object store (bluestore on a sparse file), as local mode runs it: data,
 * users and SSE-KMS keys survive a stop and a start; settings fixed at creation cannot silently change.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import {
  CreateBucketCommand,
  GetObjectCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';

import { getFreePort } from '../../../local/servers/net';
import { isProcessAlive } from '../../../local/servers/process';
import { rgwS3ClientConfig, rgwStatus, startRgw, stopRgw, type RgwServer } from '../../../local/servers/rgw';

describe('local Ceph RGW on bluestore (persistent)', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'stowage-rgw-bluestore-'));
  const timings: Record<string, number> = {};
  let first: RgwServer;

  async function timed<T>(name: string, action: () => Promise<T>): Promise<T> {
    const started = Date.now();
    try {
      return await action();
    } finally {
      timings[name] = Date.now() - started;
    }
  }

  beforeAll(async () => {
    first = await timed('create', () =>
      startRgw({ dataDir, objectStore: 'bluestore', kmsKeyIds: ['key-a', 'key-b'], detached: false }),
    );
  }, 60_000);

  afterAll(async () => {
    await stopRgw({ dataDir });
    rmSync(dataDir, { recursive: true, force: true });
    // Measured on every run, for the record (docs/test-servers.md: memstore starts in about 1.5 s).
    process.stdout.write(`RGW bluestore timings (ms): ${JSON.stringify(timings)}\n`);
  }, 60_000);

  it('creates a cluster on a sparse block file that reports the persistent store', () => {
    // Arrange
    const block = path.join(dataDir, 'osd', 'osd.0', 'block');

    // Act
    const { size, blocks } = statSync(block);

    // Assert
    expect(first.objectStore).toBe('bluestore');
    expect(first.reused).toBe(false);
    expect(first.kmsKeyIds).toEqual(['key-a', 'key-b']);
    expect(size).toBe(20 * 1024 ** 3);
    expect(blocks * 512).toBeLessThan(size / 10); // sparse
  });

  it('keeps buckets, versions, SSE-KMS objects, the user and the keys across stop and start', async () => {
    // Arrange
    const s3 = new S3Client(rgwS3ClientConfig(first));
    await s3.send(new CreateBucketCommand({ Bucket: 'kept-bucket' }));
    await s3.send(
      new PutBucketVersioningCommand({
        Bucket: 'kept-bucket',
        VersioningConfiguration: { Status: 'Enabled' },
      }),
    );
    const put = await s3.send(
      new PutObjectCommand({
        Bucket: 'kept-bucket',
        Key: 'secret.txt',
        Body: 'survives restarts',
        ServerSideEncryption: 'aws:kms',
        SSEKMSKeyId: 'key-b',
      }),
    );
    s3.destroy();
    const pids = first.pids;

    // Act
    await timed('stop', () => stopRgw({ dataDir }));
    const stoppedStatus = await rgwStatus({ dataDir });
    const again = await timed('restart', () =>
      startRgw({
        dataDir,
        objectStore: 'bluestore',
        kmsKeyIds: ['key-a', 'key-b', 'key-c'],
        detached: false,
      }),
    );

    // Assert
    expect(pids.filter(isProcessAlive)).toEqual([]);
    expect(stoppedStatus.running).toBe(false);
    expect(again.reused).toBe(false);
    expect(again.kmsKeyIds).toEqual(['key-a', 'key-b', 'key-c']);
    const client = new S3Client(rgwS3ClientConfig(again));
    try {
      const got = await client.send(
        new GetObjectCommand({ Bucket: 'kept-bucket', Key: 'secret.txt', VersionId: put.VersionId }),
      );
      expect(await got.Body?.transformToString()).toBe('survives restarts');
      expect(got.SSEKMSKeyId).toBe('key-b');
    } finally {
      client.destroy();
    }
    first = again;
  });

  it('does not stall the next start on the watches of a radosgw that died without unwatching (kill -9)', async () => {
    // Arrange: the radosgw dies holding its watches on the control objects; the OSD persists them.
    const radosgwPid = Number(readFileSync(path.join(dataDir, 'pid', 'radosgw.pid'), 'utf8').trim());
    const logFile = path.join(dataDir, 'log', 'client.rgw.stowage.log');
    process.kill(radosgwPid, 'SIGKILL');
    await stopRgw({ dataDir });
    const logBefore = statSync(logFile).size;

    // Act: a bucket-metadata write notifies every watcher, the dead one's too.
    const again = await timed('restart after kill -9', () =>
      startRgw({ dataDir, objectStore: 'bluestore', detached: false }),
    );
    const s3 = new S3Client(rgwS3ClientConfig(again));
    try {
      await timed('metadata write after kill -9', () =>
        s3.send(
          new PutBucketVersioningCommand({
            Bucket: 'kept-bucket',
            VersioningConfiguration: { Status: 'Enabled' },
          }),
        ),
      );
    } finally {
      s3.destroy();
    }

    // Assert: the dead watch lapsed (osd client watch timeout) before a notify gave up on it. With Ceph's 30 s
    // default every such write waited 10 s per notify attempt and logged the watcher that "did not respond".
    const logAfter = readFileSync(logFile).subarray(logBefore).toString('utf8');
    expect(logAfter).not.toContain('did not respond');
    first = again;
  });

  it('is reused while running', async () => {
    // Act
    const reused = await startRgw({ dataDir, objectStore: 'bluestore' });

    // Assert
    expect(reused.reused).toBe(true);
    expect(reused.endpoint).toBe(first.endpoint);
  });

  it('starts on its remembered port, or on a given one, keeping its data', async () => {
    // Arrange
    await stopRgw({ dataDir });
    const port = await getFreePort();

    // Act
    const remembered = await startRgw({ dataDir, objectStore: 'bluestore', detached: false });
    await stopRgw({ dataDir });
    const moved = await startRgw({ dataDir, objectStore: 'bluestore', port, detached: false });

    // Assert
    expect(remembered.port).toBe(first.port);
    expect(moved.port).toBe(port);
    const client = new S3Client(rgwS3ClientConfig(moved));
    try {
      const got = await client.send(new GetObjectCommand({ Bucket: 'kept-bucket', Key: 'secret.txt' }));
      expect(await got.Body?.transformToString()).toBe('survives restarts');
    } finally {
      client.destroy();
    }
  });

  it('refuses to start as memstore over the persistent cluster, or with other creation settings', async () => {
    // Arrange
    await stopRgw({ dataDir });

    // Act / Assert
    await expect(startRgw({ dataDir })).rejects.toThrow(
      `${dataDir} holds a persistent bluestore cluster (its data survives restarts): start it with objectStore 'bluestore'`,
    );
    await expect(
      startRgw({ dataDir, objectStore: 'bluestore', accessKey: 'other-key', monPort: 1 }),
    ).rejects.toThrow(/was created with a different monitor port \(cluster: \d+\), access key/);
    await expect(
      startRgw({
        dataDir,
        objectStore: 'bluestore',
        kmsKeys: { 'key-a': Buffer.alloc(32, 7).toString('base64') },
      }),
    ).rejects.toThrow('was created with a different KMS key key-a');
    await expect(rgwStatus({ dataDir })).resolves.toMatchObject({ running: false, pids: [] });
  });
});
