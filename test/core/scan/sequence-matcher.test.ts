import { createEicarMatcher, eicarBytes } from '../../../core/scan/eicar';
import { SequenceMatcher } from '../../../core/scan/sequence-matcher';

describe('SequenceMatcher', () => {
  const eicar = eicarBytes();
  const before = Buffer.alloc(100, 0x41);
  const after = Buffer.alloc(100, 0x42);
  const stream = Buffer.concat([before, eicar, after]);

  it('finds EICAR in one chunk', () => {
    // Arrange
    const matcher = createEicarMatcher();
    // Act
    const found = matcher.push(stream);
    // Assert
    expect(found).toBe(true);
  });

  it('finds EICAR split at every possible chunk boundary', () => {
    for (let cut = before.length + 1; cut < before.length + eicar.length; cut++) {
      // Arrange
      const matcher = createEicarMatcher();
      // Act
      const first = matcher.push(stream.subarray(0, cut));
      const second = matcher.push(stream.subarray(cut));
      // Assert
      expect({ cut, first, second }).toEqual({ cut, first: false, second: true });
    }
  });

  it('finds EICAR fed one byte at a time and across three chunks', () => {
    // Arrange
    const byteWise = createEicarMatcher();
    const threeWay = createEicarMatcher();
    // Act
    let byteFound = false;
    for (const byte of stream) byteFound = byteWise.push(Uint8Array.of(byte)) || byteFound;
    threeWay.push(stream.subarray(0, 120));
    threeWay.push(stream.subarray(120, 130));
    const threeFound = threeWay.push(stream.subarray(130));
    // Assert
    expect(byteFound).toBe(true);
    expect(threeFound).toBe(true);
  });

  it('does not match a near miss or an interrupted sequence', () => {
    // Arrange
    const nearMiss = Buffer.concat([eicar.subarray(0, eicar.length - 1), Buffer.from('?')]);
    const matcher = createEicarMatcher();
    // Act
    const found = [
      matcher.push(nearMiss),
      matcher.push(eicar.subarray(0, 30)),
      matcher.push(Buffer.from('-')),
      matcher.push(eicar.subarray(30)),
    ];
    // Assert
    expect(found).toEqual([false, false, false, false]);
  });

  it('works for a one-byte needle and rejects an empty one', () => {
    // Arrange
    const matcher = new SequenceMatcher(Buffer.from('Z'));
    // Act
    const found = [matcher.push(Buffer.from('abc')), matcher.push(Buffer.from('xZ'))];
    // Assert
    expect(found).toEqual([false, true]);
    expect(() => new SequenceMatcher(new Uint8Array(0))).toThrow(RangeError);
  });
});
