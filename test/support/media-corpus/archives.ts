/**
 * The archives of the clean corpus: zip (deflated, stored with a comment, streamed with data descriptors) and gzip
 * (one member, two members), of text and of other corpus files.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';

import { run, type CorpusWriter } from './workspace';

/** zip and gzip files. Needs the audio and PDF families first (it packs their files). */
export function addArchives({ dir, out, add }: CorpusWriter): void {
  // Archives
  writeFileSync(out('notes.txt'), 'Stowage test notes\n'.repeat(200));
  add('deflated.zip', 'application/zip', 'zip -9 (deflate) of text and audio', () =>
    run('zip', ['-q', '-9', 'deflated.zip', 'notes.txt', 'tone-8k-mono.wav'], dir),
  );
  add('stored-comment.zip', 'application/zip', 'zip -0 -z (stored, with comment)', () =>
    execFileSync('zip', ['-q', '-0', '-z', 'stored-comment.zip', 'notes.txt', 'plain.flac'], {
      cwd: dir,
      input: 'archive comment\n',
      stdio: ['pipe', 'ignore', 'pipe'],
    }),
  );
  add('streamed.zip', 'application/zip', 'zip - (streamed to a pipe: data descriptors)', () => {
    const zipped = execFileSync('zip', ['-q', '-', 'notes.txt', 'gs.pdf'], { cwd: dir, maxBuffer: 1 << 26 });
    writeFileSync(out('streamed.zip'), zipped);
  });
  add('notes.txt.gz', 'application/gzip', 'gzip -9', () => {
    writeFileSync(out('notes.txt.gz'), execFileSync('gzip', ['-9', '-c', out('notes.txt')]));
  });
  add('audio.wav.gz', 'application/gzip', 'gzip -n -1', () => {
    writeFileSync(out('audio.wav.gz'), execFileSync('gzip', ['-n', '-1', '-c', out('tone-8k-mono.wav')]));
  });
  add('members.gz', 'application/gzip', 'cat of two gzip members', () => {
    const a = execFileSync('gzip', ['-c', out('notes.txt')]);
    const b = execFileSync('gzip', ['-c', out('page.ps')]);
    writeFileSync(out('members.gz'), Buffer.concat([a, b]));
  });
}
