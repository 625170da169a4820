/** Reads `length` bytes at `offset` of the object (fewer at its end). */
export type RangeReader = (offset: number, length: number) => Promise<Uint8Array>;

export interface WavInfo {
  readonly durationSeconds: number;
  readonly sampleRate: number;
  readonly channels: number;
  readonly bitsPerSample: number;
}

/** Bytes fetched per ranged read while walking chunks. */
const WINDOW = 4096;
/** Chunks walked before giving up (a RIFF file with more chunks before `data` is not worth more reads). */
const MAX_CHUNKS = 64;
const MAX_U32 = 0xffffffff;

/**
 * Parses a RIFF/WAVE header by walking its chunks with small ranged reads: `fmt ` gives channels, sample rate,
 * byte rate and bits per sample; the `data` chunk's size divided by the byte rate is the duration. A `data` size
 * of 0xFFFFFFFF or past the end (streamed WAV) is taken as "to the end of the object". RF64 and non-WAV input
 * answer undefined. Reads at most MAX_CHUNKS windows; usually one.
 */
export async function parseWavHeader(read: RangeReader, objectSize: number): Promise<WavInfo | undefined> {
  let window = { start: 0, bytes: await read(0, Math.min(WINDOW, objectSize)) };
  const view = async (offset: number, length: number): Promise<DataView | undefined> => {
    if (offset + length > objectSize) return undefined;
    if (offset < window.start || offset + length > window.start + window.bytes.length) {
      window = {
        start: offset,
        bytes: await read(offset, Math.min(Math.max(WINDOW, length), objectSize - offset)),
      };
      if (window.bytes.length < length) return undefined;
    }
    const bytes = window.bytes;
    return new DataView(bytes.buffer, bytes.byteOffset + offset - window.start, length);
  };
  const riff = await view(0, 12);
  if (!riff || fourcc(riff, 0) !== 'RIFF' || fourcc(riff, 8) !== 'WAVE') return undefined;

  let format: { channels: number; sampleRate: number; byteRate: number; bitsPerSample: number } | undefined;
  let offset = 12;
  for (let chunk = 0; chunk < MAX_CHUNKS; chunk++) {
    const header = await view(offset, 8);
    if (!header) return undefined;
    const id = fourcc(header, 0);
    const size = header.getUint32(4, true);
    const body = offset + 8;
    if (id === 'fmt ') {
      const fmt = await view(body, 16);
      if (!fmt) return undefined;
      format = {
        channels: fmt.getUint16(2, true),
        sampleRate: fmt.getUint32(4, true),
        byteRate: fmt.getUint32(8, true),
        bitsPerSample: fmt.getUint16(14, true),
      };
    } else if (id === 'data') {
      if (!format || format.byteRate === 0) return undefined;
      const dataSize = size === MAX_U32 || body + size > objectSize ? objectSize - body : size;
      return {
        durationSeconds: Math.round((dataSize / format.byteRate) * 1000) / 1000,
        sampleRate: format.sampleRate,
        channels: format.channels,
        bitsPerSample: format.bitsPerSample,
      };
    }
    offset = body + size + (size % 2);
  }
  return undefined;
}

function fourcc(view: DataView, offset: number): string {
  return String.fromCharCode(
    view.getUint8(offset),
    view.getUint8(offset + 1),
    view.getUint8(offset + 2),
    view.getUint8(offset + 3),
  );
}
