/**
 * The audio files of the clean corpus as the encoders write them: WAV (sox, ffmpeg), MP3 (lame, ffmpeg; ID3v1, ID3v2,
 * an attached picture), FLAC (flac, ffmpeg; picture, tags, padding) and Ogg (oggenc, opusenc, ffmpeg). Also the
 * sources the other families encode from.
 */
import { FF, run, type CorpusWriter } from './workspace';

/** The encoders' sources: src.wav (2 s stereo tones) and picture.png (a cover picture). Not corpus files. */
export function writeSources({ out }: CorpusWriter): void {
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
}

/** WAV, MP3, FLAC and Ogg files. Needs writeSources first. */
export function addAudio({ out, add }: CorpusWriter): void {
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
}
