/**
 * Debian's Chromium for browser tests, driven by playwright-core (`npx playwright install` cannot download
 * browsers here). scripts/install-debian-deps.sh installs the `chromium` package.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import type { BrowserContext } from 'playwright-core';

/**
 * Flags from docs/test-servers.md, minus `--headless` (Playwright adds it for `headless: true`) and
 * `--user-data-dir` (Playwright takes it as launchPersistentContext's first argument).
 */
export const CHROMIUM_ARGS: readonly string[] = [
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Absolute path of Debian's chromium (`command -v chromium`); throws saying how to install it when missing. */
export function findChromium(): string {
  let found = '';
  try {
    found = execFileSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' }).trim();
  } catch (error) {
    // `command -v` exits 1 when the name is unknown: that is the "not installed" answer, handled below.
    if (!(error instanceof Error && 'status' in error && error.status === 1)) throw error;
  }
  if (!found) {
    throw new Error(
      'chromium not found on PATH: install it with `sudo bash scripts/install-debian-deps.sh` ' +
        '(Debian package `chromium`)',
    );
  }
  return found;
}

export interface LaunchChromiumOptions {
  /** Run without a window. Default true. */
  readonly headless?: boolean;
  /** Executable to launch. Default: findChromium(). */
  readonly executablePath?: string;
}

export interface LaunchedChromium {
  /** The browser's one context: pages opened in it share the fresh profile. */
  readonly context: BrowserContext;
  /** The fresh profile directory, removed by close(). */
  readonly userDataDir: string;
  /** Closes the browser and removes the profile; safe to call more than once. */
  close(): Promise<void>;
}

/** Launches Chromium with the test flags and a fresh, temporary `--user-data-dir`. */
export async function launchChromium(options: LaunchChromiumOptions = {}): Promise<LaunchedChromium> {
  const executablePath = options.executablePath ?? findChromium();
  const userDataDir = mkdtempSync(path.join(tmpdir(), 'stowage-chromium-'));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath,
      headless: options.headless ?? true,
      args: [...CHROMIUM_ARGS],
    });
  } catch (error) {
    rmSync(userDataDir, { recursive: true, force: true });
    throw error;
  }
  let closed: Promise<void> | undefined;
  return {
    context,
    userDataDir,
    close() {
      closed ??= context.close().finally(() => rmSync(userDataDir, { recursive: true, force: true }));
      return closed;
    },
  };
}
