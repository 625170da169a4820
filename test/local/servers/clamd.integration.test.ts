/**
 * Proves the local clamd is a real ClamAV daemon fit for Stowage: INSTREAM over TCP detects EICAR and
 * ClamAV's test files, passes clean data, and never passes a stream over its size limit.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pingClamd, startClamd } from '../../../local/servers/clamd';
import { getTestServers } from '../../support/integration/servers';

const TESTFILES_DIR = '/usr/share/clamav-testfiles';
const MiB = 1024 * 1024;

/** The EICAR test string, kept base64-encoded so that this file itself is not flagged by scanners. */
const EICAR = Buffer.from(
  'WDVPIVAlQEFQWzRcUFpYNTQoUF4pN0NDKTd9JEVJQ0FSLVNUQU5EQVJELUFOVElWSVJVUy1URVNULUZJTEUhJEgrSCo=',
  'base64',
);

describe('local clamd (real ClamAV)', () => {
  const { clamd, clamdDataDir } = getTestServers();
  const scan = (data: Buffer): Promise<string> => instream(clamd.host, clamd.port, data);

  it('answers PING and is reused when started again from the same data directory', async () => {
    // Act
    const again = await startClamd({ dataDir: clamdDataDir });

    // Assert
    expect(await pingClamd(clamd.host, clamd.port)).toBe(true);
    expect(again.reused).toBe(true);
    expect(again.port).toBe(clamd.port);
  });

  it('finds EICAR in a stream', async () => {
    expect(await scan(EICAR)).toMatch(/^stream: Eicar-Test-Signature(\.UNOFFICIAL)? FOUND$/);
  });

  it('finds EICAR behind a megabyte of clean data, across INSTREAM chunks', async () => {
    expect(await scan(Buffer.concat([randomBytes(MiB), EICAR]))).toMatch(
      /^stream: Eicar-Test-Signature\S* FOUND$/,
    );
  });

  it('passes clean random data', async () => {
    expect(await scan(randomBytes(2 * MiB))).toBe('stream: OK');
  });

  it.each(['clam.exe', 'clam.zip', 'clam.tar.gz', 'clam.pdf'])(
    'finds the ClamAV test file in %s from clamav-testfiles',
    async (name) => {
      // Arrange
      const data = readFileSync(path.join(TESTFILES_DIR, name));

      // Act
      const reply = await scan(data);

      // Assert
      expect(reply).toMatch(/^stream: ClamAV-Test-File\S* FOUND$/);
    },
  );

  describe('with a small size limit', () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'stowage-clamd-limit-'));
    let limited: Awaited<ReturnType<typeof startClamd>>;

    beforeAll(async () => {
      limited = await startClamd({ dataDir, maxScanBytes: MiB, detached: false });
    });

    afterAll(async () => {
      await limited.stop();
      rmSync(dataDir, { recursive: true, force: true });
    });

    it('never answers OK for a stream over the limit', async () => {
      // Act: clamd answers the limit and closes while the client may still be writing; depending on timing the
      // client reads that reply or sees the connection reset (EPIPE / ECONNRESET). Either way: refused, never OK.
      const outcome = await instream(limited.host, limited.port, randomBytes(2 * MiB)).then(
        (reply) => reply,
        (error: NodeJS.ErrnoException) => `connection ${error.code ?? error.message}`,
      );

      // Assert
      expect(outcome).not.toBe('stream: OK');
      expect(outcome).toMatch(
        /size limit exceeded|Heuristics\.Limits\.Exceeded|connection (EPIPE|ECONNRESET)/,
      );
    });

    it('still scans a stream under the limit', async () => {
      expect(await instream(limited.host, limited.port, EICAR)).toMatch(
        /^stream: Eicar-Test-Signature\S* FOUND$/,
      );
    });
  });
});

/**
 * Minimal clamd INSTREAM client (the real one lives in the scan engine): `zINSTREAM\0`, then chunks of
 * [4-byte big-endian length][bytes], then a zero-length chunk; resolves with the reply without its `\0`.
 * clamd may answer and close early (size limit): the reply wins over the resulting write error.
 */
function instream(host: string, port: number, data: Buffer, chunkSize = 64 * 1024): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    let reply = '';
    let settled = false;
    const settle = (error?: Error): void => {
      if (settled) return;
      settled = true;
      socket.destroy();
      const text = reply.replace(/\0+$/, '').trim();
      if (text) resolve(text);
      else reject(error ?? new Error('clamd closed the connection without a reply'));
    };
    socket.setTimeout(30_000, () => settle(new Error('clamd did not answer within 30 s')));
    socket.on('data', (chunk: Buffer) => {
      reply += chunk.toString('utf8');
      if (reply.includes('\0')) settle();
    });
    socket.on('end', () => settle());
    socket.on('error', (error) => settle(error));
    socket.on('connect', () => {
      void (async () => {
        const write = (bytes: Buffer): Promise<void> =>
          new Promise((done) => {
            if (socket.write(bytes)) done();
            else socket.once('drain', done);
          });
        await write(Buffer.from('zINSTREAM\0'));
        for (let offset = 0; offset < data.length && !settled; offset += chunkSize) {
          const chunk = data.subarray(offset, offset + chunkSize);
          const length = Buffer.alloc(4);
          length.writeUInt32BE(chunk.length);
          await write(Buffer.concat([length, chunk]));
        }
        if (!settled) await write(Buffer.alloc(4));
      })();
    });
  });
}
