/**
 * `stowage scan --clamd` and the scan library's clamd engine against the real clamd of the test run.
 */
import { randomBytes } from 'crypto';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { Readable } from 'stream';
import { startClamd } from '../../../local/servers/clamd';
import { createClamdEngine, eicarBytes, scanStream } from '../../../core/scan';
import type { ScanLine } from '../../../cli/commands/scan';
import { EXIT, runScanCommand } from '../../../cli/commands/scan';
import { getTestServers } from '../../support/integration/servers';

const TESTFILES = '/usr/share/clamav-testfiles';
const MiB = 1024 * 1024;

describe('stowage scan --clamd (real clamd)', () => {
  const { clamd } = getTestServers();
  const address = `${clamd.host}:${clamd.port}`;
  const dir = mkdtempSync(join(tmpdir(), 'stowage-scan-clamd-'));

  async function scan(files: string[]): Promise<{ code: number; lines: ScanLine[] }> {
    const out: string[] = [];
    const code = await runScanCommand(files, { clamd: address }, (line) => out.push(line));
    return { code, lines: out.map((l) => JSON.parse(l) as ScanLine) };
  }

  it('reports every ClamAV test file as INFECTED with the ClamAV signature', async () => {
    // Arrange: the test files are archives and executables; both engines look at them.
    const files = readdirSync(TESTFILES).map((f) => join(TESTFILES, f));
    expect(files.length).toBeGreaterThan(20);
    // Act
    const { code, lines } = await scan(files);
    // Assert
    expect(code).toBe(EXIT.FOUND);
    const missed = lines.filter((l) => l.status !== 'INFECTED' && l.status !== 'SUSPICIOUS');
    expect(missed).toEqual([]);
    expect(lines.filter((l) => l.signature === 'ClamAV-Test-File').length).toBeGreaterThan(20);
  });

  it('finds EICAR with both engines and passes clean random data', async () => {
    // Arrange
    const eicar = join(dir, 'eicar.bin');
    writeFileSync(eicar, eicarBytes());
    const clean = join(dir, 'random.bin');
    writeFileSync(clean, randomBytes(3 * MiB));
    // Act
    const { lines } = await scan([eicar, clean]);
    // Assert
    expect(lines[0]).toMatchObject({ status: 'INFECTED', signature: 'Eicar-Test-Signature' });
    expect(lines[1]).toMatchObject({ status: 'CLEAN', size: 3 * MiB });
  });

  describe('over the clamd size limit', () => {
    const limitDir = mkdtempSync(join(tmpdir(), 'stowage-clamd-small-'));
    let limited: Awaited<ReturnType<typeof startClamd>>;
    beforeAll(async () => {
      limited = await startClamd({ dataDir: limitDir, maxScanBytes: MiB, detached: false });
    });
    afterAll(async () => {
      await limited.stop();
      rmSync(limitDir, { recursive: true, force: true });
    });

    it('is ERROR, never CLEAN', async () => {
      // Arrange
      const engine = createClamdEngine({ host: limited.host, port: limited.port });
      // Act
      const verdict = await scanStream(Readable.from([randomBytes(MiB), randomBytes(MiB)]), [engine], {});
      // Assert
      expect(verdict.status).toBe('ERROR');
      expect(verdict.reason).toMatch(/limit/i);
    });
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));
});
