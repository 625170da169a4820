import { parseClamdReply } from '../../../core/scan/clamd-reply';

describe('parseClamdReply', () => {
  it.each([
    ['stream: OK\0', { status: 'CLEAN' }],
    ['stream: OK\n', { status: 'CLEAN' }],
    [
      'stream: Eicar-Test-Signature.UNOFFICIAL FOUND\0',
      { status: 'INFECTED', signature: 'Eicar-Test-Signature', reason: 'clamd found Eicar-Test-Signature' },
    ],
    ['stream: Win.Test.EICAR_HDB-1 FOUND\0', { status: 'INFECTED', signature: 'Win.Test.EICAR_HDB-1' }],
    [
      'stream: Heuristics.Encrypted.Zip FOUND\0',
      { status: 'SUSPICIOUS', signature: 'Heuristics.Encrypted.Zip' },
    ],
    [
      'stream: Heuristics.Limits.Exceeded.MaxFileSize FOUND\0',
      { status: 'ERROR', signature: 'Heuristics.Limits.Exceeded.MaxFileSize' },
    ],
    [
      'INSTREAM size limit exceeded. ERROR\0',
      { status: 'ERROR', reason: 'clamd error: INSTREAM size limit exceeded. ERROR' },
    ],
    ['stream: lstat() failed ERROR\0', { status: 'ERROR' }],
    ['UNKNOWN COMMAND\0', { status: 'ERROR', reason: 'unexpected clamd reply: UNKNOWN COMMAND' }],
    ['', { status: 'ERROR', reason: 'clamd sent an empty reply' }],
  ])('reads %j', (raw, expected) => {
    // Arrange: the raw reply above
    // Act
    const reply = parseClamdReply(raw);
    // Assert
    expect(reply).toMatchObject(expected);
  });

  it('never reports a limit as CLEAN and quotes long replies briefly', () => {
    // Arrange
    const long = `stream: ${'x'.repeat(500)}`;
    // Act
    const reply = parseClamdReply(long);
    // Assert
    expect(reply.status).toBe('ERROR');
    expect(reply.reason!.length).toBeLessThan(260);
  });
});
