import { spawnSync } from 'child_process';
import { mkdtempSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { zipSync } from 'fflate';
import { eicarBytes } from '../../../core/scan';
import type { ScanLine } from '../../../cli/commands/scan';
import { EXIT, parseClamdAddress, runScanCommand, UsageError } from '../../../cli/commands/scan';

const dir = mkdtempSync(join(tmpdir(), 'stowage-scan-cli-'));
function file(name: string, bytes: Uint8Array | string): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}
const PDF = '%PDF-1.4\n%\xe2\xe3\n1 0 obj\n<<>>\nendobj\ntrailer\n%%EOF\n';

async function scan(files: string[], options = {}): Promise<{ code: number; lines: ScanLine[] }> {
  const out: string[] = [];
  const code = await runScanCommand(files, options, (line) => out.push(line));
  return { code, lines: out.map((l) => JSON.parse(l) as ScanLine) };
}

describe('stowage scan', () => {
  it('prints one verdict per file, in order, naming it; exit 0 when all are clean', async () => {
    // Arrange
    const a = file('a.pdf', PDF);
    const b = file('b b+(1).pdf', PDF);
    // Act
    const { code, lines } = await scan([a, b]);
    // Assert
    expect(code).toBe(EXIT.CLEAN);
    expect(lines.map((l) => [l.file, l.status, l.declaredType, l.detectedType])).toEqual([
      [a, 'CLEAN', 'application/pdf', 'application/pdf'],
      [b, 'CLEAN', 'application/pdf', 'application/pdf'],
    ]);
    expect(lines[0].sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('exits 1 for an infected file, an infected archive or a disguised executable', async () => {
    // Arrange
    const eicar = file('eicar.com.txt', eicarBytes());
    const zipped = file('docs.zip', zipSync({ 'inner/readme.txt': eicarBytes() }));
    const disguised = file('song.mp3', Buffer.from([0x4d, 0x5a, 0x90, 0x00, 0x03, 0x00, 0x00, 0x00]));
    const clean = file('ok.pdf', PDF);
    // Act
    const { code, lines } = await scan([eicar, zipped, disguised, clean]);
    // Assert
    expect(code).toBe(EXIT.FOUND);
    expect(lines.map((l) => l.status)).toEqual(['INFECTED', 'INFECTED', 'SUSPICIOUS', 'CLEAN']);
    expect(lines[0].signature).toBe('Eicar-Test-Signature');
    expect(lines[2].reason).toContain('disguised as audio/mpeg');
  });

  it('exits 2 with an ERROR line for a file it cannot read, and still scans the rest', async () => {
    // Arrange
    const missing = join(dir, 'missing.wav');
    const clean = file('fine.pdf', PDF);
    // Act
    const { code, lines } = await scan([missing, clean]);
    // Assert
    expect(code).toBe(EXIT.ERROR);
    expect(lines[0]).toMatchObject({
      file: missing,
      status: 'ERROR',
      reason: expect.stringContaining('ENOENT'),
    });
    expect(lines[1].status).toBe('CLEAN');
  });

  it("judges content only by default, and applies an env's type allowlist with --env", async () => {
    // Arrange: a text file is no allowed upload type, but its content is harmless.
    const notes = file('notes.txt', 'just some notes\n');
    // Act
    const contentOnly = await scan([notes]);
    const withEnv = await scan([notes], { env: 'dev' });
    // Assert
    expect(contentOnly.lines[0].status).toBe('CLEAN');
    expect(withEnv.code).toBe(EXIT.FOUND);
    expect(withEnv.lines[0].status).toBe('SUSPICIOUS');
  });

  it('takes the declared type from --content-type over the extension', async () => {
    const pdf = file('report.bin', PDF);
    const { lines } = await scan([pdf], { contentType: 'image/png' });
    expect(lines[0]).toMatchObject({ declaredType: 'image/png', status: 'SUSPICIOUS' });
  });

  it('answers a clamd that cannot be reached with ERROR, never CLEAN', async () => {
    const clean = file('x.pdf', PDF);
    const { code, lines } = await scan([clean], { clamd: '127.0.0.1:1' });
    expect(code).toBe(EXIT.ERROR);
    expect(lines[0].status).toBe('ERROR');
    expect(lines[0].engine).toContain('clamav');
  });

  it('refuses bad arguments with a message naming them', async () => {
    await expect(runScanCommand([], {}, () => undefined)).rejects.toThrow(
      new UsageError('name at least one FILE to scan'),
    );
    expect(() => parseClamdAddress('localhost')).toThrow('--clamd must be host:port');
    expect(() => parseClamdAddress('h:70000')).toThrow('--clamd must be host:port');
    expect(parseClamdAddress('clamd.internal:3310')).toEqual({ host: 'clamd.internal', port: 3310 });
    await expect(scan([file('y.pdf', PDF)], { env: 'qa' })).rejects.toThrow("unknown environment 'qa'");
  });
});

describe('bin/stowage.js', () => {
  it('runs `stowage scan` as a process: JSON lines on stdout, the exit code of the verdicts', () => {
    // Arrange
    const eicar = file('proc-eicar.bin', eicarBytes());
    // Act
    const result = spawnSync(
      process.execPath,
      [join(__dirname, '..', '..', '..', 'bin', 'stowage.js'), 'scan', eicar],
      {
        encoding: 'utf8',
      },
    );
    // Assert
    expect(result.status).toBe(EXIT.FOUND);
    expect(JSON.parse(result.stdout.trim())).toMatchObject({ file: eicar, status: 'INFECTED' });
  });

  it('exits 2 on a usage error', () => {
    const result = spawnSync(
      process.execPath,
      [join(__dirname, '..', '..', '..', 'bin', 'stowage.js'), 'scan'],
      {
        encoding: 'utf8',
      },
    );
    expect(result.status).toBe(EXIT.ERROR);
    expect(result.stderr).toContain("missing required argument 'file'");
  });
});
