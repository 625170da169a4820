/**
 * The container files of the clean corpus, as ffmpeg muxes them: WebM and Matroska (with a video track, written to
 * a pipe, with the unknown Cluster sizes a live recording has), MP4 / M4A (faststart, video) and raw AAC in ADTS.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';

import { FF, run, type CorpusWriter } from './workspace';

/** WebM / Matroska, MP4 / M4A and AAC (ADTS) files. Needs writeSources first. */
export function addContainers({ out, add }: CorpusWriter): void {
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
