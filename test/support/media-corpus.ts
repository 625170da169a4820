/**
 * Scanner test corpora made at test time by real Debian tools (sox, lame, flac, oggenc, opusenc, ffmpeg, convert,
 * gs, qpdf, zip, gzip), cached in one temporary directory per test process.
 *
 * - `cleanCorpus()`: several files per allowed upload type, as the tools write them (metadata chunks, tags,
 *   pictures, incremental updates included). Every one must scan CLEAN.
 * - `hostileCorpus()`: variants derived from those real files that hide content (archives with EICAR after an
 *   ID3 tag, after a PDF's %%EOF, inside a WAV data chunk; an encrypted entry; a script after an ID3 header) or
 *   break the structure (trailing bytes, truncation). Every one must scan SUSPICIOUS or INFECTED.
 *
 * The files are made per media family in media-corpus/ (audio, containers, pdf, images, archives, hostile); the
 * temporary directory, the tool runner and the file records are media-corpus/workspace.ts.
 */
import path from 'node:path';

import { addArchives } from './media-corpus/archives';
import { addAudio, writeSources } from './media-corpus/audio';
import { addContainers } from './media-corpus/containers';
import { buildHostileCorpus } from './media-corpus/hostile';
import { addImages } from './media-corpus/images';
import { addPdf } from './media-corpus/pdf';
import {
  corpusDir,
  removeCorpusRoot,
  type CorpusFile,
  type CorpusWriter,
  type HostileFile,
} from './media-corpus/workspace';

export type { CorpusFile, HostileFile } from './media-corpus/workspace';

let clean: CorpusFile[] | undefined;
let hostile: HostileFile[] | undefined;

/** Builds (once per process) the clean corpus: every file must scan CLEAN. */
export function cleanCorpus(): readonly CorpusFile[] {
  if (clean) return clean;
  const dir = corpusDir('clean');
  const out = (name: string) => path.join(dir, name);
  const files: CorpusFile[] = [];
  const add = (name: string, type: string, tool: string, make: () => void) => {
    make();
    files.push({ name, path: out(name), tool, type });
  };
  const writer: CorpusWriter = { dir, out, add };
  // In this order: later families pack or encode the files of earlier ones.
  writeSources(writer);
  addAudio(writer);
  addContainers(writer);
  addPdf(writer);
  addImages(writer);
  addArchives(writer);
  clean = files;
  return files;
}

/** Removes the corpus directory (call in `afterAll`: jest workers may end without running exit handlers). */
export function removeMediaCorpus(): void {
  removeCorpusRoot();
  clean = undefined;
  hostile = undefined;
}

/** Builds (once per process) the hostile corpus from the clean one. */
export function hostileCorpus(): readonly HostileFile[] {
  if (hostile) return hostile;
  hostile = buildHostileCorpus(cleanCorpus());
  return hostile;
}
