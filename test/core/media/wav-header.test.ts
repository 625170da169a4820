import { parseWavHeader, type RangeReader } from '../../../core/media/wav-header';
import { minimalWav } from '../scan/fixtures';

function readerOf(bytes: Buffer): RangeReader & { calls: [number, number][] } {
  const calls: [number, number][] = [];
  const reader = async (offset: number, length: number) => {
    calls.push([offset, length]);
    return new Uint8Array(bytes.subarray(offset, offset + length));
  };
  return Object.assign(reader, { calls });
}

/** Inserts a chunk (with its RIFF pad byte) between `WAVE` and `fmt `. */
function withChunkBefore(wav: Buffer, id: string, size: number): Buffer {
  const header = Buffer.alloc(8);
  header.write(id, 0, 'latin1');
  header.writeUInt32LE(size, 4);
  return Buffer.concat([wav.subarray(0, 12), header, Buffer.alloc(size + (size % 2)), wav.subarray(12)]);
}

describe('parseWavHeader', () => {
  it('reads format and duration from one small ranged read', async () => {
    // Arrange
    const wav = minimalWav(16_000);
    const read = readerOf(wav);
    // Act
    const info = await parseWavHeader(read, wav.length);
    // Assert
    expect(info).toEqual({ durationSeconds: 2, sampleRate: 8000, channels: 1, bitsPerSample: 16 });
    expect(read.calls).toEqual([[0, 4096]]);
  });

  it('walks past a large chunk with further ranged reads', async () => {
    // Arrange
    const wav = withChunkBefore(minimalWav(800), 'LIST', 100_001);
    const read = readerOf(wav);
    // Act
    const info = await parseWavHeader(read, wav.length);
    // Assert
    expect(info?.durationSeconds).toBe(0.1);
    expect(read.calls.length).toBe(2);
  });

  it('takes a streaming data size (0xFFFFFFFF) as "to the end of the object"', async () => {
    // Arrange
    const wav = minimalWav(4000);
    wav.writeUInt32LE(0xffffffff, 40);
    // Act
    const info = await parseWavHeader(readerOf(wav), wav.length);
    // Assert
    expect(info?.durationSeconds).toBe(0.5);
  });

  it.each([
    ['not RIFF', Buffer.from('ID3\u0004 mp3 data here...')],
    ['truncated', minimalWav().subarray(0, 30)],
  ])('answers undefined for %s input', async (_name, bytes) => {
    // Arrange / Act / Assert
    expect(await parseWavHeader(readerOf(bytes), bytes.length)).toBeUndefined();
  });
});
