import { spawn } from 'node:child_process';
import path from 'node:path';

import { findExecutable } from '../servers/process';

/** Executables a local Ceph RGW needs (local/servers/rgw-cluster.ts runs each). */
export const CEPH_BINARIES = [
  'ceph-mon',
  'ceph-osd',
  'radosgw',
  'radosgw-admin',
  'ceph',
  'monmaptool',
] as const;
/** Executables the ClamAV engine needs. */
export const CLAMAV_BINARIES = ['clamd'] as const;

/** The installer of every Debian package Stowage's servers need. */
export const INSTALL_SCRIPT = path.resolve(__dirname, '..', '..', 'scripts', 'install-debian-deps.sh');
/** What to run, from the repository, when not root. */
export const INSTALL_COMMAND = 'sudo bash scripts/install-debian-deps.sh';

/** Preflight found missing executables and could not install them: exit 2 with the message. */
export class PreflightError extends Error {
  readonly exitCode = 2;

  constructor(message: string) {
    super(message);
    this.name = 'PreflightError';
  }
}

export interface PreflightOptions {
  /** The Ceph RGW binaries are needed (false with `--s3-endpoint`). Required. */
  readonly ceph: boolean;
  /** clamd is needed (false with `--no-clamav` or a given clamd). Required. */
  readonly clamd: boolean;
  /** Where progress lines go. Required. */
  readonly write: (line: string) => void;
  /** Finds an executable. Default: findExecutable (PATH and the sbin directories). */
  readonly find?: (name: string) => string | undefined;
  /** Whether this process may install packages. Default: effective uid 0. */
  readonly isRoot?: boolean;
  /** Runs the installer. Default: `bash scripts/install-debian-deps.sh`, output passed through. */
  readonly install?: () => Promise<void>;
}

/** The needed executables that are missing, in a stable order. */
export function missingExecutables(
  needs: Pick<PreflightOptions, 'ceph' | 'clamd'>,
  find: (name: string) => string | undefined = findExecutable,
): string[] {
  const needed = [...(needs.ceph ? CEPH_BINARIES : []), ...(needs.clamd ? CLAMAV_BINARIES : [])];
  return needed.filter((name) => find(name) === undefined);
}

/**
 * Checks that the servers local mode starts can start. When something is missing: as root, runs the Debian
 * installer (saying what is missing and what it runs) and checks again; otherwise throws a PreflightError that
 * names what is missing and the one command to run. Node dependencies are `npm ci`'s business.
 */
export async function preflight(options: PreflightOptions): Promise<void> {
  const find = options.find ?? findExecutable;
  const missing = missingExecutables(options, find);
  if (missing.length === 0) return;
  const isRoot = options.isRoot ?? process.geteuid?.() === 0;
  if (!isRoot) {
    throw new PreflightError(
      `local mode needs ${missing.join(', ')}, which ${missing.length === 1 ? 'is' : 'are'} not installed.\n` +
        `Install them (Debian/Ubuntu: Ceph RGW, ClamAV and the other test servers) with:\n  ${INSTALL_COMMAND}\n` +
        'or pass --s3-endpoint URL (an existing S3 server) and/or --no-clamav.',
    );
  }
  options.write(
    `missing ${missing.join(', ')}: installing the Debian packages of Stowage's servers ` +
      '(ceph-mon ceph-osd radosgw ceph-common, clamav clamav-daemon, and what the tests use) with ' +
      'scripts/install-debian-deps.sh',
  );
  await (options.install ?? runInstallScript)();
  const still = missingExecutables(options, find);
  if (still.length > 0) {
    throw new PreflightError(
      `${still.join(', ')} still not found after scripts/install-debian-deps.sh: see its output above`,
    );
  }
}

function runInstallScript(): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [INSTALL_SCRIPT], { stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (code === 0) resolve();
      else
        reject(
          new PreflightError(
            `scripts/install-debian-deps.sh failed (${signal ? `killed by ${signal}` : `exit code ${code}`})`,
          ),
        );
    });
  });
}
