import { createReadStream } from 'fs';
import type { Command } from 'commander';
import { stat } from 'fs/promises';
import { loadConfig } from '../../lib/config';
import type { ScanEngine, ScanVerdict } from '../../core/scan';
import { createBuiltinEngine, createClamdEngine, errorMessage, scanStream } from '../../core/scan';
import { extensionOf, typesForExtension } from '../../core/scan/media-types';
import { UsageError } from '../shared/usage-error';

export interface ScanCommandOptions {
  /** `host:port` of a clamd to scan with as well. */
  readonly clamd?: string;
  /** Declared Content-Type for every file (default: from each file's extension). */
  readonly contentType?: string;
  /** Apply this env's upload type allowlist and scan settings (default: judge content only, defaults). */
  readonly env?: string;
}

/** One line of `stowage scan` output. */
export interface ScanLine {
  readonly file: string;
  readonly status: ScanVerdict['status'];
  readonly engine: string;
  readonly signature?: string;
  readonly reason?: string;
  readonly declaredType?: string;
  readonly detectedType?: string;
  readonly size?: number;
  readonly sha256?: string;
}

/**
 * Bytes per read of a local file. Node's default (64 KiB) leaves the process waiting on the file system and
 * collecting garbage for a large share of a big scan; 1 MiB reads keep it busy scanning.
 */
const READ_CHUNK_BYTES = 1024 * 1024;

/** Exit codes: 0 all clean, 1 something infected or suspicious, 2 an error (a finding wins over an error). */
export const EXIT = { CLEAN: 0, FOUND: 1, ERROR: 2 } as const;

export { UsageError } from '../shared/usage-error';

export function parseClamdAddress(address: string): { host: string; port: number } {
  const match = /^([^:\s]+):(\d{1,5})$/.exec(address);
  const port = match ? Number(match[2]) : NaN;
  if (!match || port < 1 || port > 65535) {
    throw new UsageError(`--clamd must be host:port (e.g. 127.0.0.1:3310), got '${address}'`);
  }
  return { host: match[1], port };
}

/**
 * `stowage scan FILE...`: runs the built-in engine (and clamd with --clamd) over each file, streaming, and
 * writes one JSON verdict per line in the order given. Returns the exit code.
 */
export async function runScanCommand(
  files: readonly string[],
  options: ScanCommandOptions,
  writeLine: (line: string) => void,
): Promise<number> {
  if (files.length === 0) throw new UsageError('name at least one FILE to scan');
  const config = options.env ? loadConfig(options.env, { environment: {} }) : undefined;
  const engines: ScanEngine[] = [
    createBuiltinEngine({
      allowedTypes: config ? config.uploads.allowedContentTypes : 'any',
      allowEncryptedArchiveEntries: config?.intake.scan.allowEncryptedArchiveEntries ?? false,
    }),
  ];
  if (options.clamd) engines.push(createClamdEngine(parseClamdAddress(options.clamd)));

  let found = false;
  let failed = false;
  for (const file of files) {
    const line = await scanFile(file, engines, options.contentType);
    writeLine(JSON.stringify(line));
    if (line.status === 'INFECTED' || line.status === 'SUSPICIOUS') found = true;
    if (line.status === 'ERROR') failed = true;
  }
  return found ? EXIT.FOUND : failed ? EXIT.ERROR : EXIT.CLEAN;
}

async function scanFile(
  file: string,
  engines: readonly ScanEngine[],
  contentType?: string,
): Promise<ScanLine> {
  const extension = extensionOf(file);
  const declaredType = contentType ?? (extension ? typesForExtension(extension)[0]?.mime : undefined);
  let size: number;
  try {
    const info = await stat(file);
    if (!info.isFile())
      return { file, status: 'ERROR', engine: 'cli', reason: 'not a regular file', declaredType };
    size = info.size;
  } catch (error) {
    return {
      file,
      status: 'ERROR',
      engine: 'cli',
      reason: `cannot read: ${errorMessage(error)}`,
      declaredType,
    };
  }
  try {
    const verdict = await scanStream(createReadStream(file, { highWaterMark: READ_CHUNK_BYTES }), engines, {
      declaredContentType: declaredType,
      fileName: file,
      size,
    });
    return {
      file,
      status: verdict.status,
      engine: verdict.engine,
      signature: verdict.signature,
      reason: verdict.reason,
      declaredType,
      detectedType: verdict.detectedType,
      size: verdict.bytesScanned,
      sha256: verdict.sha256,
    };
  } catch (error) {
    // The file failed while being read (removed, I/O error): nothing can be said about its bytes.
    return {
      file,
      status: 'ERROR',
      engine: 'cli',
      reason: `read failed: ${errorMessage(error)}`,
      declaredType,
    };
  }
}

/** Registers `stowage scan FILE…` on `program`; the action sets the exit code. */
export function registerScanCommand(program: Command): void {
  program
    .command('scan')
    .description(
      'Scan local files with the built-in engine (and clamd with --clamd); one JSON verdict per line.\n' +
        'Exit 0: all clean; 1: something infected or suspicious; 2: an error.',
    )
    .argument('<file...>', 'files to scan, in order')
    .option('--clamd <host:port>', 'also scan with this clamd (INSTREAM over TCP)')
    .option('--content-type <type>', 'declared type of every file (default: from its extension)')
    .option('--env <name>', "apply this environment's upload type allowlist (default: judge content only)")
    .action(async (files: string[], options: { clamd?: string; contentType?: string; env?: string }) => {
      process.exitCode = await runScanCommand(files, options, (line) => process.stdout.write(`${line}\n`));
    });
}
