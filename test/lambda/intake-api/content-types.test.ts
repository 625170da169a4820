import { extensionForContentType, parseContentType } from '../../../lambda/intake-api/content-types';
import { DEFAULT_ALLOWED_TYPES } from '../../../core/scan/media-types';
import { ENV_NAMES, loadConfig } from '../../../lib/config';

describe('extensionForContentType', () => {
  it.each([
    ['audio/mpeg', 'mp3'],
    ['audio/webm', 'webm'],
    ['audio/mp4', 'm4a'],
    ['application/pdf', 'pdf'],
    ['image/jpeg', 'jpg'],
    ['application/gzip', 'gz'],
  ])('%s → %s', (contentType, extension) => {
    // Act / Assert
    expect(extensionForContentType(contentType)).toBe(extension);
  });

  it.each(['text/html', 'application/x-msdownload', 'application/octet-stream', 'AUDIO/MPEG', 'constructor'])(
    'has no extension for %s',
    (contentType) => {
      // Act / Assert
      expect(extensionForContentType(contentType)).toBeUndefined();
    },
  );

  it("covers the scanner's default allowlist", () => {
    // Act / Assert
    for (const type of DEFAULT_ALLOWED_TYPES)
      expect([type, extensionForContentType(type)]).toEqual([type, expect.any(String)]);
  });

  it.each(ENV_NAMES)('covers every content type the %s config allows', (envName) => {
    // Arrange
    const { allowedContentTypes } = loadConfig(envName).uploads;

    // Act / Assert
    for (const type of allowedContentTypes) {
      expect([type, extensionForContentType(type)]).toEqual([type, expect.any(String)]);
    }
  });
});

describe('parseContentType', () => {
  it.each([
    ['audio/webm', 'audio/webm'],
    ['audio/webm;codecs=opus', 'audio/webm'],
    ['audio/webm; codecs=opus', 'audio/webm'],
    ['audio/webm ; codecs="opus"', 'audio/webm'],
    ['application/pdf; charset=binary; x=y', 'application/pdf'],
  ])('accepts %j as %j', (declared, essence) => {
    // Act / Assert
    expect(parseContentType(declared)).toEqual({ ok: true, essence });
  });

  it.each([
    ['upper case', 'Audio/WebM'],
    ['no subtype', 'audio'],
    ['an empty parameter', 'audio/webm;'],
    ['a parameter without a value', 'audio/webm; codecs'],
    ['a control character', 'audio/webm; codecs="op\nus"'],
    ['a space in the essence', 'audio /webm'],
    ['a path', 'audio/webm/x'],
    ['over 255 characters', `audio/webm; x=${'a'.repeat(250)}`],
  ])('rejects %s (%j)', (_case, declared) => {
    // Act / Assert
    expect(parseContentType(declared)).toEqual({ ok: false });
  });
});
