import { ChunkChannel } from '../../../core/scan/chunk-channel';
import { combineVerdicts, type EngineVerdict } from '../../../core/scan/verdict';

describe('combineVerdicts', () => {
  it('ranks INFECTED > SUSPICIOUS > ERROR > CLEAN and keeps the winner details', () => {
    // Arrange
    const verdicts: EngineVerdict[] = [
      { status: 'ERROR', engine: 'clamav', reason: 'clamd down', bytesScanned: 0 },
      {
        status: 'SUSPICIOUS',
        engine: 'builtin',
        reason: 'disguised',
        detectedType: 'image/png',
        bytesScanned: 9,
      },
    ];
    // Act
    const combined = combineVerdicts(verdicts);
    // Assert
    expect(combined).toEqual({
      status: 'SUSPICIOUS',
      engine: 'builtin',
      reason: 'disguised',
      detectedType: 'image/png',
    });
  });

  it('takes the signature from the first engine that has one and joins the reasons', () => {
    // Arrange
    const verdicts: EngineVerdict[] = [
      { status: 'INFECTED', engine: 'builtin', reason: 'a', bytesScanned: 1 },
      { status: 'INFECTED', engine: 'clamav', signature: 'Win.Trojan.X', reason: 'b', bytesScanned: 1 },
    ];
    // Act
    const combined = combineVerdicts(verdicts);
    // Assert
    expect(combined).toEqual({
      status: 'INFECTED',
      engine: 'builtin+clamav',
      signature: 'Win.Trojan.X',
      reason: 'a; b',
    });
  });

  it('refuses an empty list', () => {
    // Arrange
    const verdicts: EngineVerdict[] = [];
    // Act
    const combine = () => combineVerdicts(verdicts);
    // Assert
    expect(combine).toThrow('at least one engine verdict');
  });
});

describe('ChunkChannel', () => {
  it('delivers chunks in order, then ends', async () => {
    // Arrange
    const channel = new ChunkChannel(1024);
    // Act
    channel.write(Buffer.from('a'));
    channel.write(Buffer.from('b'));
    channel.end();
    const seen: string[] = [];
    for await (const chunk of channel) seen.push(Buffer.from(chunk).toString());
    // Assert
    expect(seen).toEqual(['a', 'b']);
  });

  it('makes the producer wait at the high-water mark and releases it when the consumer leaves', async () => {
    // Arrange
    const channel = new ChunkChannel(4);
    // Act
    const wait = channel.write(Buffer.alloc(4));
    let released = false;
    void wait?.then(() => (released = true));
    await new Promise((resolve) => setImmediate(resolve));
    const releasedBefore = released;
    const iterator = channel[Symbol.asyncIterator]();
    await iterator.return?.();
    await wait;
    // Assert
    expect(wait).toBeDefined();
    expect(releasedBefore).toBe(false);
    expect(channel.isClosed).toBe(true);
    expect(channel.write(Buffer.alloc(10))).toBeUndefined();
  });

  it('fails the consumer with the producer error', async () => {
    // Arrange
    const channel = new ChunkChannel(16);
    // Act
    channel.fail(new Error('source broke'));
    const read = channel[Symbol.asyncIterator]().next();
    // Assert
    await expect(read).rejects.toThrow('source broke');
  });
});
