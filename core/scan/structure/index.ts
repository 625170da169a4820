import type { ContentSink } from '../inspection-state';
import { FlacWalker, OggWalker } from './audio-walkers';
import { EbmlWalker, Mp4Walker, RiffWalker } from './container-walkers';
import { JpegWalker, PngWalker } from './image-walkers';
import { FrameWalker } from './mpeg-walker';
import { PdfWalker } from './pdf-walker';
import type { StructureReport } from './record-walker';

/**
 * The structure walker for a container family (see media-types.ts), or undefined for families without one (zip
 * and gzip are checked by their archive walkers; GIF is not an upload type). Each walker checks that the file is
 * one complete instance of its format with nothing after it, and reports the first problem with its byte offset.
 */
export function createStructureWalker(family: string, report: StructureReport): ContentSink | undefined {
  switch (family) {
    case 'png':
      return new PngWalker('PNG', report);
    case 'jpeg':
      return new JpegWalker('JPEG', report);
    case 'pdf':
      return new PdfWalker('PDF', report);
    case 'wav':
      return new RiffWalker('WAV', report);
    case 'webp':
      return new RiffWalker('WebP', report);
    case 'mp4':
      return new Mp4Walker('MP4', report);
    case 'webm':
      return new EbmlWalker('WebM', report);
    case 'matroska':
      return new EbmlWalker('Matroska', report);
    case 'ogg':
      return new OggWalker('Ogg', report);
    case 'flac':
      return new FlacWalker('FLAC', report);
    case 'mpeg-audio':
      return new FrameWalker('MP3', report, 'mpeg');
    case 'adts':
      return new FrameWalker('AAC (ADTS)', report, 'adts');
    default:
      return undefined;
  }
}
