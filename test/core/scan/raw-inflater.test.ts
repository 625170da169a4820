import { deflateRawSync } from 'node:zlib';

import { RawInflater } from '../../../core/scan/raw-inflater';
import { pseudoRandom } from './fixtures';

describe('RawInflater', () => {
  const text = Buffer.from('stowage scanner '.repeat(5000));
  const random = pseudoRandom(70_000, 3);

  it.each([
    ['compressible text', text],
    ['incompressible bytes (stored blocks)', random],
  ])(
    'decodes %s and hands back exactly the bytes after the deflate end, at any slice size',
    (_name, source) => {
      // Arrange
      const trailer = Buffer.from('TRAILER-AND-NEXT-HEADER');
      const data = Buffer.concat([deflateRawSync(source), trailer]);
      for (const size of [1, 5, 333, 8192, data.length]) {
        const out: Uint8Array[] = [];
        const rest: Uint8Array[] = [];
        const inflater = new RawInflater((chunk) => out.push(Buffer.from(chunk)));
        // Act
        for (let at = 0; at < data.length; at += size) {
          const after = inflater.push(data.subarray(at, at + size));
          if (after) rest.push(Buffer.from(after));
        }
        // Assert
        expect(inflater.finished).toBe(true);
        expect(Buffer.concat(out).equals(source)).toBe(true);
        expect(Buffer.concat(rest).toString()).toBe(trailer.toString());
      }
    },
  );

  it('throws unexpected EOF when the deflate data is cut short', () => {
    // Arrange
    const data = deflateRawSync(text);
    const inflater = new RawInflater(() => undefined);
    inflater.push(data.subarray(0, data.length - 5));
    // Act / Assert
    expect(() => inflater.finish()).toThrow(/unexpected EOF/);
  });
});
