/**
 * The upload page's pure helpers (local/web/page-helpers.js), loaded the way a browser would (a plain script, no
 * module system) into a context without a DOM, where the script exports them. The page's DOM behaviour is tested in
 * a real browser by upload-page.integration.test.ts.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { runInNewContext } from 'node:vm';

interface PageConfig {
  readonly token: string;
  readonly user: string;
  readonly maxUploadBytes: number;
  readonly allowedContentTypes: readonly string[];
}
interface FileLike {
  readonly name: string;
  readonly size: number;
  readonly type: string;
}
interface Media {
  readonly image?: { readonly width: number; readonly height: number };
  readonly audio?: {
    readonly durationSeconds: number;
    readonly sampleRate: number;
    readonly channels: number;
    readonly bitsPerSample: number;
  };
}
interface PageHelpers {
  readonly FINAL_STATUSES: readonly string[];
  readonly POLL: {
    readonly firstDelayMs: number;
    readonly factor: number;
    readonly maxDelayMs: number;
    readonly timeoutMs: number;
  };
  formatBytes(bytes: number): string;
  parseConfig(raw: unknown): PageConfig;
  contentTypeOf(file: FileLike): string;
  checkFile(file: FileLike, config: PageConfig): string | undefined;
  apiErrorMessage(status: number, body: unknown): string;
  s3ErrorMessage(status: number, text: string): string;
  describeImage(media: Media | undefined): string | undefined;
  describeAudio(media: Media | undefined): string | undefined;
  nextPollDelay(previousMs: number | undefined): number;
  isFinalStatus(status: string): boolean;
}

function loadPageHelpers(): PageHelpers {
  const source = readFileSync(path.join(__dirname, '../../../local/web/page-helpers.js'), 'utf8');
  const sandbox = { module: { exports: {} as unknown } };
  runInNewContext(source, sandbox, { filename: 'page-helpers.js' });
  return sandbox.module.exports as PageHelpers;
}

const MiB = 1024 * 1024;
const config: PageConfig = {
  token: 'token',
  user: 'local-user',
  maxUploadBytes: 10 * MiB,
  allowedContentTypes: ['application/pdf', 'image/png'],
};

describe('upload page helpers (local/web/app.js)', () => {
  const page = loadPageHelpers();

  describe('formatBytes', () => {
    it.each([
      [0, '0 bytes'],
      [1, '1 byte'],
      [1023, '1023 bytes'],
      [1024, '1.0 KB'],
      [1536, '1.5 KB'],
      [10 * MiB, '10.0 MB'],
      [12 * MiB, '12.0 MB'],
      [5 * 1024 * MiB, '5.0 GB'],
    ])('formats %d as %s', (bytes, expected) => {
      // Act / Assert
      expect(page.formatBytes(bytes)).toBe(expected);
    });
  });

  describe('checkFile', () => {
    it('refuses a file over the cap, naming both sizes, before any request', () => {
      // Arrange
      const file = { name: 'big.bin', size: 12 * MiB, type: 'application/pdf' };

      // Act
      const refusal = page.checkFile(file, config);

      // Assert
      expect(refusal).toBe('big.bin is 12.0 MB; the limit is 10.0 MB.');
    });

    it('accepts a file of exactly the cap with an allowed type', () => {
      // Arrange
      const file = { name: 'ok.pdf', size: 10 * MiB, type: 'application/pdf' };

      // Act / Assert
      expect(page.checkFile(file, config)).toBeUndefined();
    });

    it('refuses a type outside the allowlist, listing the accepted ones', () => {
      // Arrange
      const file = { name: 'notes.txt', size: 10, type: 'text/plain' };

      // Act
      const refusal = page.checkFile(file, config);

      // Assert
      expect(refusal).toBe(
        'notes.txt is text/plain, which is not accepted; accepted types: application/pdf, image/png.',
      );
    });

    it('refuses a file the browser gives no type, and an empty file', () => {
      // Act / Assert
      expect(page.checkFile({ name: 'blob', size: 10, type: '' }, config)).toMatch(
        /^blob has no type the browser recognizes; accepted types: application\/pdf, image\/png\.$/,
      );
      expect(page.checkFile({ name: 'empty.pdf', size: 0, type: 'application/pdf' }, config)).toBe(
        'empty.pdf is empty; there is nothing to upload.',
      );
    });

    it('compares the lower-case essence of the type, ignoring parameters', () => {
      // Arrange
      const file = { name: 'scan.PDF', size: 10, type: 'Application/PDF; charset=binary' };

      // Act / Assert
      expect(page.contentTypeOf(file)).toBe('application/pdf');
      expect(page.checkFile(file, config)).toBeUndefined();
    });
  });

  describe('parseConfig', () => {
    it('accepts the config local mode serves and lower-cases the types', () => {
      // Act
      const parsed = page.parseConfig({ ...config, allowedContentTypes: ['Application/PDF'] });

      // Assert
      expect(parsed).toEqual({ ...config, allowedContentTypes: ['application/pdf'] });
    });

    it.each([
      ['no config at all', undefined, /\/config\.js did not load/],
      ['an empty token', { ...config, token: '' }, /^token must be/],
      ['a user that is not a string', { ...config, user: 3 }, /^user must be/],
      ['a size cap given as a string', { ...config, maxUploadBytes: '10' }, /^maxUploadBytes must be/],
      ['a size cap of 0', { ...config, maxUploadBytes: 0 }, /^maxUploadBytes must be/],
      ['no allowed types', { ...config, allowedContentTypes: [] }, /^allowedContentTypes must be/],
      [
        'a type that is not a string',
        { ...config, allowedContentTypes: ['application/pdf', 7] },
        /^allowedContentTypes must be/,
      ],
    ])('refuses %s, naming the field', (_label, raw, message) => {
      // Act / Assert
      expect(() => page.parseConfig(raw)).toThrow(message);
    });
  });

  describe('apiErrorMessage', () => {
    it("shows the intake API's field and message", () => {
      // Act
      const message = page.apiErrorMessage(400, {
        error: 'invalid_request',
        field: 'size',
        message: 'must be a whole number of bytes from 1 to 10485760',
      });

      // Assert
      expect(message).toBe(
        'The API refused the upload: size must be a whole number of bytes from 1 to 10485760.',
      );
    });

    it("shows API Gateway's bare message, and says what to do on 401", () => {
      // Act / Assert
      expect(page.apiErrorMessage(413, { message: 'Request Entity Too Large' })).toBe(
        'The API refused the upload: Request Entity Too Large.',
      );
      expect(page.apiErrorMessage(401, { message: 'Unauthorized' })).toBe(
        "The API refused the page's token (401: Unauthorized). Reload the page for a fresh one.",
      );
    });

    it('quotes the request id of a 500 and never invents a detail', () => {
      // Act / Assert
      expect(page.apiErrorMessage(500, { error: 'internal_error', requestId: 'req-1' })).toBe(
        'The API failed with HTTP 500 (request id req-1). Try again later.',
      );
      expect(page.apiErrorMessage(403, undefined)).toBe('The API refused the upload (HTTP 403).');
    });
  });

  describe('s3ErrorMessage', () => {
    it("shows the code and message of S3's XML error", () => {
      // Arrange
      const xml =
        '<?xml version="1.0" encoding="UTF-8"?><Error><Code>EntityTooLarge</Code>' +
        '<Message>Your proposed upload exceeds the maximum allowed size</Message></Error>';

      // Act / Assert
      expect(page.s3ErrorMessage(400, xml)).toBe(
        'The storage server refused the upload (HTTP 400, EntityTooLarge: ' +
          'Your proposed upload exceeds the maximum allowed size).',
      );
      expect(page.s3ErrorMessage(403, '<Error><Code>AccessDenied</Code></Error>')).toBe(
        'The storage server refused the upload (HTTP 403, AccessDenied).',
      );
      expect(page.s3ErrorMessage(502, 'Bad Gateway')).toBe(
        'The storage server refused the upload (HTTP 502).',
      );
    });
  });

  describe('manifest media', () => {
    it('describes image dimensions and WAV facts, and nothing when absent', () => {
      // Act / Assert
      expect(page.describeImage({ image: { width: 640, height: 480 } })).toBe('640 × 480 pixels');
      expect(
        page.describeAudio({
          audio: { durationSeconds: 3.25, sampleRate: 44100, channels: 2, bitsPerSample: 16 },
        }),
      ).toBe('3.3 s, 44100 Hz, 2 channels, 16-bit');
      expect(page.describeImage({})).toBeUndefined();
      expect(page.describeAudio(undefined)).toBeUndefined();
    });
  });

  describe('polling', () => {
    it('backs off from the first delay by the factor up to the cap', () => {
      // Act
      const delays: number[] = [];
      let delay: number | undefined;
      for (let i = 0; i < 12; i++) {
        delay = page.nextPollDelay(delay);
        delays.push(delay);
      }

      // Assert
      expect(delays[0]).toBe(page.POLL.firstDelayMs);
      for (let i = 1; i < delays.length; i++) {
        expect(delays[i]).toBe(Math.min(Math.round(delays[i - 1] * page.POLL.factor), page.POLL.maxDelayMs));
      }
      expect(delays.at(-1)).toBe(page.POLL.maxDelayMs);
    });

    it('stops on processed, quarantined and error only', () => {
      // Act / Assert
      expect(['pending', 'scanning', 'processed', 'quarantined', 'error'].filter(page.isFinalStatus)).toEqual(
        ['processed', 'quarantined', 'error'],
      );
    });
  });
});
