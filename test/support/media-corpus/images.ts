/**
 * The image files of the clean corpus: PNG (ImageMagick; text chunks, 16-bit, palette) and JPEG (ImageMagick with a
 * comment, progressive; an ffmpeg frame).
 */
import { FF, run, type CorpusWriter } from './workspace';

/** PNG and JPEG files. */
export function addImages({ out, add }: CorpusWriter): void {
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
}
