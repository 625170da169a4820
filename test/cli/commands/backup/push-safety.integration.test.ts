/**
 * Push leaves nothing behind and never collides, against the real RGW: SIGINT/SIGTERM of a real `stowage backup
 * push` process mid-upload, connection resets mid-part, a server that goes silent, two pushes in the same second,
 * and a real pg_dump streamed through stdin. After each: no incomplete multipart upload remains.
 */
import { spawn, type ChildProcess } from 'child_process';
import { createHash, randomBytes } from 'crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { KMSClient } from '@aws-sdk/client-kms';
import { GetObjectCommand, HeadObjectCommand, ListMultipartUploadsCommand } from '@aws-sdk/client-s3';
import { createBackupS3Client } from '../../../../cli/commands/backup/backup-client';
import type { BackupConfig } from '../../../../cli/commands/backup/backup-config';
import { runBackupPushCommand } from '../../../../cli/commands/backup/push';
import { runBackupPullCommand } from '../../../../cli/commands/backup/pull';
import { createDatabase, psql } from '../../../support/integration/postgres-tools';
import { getTestServers } from '../../../support/integration/servers';
import { useRgwBackupBucket } from './rgw-backup-fixture';
import { startTcpFaultProxy, type TcpFaultProxy } from './tcp-fault-proxy';

const BIN = join(__dirname, '..', '..', '..', '..', 'bin', 'stowage.js');
const MiB = 1024 * 1024;
const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

interface Running {
  readonly child: ChildProcess;
  readonly stdout: () => string;
  readonly stderr: () => string;
  readonly exited: Promise<number | null>;
}

function runCli(args: string[], env: Record<string, string>): Running {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  // A command that stops (interrupted, refused) stops reading: what is still being written gets EPIPE.
  child.stdin!.on('error', () => undefined);
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  return { child, stdout: () => stdout, stderr: () => stderr, exited };
}

async function waitFor(condition: () => Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('stowage backup push leaves nothing behind (real RGW)', () => {
  const rgw = useRgwBackupBucket('it-push-safety');
  const dir = mkdtempSync(join(tmpdir(), 'stowage-push-safety-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  let proxy: TcpFaultProxy | undefined;
  afterEach(async () => {
    await proxy?.close();
    proxy = undefined;
  });

  const uploads = async (): Promise<number> =>
    (await rgw.s3.send(new ListMultipartUploadsCommand({ Bucket: rgw.bucket }))).Uploads?.length ?? 0;

  /** In-process io whose clients have the CLI's timeouts (the fixture's have none). */
  const timedIo = (now: Date) =>
    rgw.io({
      now: () => now,
      createClients: (config: BackupConfig) => {
        const servers = getTestServers();
        const s3 = createBackupS3Client(config, {
          endpoint: config.endpoint,
          region: servers.s3.region,
          credentials: { accessKeyId: servers.s3.accessKey, secretAccessKey: servers.s3.secretKey },
        });
        return { s3, kms: () => new KMSClient({ region: 'us-east-1' }), destroy: () => s3.destroy() };
      },
    });

  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const)(
    'kill -%s of a push mid-upload aborts its multipart upload (exit %i)',
    async (signal, exitCode) => {
      // Arrange: a throttled push of 40 MiB takes seconds: long enough to catch it with parts uploaded
      const path = join(dir, `big-${signal}.bin`);
      writeFileSync(path, randomBytes(40 * MiB));
      const push = runCli(
        [
          'backup',
          'push',
          path,
          '--source',
          `sig-${signal.toLowerCase()}`,
          '--part-size',
          '5M',
          '--max-bandwidth',
          '8M',
        ],
        rgw.env,
      );
      await waitFor(async () => (await uploads()) > 0, 'the multipart upload to start');
      await new Promise((resolve) => setTimeout(resolve, 1500));
      // Act
      push.child.kill(signal);
      const code = await push.exited;
      // Assert
      expect(code).toBe(exitCode);
      expect(push.stderr()).toMatch(
        new RegExp(
          `stowage backup push: interrupted by ${signal}: multipart upload \\S+ of s3://.* was aborted`,
        ),
      );
      expect(await uploads()).toBe(0);
    },
  );

  it('kill -TERM of a stdin push mid-stream aborts its upload', async () => {
    const push = runCli(
      ['backup', 'push', '-', '--source', 'sig-stdin', '--name', 'x.bin', '--part-size', '5M'],
      rgw.env,
    );
    push.child.stdin!.write(randomBytes(12 * MiB));
    await waitFor(async () => (await uploads()) > 0, 'the multipart upload to start');
    push.child.kill('SIGTERM');
    expect(await push.exited).toBe(143);
    expect(push.stderr()).toContain('interrupted by SIGTERM');
    expect(await uploads()).toBe(0);
  });

  it('connection resets mid-part: retried to a byte-exact object, no upload left', async () => {
    // Resets more often than the SDK retries one request: the CLI's attempt fails, is aborted and retried.
    proxy = await startTcpFaultProxy(getTestServers().s3.endpoint, { resets: 4, resetAfterBytes: 2 * MiB });
    const bytes = randomBytes(16 * MiB);
    const path = join(dir, 'reset.bin');
    writeFileSync(path, bytes);
    const io = timedIo(new Date('2026-11-25T02:00:00Z'));
    const code = await runBackupPushCommand(
      path,
      { source: 'resets', endpointUrl: proxy.endpoint, partSize: '5M', retryDelays: '0.1' },
      io,
    );
    expect(io.stderr.filter((l) => l.startsWith('stowage backup push'))).toEqual([]);
    expect(code).toBe(0);
    expect(proxy.resets()).toBe(4);
    const object = await rgw.s3.send(new GetObjectCommand({ Bucket: rgw.bucket, Key: io.stdout[0]! }));
    expect(sha256(await object.Body!.transformToByteArray())).toBe(sha256(bytes));
    expect(await uploads()).toBe(0);
  });

  it('a silent server times out (--timeout) and the request is retried to success', async () => {
    proxy = await startTcpFaultProxy(getTestServers().s3.endpoint, { silentConnections: 2 });
    const path = join(dir, 'silent.bin');
    writeFileSync(path, randomBytes(1000));
    const io = timedIo(new Date('2026-11-25T03:00:00Z'));
    const started = Date.now();
    const code = await runBackupPushCommand(
      path,
      {
        source: 'silent',
        endpointUrl: proxy.endpoint,
        timeout: '1',
        connectTimeout: '1',
        retryDelays: '0.1',
      },
      io,
    );
    expect(io.stderr.filter((l) => l.startsWith('stowage backup push'))).toEqual([]);
    expect(code).toBe(0);
    expect(proxy.silenced()).toBe(2);
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it.each([
    ['single PUTs', 1000],
    ['multipart uploads', 11 * MiB],
  ])('two pushes of one source in the same second get two keys (%s)', async (_kind, size) => {
    const now = new Date(`2026-11-25T04:00:0${size > 1000 ? 1 : 0}Z`);
    const a = join(dir, `a-${size}.bin`);
    const b = join(dir, `b-${size}.bin`);
    writeFileSync(a, randomBytes(size));
    writeFileSync(b, randomBytes(size));
    const [ioA, ioB] = [rgw.io({ now: () => now }), rgw.io({ now: () => now })];
    const codes = await Promise.all([
      runBackupPushCommand(a, { source: `same-${size}`, partSize: '5M' }, ioA),
      runBackupPushCommand(b, { source: `same-${size}`, partSize: '5M' }, ioB),
    ]);
    expect(codes).toEqual([0, 0]);
    const keys = [ioA.stdout[0]!, ioB.stdout[0]!];
    expect(new Set(keys).size).toBe(2);
    for (const [key, file] of [
      [keys[0]!, a],
      [keys[1]!, b],
    ] as const) {
      const head = await rgw.s3.send(new HeadObjectCommand({ Bucket: rgw.bucket, Key: key }));
      expect(head.Metadata?.sha256).toBe(sha256(readFileSync(file)));
    }
    expect(await uploads()).toBe(0);
  });

  it('streams a real pg_dump through stdin: the recorded digest is the sha256 of the bytes pg_dump wrote', async () => {
    // Arrange: a database whose custom-format dump spans several 5 MiB parts
    const database = await createDatabase('it_push_stdin');
    await psql(
      database,
      'create table t as select g as id, md5(g::text) || md5(random()::text) || md5(random()::text) as v ' +
        'from generate_series(1, 250000) g;',
    );
    const { host, port, user } = getTestServers().postgres;
    const dump = spawn('pg_dump', ['-Fc', database], {
      env: { ...process.env, PGHOST: host, PGPORT: String(port), PGUSER: user },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const push = runCli(
      ['backup', 'push', '-', '--source', 'main-db', '--name', 'appdb.dump', '--part-size', '5M'],
      rgw.env,
    );
    const hash = createHash('sha256');
    let size = 0;
    dump.stdout!.on('data', (chunk: Buffer) => {
      hash.update(chunk);
      size += chunk.length;
    });
    dump.stdout!.pipe(push.child.stdin!);
    // Act
    const code = await push.exited;
    // Assert
    expect(push.stderr()).not.toContain('stowage backup push:');
    expect(code).toBe(0);
    const key = push.stdout().trim();
    expect(size).toBeGreaterThan(10 * MiB);
    const head = await rgw.s3.send(new HeadObjectCommand({ Bucket: rgw.bucket, Key: key }));
    expect(head.Metadata).toMatchObject({ digest: 'manifest', source: 'main-db' });
    const manifest = await rgw.s3.send(
      new GetObjectCommand({ Bucket: rgw.bucket, Key: `${key}.stowage-digest.json` }),
    );
    const recorded = JSON.parse(await manifest.Body!.transformToString()) as Record<string, string>;
    expect(recorded).toMatchObject({ key, sha256: hash.digest('hex'), 'original-size': String(size) });
    // And pull finds the digest and writes the same bytes.
    const io = rgw.io();
    expect(await runBackupPullCommand(key, { output: join(dir, 'pulled.dump'), quiet: true }, io)).toBe(0);
    expect(sha256(readFileSync(join(dir, 'pulled.dump')))).toBe(recorded.sha256);
    expect(await uploads()).toBe(0);
  });

  it('refuses a foreign stream as a pg-dump before uploading anything', async () => {
    const push = runCli(['backup', 'push', '-', '--source', 'main-db', '--name', 'x.dump'], rgw.env);
    push.child.stdin!.end(randomBytes(100_000));
    expect(await push.exited).toBe(1);
    expect(push.stderr()).toContain('stdin is not a pg_dump custom-format archive');
    expect(await uploads()).toBe(0);
  });
});
