/*
 * Stowage local upload page: the pure helpers (config validation, file checks, messages, polling backoff). Plain
 * browser JavaScript, no build step; loaded before app.js (both `defer`), it hands its helpers to app.js as
 * `globalThis.StowagePageHelpers`, and to Node (module.exports) for unit tests (test/local/web/app.test.ts).
 */
'use strict';

(function () {
  /** Statuses after which the pipeline does nothing more with an upload. */
  const FINAL_STATUSES = ['processed', 'quarantined', 'error'];

  /** Status polling: first wait, growth factor, longest wait, and when to stop asking. */
  const POLL = { firstDelayMs: 400, factor: 1.6, maxDelayMs: 5000, timeoutMs: 120000 };

  /** `12.0 MB`: binary multiples with one decimal, as the limit message reads. */
  function formatBytes(bytes) {
    if (!Number.isFinite(bytes) || bytes < 0) return String(bytes);
    if (bytes < 1024) return bytes === 1 ? '1 byte' : `${bytes} bytes`;
    const units = ['KB', 'MB', 'GB', 'TB'];
    let value = bytes / 1024;
    let unit = 0;
    while (value >= 1024 && unit < units.length - 1) {
      value /= 1024;
      unit += 1;
    }
    return `${value.toFixed(1)} ${units[unit]}`;
  }

  /** The page config from /config.js, validated; throws an Error naming the first bad field. */
  function parseConfig(raw) {
    if (raw === null || typeof raw !== 'object') {
      throw new Error('window.STOWAGE_CONFIG is missing: /config.js did not load');
    }
    if (typeof raw.token !== 'string' || raw.token === '')
      throw new Error('token must be a non-empty string');
    if (typeof raw.user !== 'string' || raw.user === '') throw new Error('user must be a non-empty string');
    if (!Number.isSafeInteger(raw.maxUploadBytes) || raw.maxUploadBytes < 1) {
      throw new Error('maxUploadBytes must be a positive whole number');
    }
    if (
      !Array.isArray(raw.allowedContentTypes) ||
      raw.allowedContentTypes.length === 0 ||
      !raw.allowedContentTypes.every((type) => typeof type === 'string' && type !== '')
    ) {
      throw new Error('allowedContentTypes must be a non-empty list of content types');
    }
    return {
      token: raw.token,
      user: raw.user,
      maxUploadBytes: raw.maxUploadBytes,
      allowedContentTypes: raw.allowedContentTypes.map((type) => type.toLowerCase()),
    };
  }

  /** The content type a browser reports for a file, reduced to its lower-case essence ('' when unknown). */
  function contentTypeOf(file) {
    return String(file.type || '')
      .split(';')[0]
      .trim()
      .toLowerCase();
  }

  /**
   * Why the page refuses a file before asking the API, or undefined when it may go. The API checks the same
   * rules again; this only spares a request and says it in words.
   */
  function checkFile(file, config) {
    const type = contentTypeOf(file);
    if (file.size > config.maxUploadBytes) {
      return `${file.name} is ${formatBytes(file.size)}; the limit is ${formatBytes(config.maxUploadBytes)}.`;
    }
    if (file.size === 0) return `${file.name} is empty; there is nothing to upload.`;
    if (type === '') {
      return (
        `${file.name} has no type the browser recognizes; ` +
        `accepted types: ${config.allowedContentTypes.join(', ')}.`
      );
    }
    if (!config.allowedContentTypes.includes(type)) {
      return `${file.name} is ${type}, which is not accepted; accepted types: ${config.allowedContentTypes.join(', ')}.`;
    }
    return undefined;
  }

  /** A readable message from an API error response: the intake API's `{field, message}` or API Gateway's `{message}`. */
  function apiErrorMessage(status, body) {
    const detail =
      body && typeof body === 'object' && typeof body.message === 'string' && body.message !== ''
        ? typeof body.field === 'string' && body.field !== ''
          ? `${body.field} ${body.message}`
          : body.message
        : '';
    if (status === 401) {
      return `The API refused the page's token (401${detail ? `: ${detail}` : ''}). Reload the page for a fresh one.`;
    }
    if (status >= 500) {
      const requestId = body && typeof body.requestId === 'string' ? ` (request id ${body.requestId})` : '';
      return `The API failed with HTTP ${status}${requestId}. Try again later.`;
    }
    return detail ? `The API refused the upload: ${detail}.` : `The API refused the upload (HTTP ${status}).`;
  }

  /** A readable message from an S3 error response (an XML `<Error>` document, or anything else). */
  function s3ErrorMessage(status, text) {
    const pick = (tag) => {
      const match = new RegExp(`<${tag}>([^<]*)</${tag}>`).exec(text || '');
      return match ? match[1].trim() : '';
    };
    const code = pick('Code');
    const message = pick('Message');
    const detail = [code, message].filter(Boolean).join(': ');
    return `The storage server refused the upload (HTTP ${status}${detail ? `, ${detail}` : ''}).`;
  }

  /** `640 × 480 pixels` from a manifest's `media.image`, or undefined. */
  function describeImage(media) {
    const image = media && media.image;
    return image ? `${image.width} × ${image.height} pixels` : undefined;
  }

  /** `3.2 s, 44100 Hz, 2 channels, 16-bit` from a manifest's `media.audio`, or undefined. */
  function describeAudio(media) {
    const audio = media && media.audio;
    if (!audio) return undefined;
    const channels = audio.channels === 1 ? '1 channel' : `${audio.channels} channels`;
    return `${audio.durationSeconds.toFixed(1)} s, ${audio.sampleRate} Hz, ${channels}, ${audio.bitsPerSample}-bit`;
  }

  /** The wait before the next status check. */
  function nextPollDelay(previousMs) {
    if (previousMs === undefined) return POLL.firstDelayMs;
    return Math.min(Math.round(previousMs * POLL.factor), POLL.maxDelayMs);
  }

  function isFinalStatus(status) {
    return FINAL_STATUSES.includes(status);
  }

  const helpers = {
    FINAL_STATUSES,
    POLL,
    formatBytes,
    parseConfig,
    contentTypeOf,
    checkFile,
    apiErrorMessage,
    s3ErrorMessage,
    describeImage,
    describeAudio,
    nextPollDelay,
    isFinalStatus,
  };
  if (typeof module === 'object' && module !== null && module.exports) module.exports = helpers;
  else globalThis.StowagePageHelpers = helpers;
})();
