/**
 * What the media corpora share: the file records the tests read, the one temporary directory per test process the
 * files are written to, the way a Debian tool is run, and the writer each media family adds its clean files with.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface CorpusFile {
  /** File name (its extension matches the type). */
  readonly name: string;
  readonly path: string;
  /** The tool (and options) that made it, for the report table. */
  readonly tool: string;
  /** Content-Type an uploader would declare. */
  readonly type: string;
}

export interface HostileFile extends CorpusFile {
  /** What the file hides or breaks. */
  readonly description: string;
  readonly expected: 'SUSPICIOUS' | 'INFECTED';
  /** The verdict's reason must match. */
  readonly reason: RegExp;
}

/** Where a media family writes its clean files, and how it records each one. */
export interface CorpusWriter {
  /** The clean corpus directory (the working directory of tools that take relative names). */
  readonly dir: string;
  /** The path of a file in `dir`. */
  readonly out: (name: string) => string;
  /** Makes one corpus file with `make` and records it. */
  readonly add: (name: string, type: string, tool: string, make: () => void) => void;
}

let root: string | undefined;

/** A directory for one corpus (`clean`, `hostile`) in this process's temporary root, made on first use. */
export function corpusDir(kind: string): string {
  if (root === undefined) {
    const dir = mkdtempSync(path.join(tmpdir(), 'stowage-media-corpus-'));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    root = dir;
  }
  const dir = path.join(root, kind);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Removes the temporary root with every corpus in it. */
export function removeCorpusRoot(): void {
  if (root !== undefined) rmSync(root, { recursive: true, force: true });
  root = undefined;
}

/** Runs a tool, its stderr in the error when it fails. */
export function run(command: string, args: readonly string[], cwd?: string): void {
  execFileSync(command, args, { stdio: ['ignore', 'ignore', 'pipe'], ...(cwd ? { cwd } : {}) });
}

/** ffmpeg's quiet, overwrite-without-asking options. */
export const FF = ['-hide_banner', '-loglevel', 'error', '-y'];
