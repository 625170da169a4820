import type { S3Client } from '@aws-sdk/client-s3';
import { imageSize } from 'image-size';

import { canonicalMediaType } from '../scan/media-types';
import { readObjectRange, type ObjectVersion } from '../intake/source-object';
import { parseWavHeader, type WavInfo } from './wav-header';

/** Bytes read from the start of an image for its dimensions (JPEG SOF markers can follow large EXIF segments). */
export const IMAGE_HEAD_BYTES = 128 * 1024;

export interface ImageInfo {
  readonly width: number;
  readonly height: number;
}

/** Cheap metadata for the manifest; only what a few ranged reads can tell. */
export interface MediaMetadata {
  readonly image?: ImageInfo;
  readonly audio?: WavInfo;
}

/**
 * Reads cheap metadata with ranged GETs of the version, never the whole object: image width/height (image-size on
 * the first IMAGE_HEAD_BYTES), WAV duration/sample rate/channels (RIFF header walk). Other audio formats (MP3, AAC,
 * Ogg, FLAC, WebM, MP4) get no duration: each needs a container parser or a frame scan, not worth it here.
 * Content the parsers cannot read yields no metadata (the type was already verified by the scan).
 */
export async function readMediaMetadata(
  s3: S3Client,
  object: ObjectVersion,
  contentType: string | undefined,
  size: number,
): Promise<MediaMetadata> {
  if (size === 0 || contentType === undefined) return {};
  const type = canonicalMediaType(contentType);
  if (type.startsWith('image/')) {
    const head = await readObjectRange(s3, object, 0, Math.min(IMAGE_HEAD_BYTES, size) - 1);
    const image = imageDimensions(head);
    return image ? { image } : {};
  }
  if (type === 'audio/wav') {
    const audio = await parseWavHeader(
      (offset, length) => readObjectRange(s3, object, offset, offset + length - 1),
      size,
    );
    return audio ? { audio } : {};
  }
  return {};
}

/** Width and height from an image's first bytes; undefined when image-size cannot tell (truncated or unknown). */
export function imageDimensions(head: Uint8Array): ImageInfo | undefined {
  let result: ReturnType<typeof imageSize>;
  try {
    result = imageSize(head);
  } catch (error) {
    // imageSize is a pure parser over bytes in memory (no I/O): its Errors (TypeError for unsupported or invalid
    // input, Error 'Reached end of input', RangeError past the buffer) all mean "cannot tell from these bytes".
    if (error instanceof Error) return undefined;
    throw error;
  }
  return result.width !== undefined && result.height !== undefined
    ? { width: result.width, height: result.height }
    : undefined;
}
