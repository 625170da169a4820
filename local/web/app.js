/*
 * Stowage local upload page: the page itself. Plain browser JavaScript, no build step, no external resources: it
 * runs under `default-src 'self'; connect-src 'self' <S3 origin>` (no inline script or style, DOM built with
 * textContent). Its pure helpers are in page-helpers.js, loaded first.
 *
 * Flow per file: check size and type against the config (no request when refused) → POST /uploads (Bearer
 * token) → POST the presigned form straight to S3 (every field, then `file` last) → poll GET /uploads/{id} with
 * backoff until processed, quarantined or error, or until POLL.timeoutMs (then a "Check again" button). A processed
 * upload gets a "Download" button: each click asks GET /uploads/{id}/download for a fresh short-lived presigned URL
 * and opens it (S3 answers with Content-Disposition: attachment, so the browser saves the file).
 */
'use strict';

(function () {
  const {
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
  } = globalThis.StowagePageHelpers;

  /** Timeout of one API request (not of the S3 upload, whose length depends on the file). */
  const API_TIMEOUT_MS = 15000;

  const byId = (id) => {
    const element = document.getElementById(id);
    if (!element) throw new Error(`the page has no #${id}`);
    return element;
  };
  const input = byId('file-input');
  const form = byId('upload-form');
  const list = byId('uploads');
  const empty = byId('uploads-empty');
  const announcer = byId('announcer');
  const pageError = byId('page-error');

  const STATUS_TEXT = {
    checking: 'Checking the file…',
    requesting: 'Asking the API for an upload form…',
    uploading: 'Uploading to S3…',
    pending: 'Uploaded, scanning…',
    scanning: 'Uploaded, scanning…',
    processed: 'Clean: processed.',
    quarantined: 'Malware found: quarantined. The file cannot be downloaded.',
    error: 'The pipeline could not finish this upload.',
  };

  let config;
  try {
    config = parseConfig(window.STOWAGE_CONFIG);
  } catch (error) {
    showPageError(`The page cannot upload: ${error.message}.`);
    byId('limits').textContent = 'Upload settings unavailable.';
    return;
  }
  input.accept = config.allowedContentTypes.join(',');
  input.disabled = false;
  byId('limits').textContent =
    `Up to ${formatBytes(config.maxUploadBytes)} per file. ` +
    `Accepted types: ${config.allowedContentTypes.join(', ')}.`;
  byId('signed-in').textContent = `Uploading as ${config.user} (local token).`;

  form.addEventListener('submit', (event) => event.preventDefault());
  input.addEventListener('change', () => {
    const files = Array.from(input.files || []);
    // Clear the picker so that choosing the same file again is a new upload.
    input.value = '';
    for (const file of files) {
      void uploadFile(file).catch((error) => {
        // Every expected failure is shown on its item; this is a bug in the page itself: make it visible.
        showPageError(`Unexpected error while uploading ${file.name}: ${error && error.message}`);
        throw error;
      });
    }
  });

  function showPageError(message) {
    pageError.textContent = message;
    pageError.hidden = false;
  }

  let lastAnnouncement = '';
  function announce(message) {
    // A repeated message would not be read again: make each one differ by a zero-width marker.
    const text = message === lastAnnouncement ? `${message}\u200b` : message;
    lastAnnouncement = text;
    announcer.textContent = text;
  }

  function element(tag, attributes, text) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) node.setAttribute(name, value);
    if (text !== undefined) node.textContent = text;
    return node;
  }

  /** A `<dl>` of label → value pairs; pairs whose value is empty are left out. */
  function fillDefinitionList(dl, pairs) {
    dl.replaceChildren();
    for (const [label, value, testId] of pairs) {
      if (value === undefined || value === null || value === '') continue;
      dl.append(element('dt', {}, label));
      dl.append(element('dd', testId ? { 'data-testid': testId } : {}, String(value)));
    }
    dl.hidden = dl.childElementCount === 0;
  }

  /** One entry of the list, newest first, and the functions that update it. */
  function createItem(file) {
    const type = contentTypeOf(file) || 'unknown type';
    const item = element('li', {
      class: 'upload',
      'data-testid': 'upload-item',
      'data-file-name': file.name,
    });
    const head = element('div', { class: 'upload-head' });
    head.append(element('span', { class: 'file-name', 'data-testid': 'upload-file-name' }, file.name));
    head.append(element('span', { class: 'file-meta' }, `${formatBytes(file.size)} · ${type}`));
    const statusLine = element('p', { class: 'status-line' }, 'Status: ');
    const status = element('strong', { class: 'status', 'data-testid': 'upload-status' });
    statusLine.append(status);
    const message = element('p', { class: 'message', 'data-testid': 'upload-message' });
    const verdict = element('dl', {
      class: 'details',
      'data-testid': 'upload-verdict',
      'aria-label': 'Verdict',
    });
    const manifest = element('dl', {
      class: 'details',
      'data-testid': 'upload-manifest',
      'aria-label': 'Manifest',
    });
    verdict.hidden = true;
    manifest.hidden = true;
    const retry = element(
      'button',
      { type: 'button', class: 'retry', 'data-testid': 'upload-retry' },
      'Check again',
    );
    retry.hidden = true;
    const download = element(
      'button',
      { type: 'button', class: 'download', 'data-testid': 'upload-download' },
      'Download',
    );
    download.hidden = true;
    download.addEventListener('click', () => {
      void downloadUpload(item, download).catch((error) => {
        showPageError(`Unexpected error while downloading ${file.name}: ${error && error.message}`);
        throw error;
      });
    });
    item.append(head, statusLine, message, verdict, manifest, download, retry);
    list.prepend(item);
    empty.hidden = true;

    return {
      item,
      retry,
      setStatus(value, text) {
        const changed = status.textContent !== value;
        status.textContent = value;
        status.dataset.status = value;
        item.dataset.status = value;
        message.textContent = text === undefined ? STATUS_TEXT[value] || '' : text;
        if (changed) announce(`${file.name}: ${value}. ${message.textContent}`);
      },
      setMessage(text) {
        message.textContent = text;
      },
      showResult(view) {
        const v = view.verdict;
        fillDefinitionList(
          verdict,
          v
            ? [
                ['Verdict', v.status, 'verdict-status'],
                ['Engine', v.engine, 'verdict-engine'],
                ['Signature', v.signature, 'verdict-signature'],
                ['Scanned at', v.scannedAt, 'verdict-scanned-at'],
              ]
            : [],
        );
        const m = view.status === 'processed' ? view.manifest : undefined;
        fillDefinitionList(
          manifest,
          m
            ? [
                ['SHA-256', m.sha256, 'manifest-sha256'],
                [
                  'Size',
                  typeof m.size === 'number' ? `${formatBytes(m.size)} (${m.size} bytes)` : m.size,
                  'manifest-size',
                ],
                ['Detected type', m.detectedType, 'manifest-detected-type'],
                ['Declared type', m.declaredType, 'manifest-declared-type'],
                ['Image', describeImage(m.media), 'manifest-image'],
                ['Audio', describeAudio(m.media), 'manifest-audio'],
                ['Stored as', view.processedKey, 'manifest-processed-key'],
              ]
            : [],
        );
        download.hidden = view.status !== 'processed';
      },
    };
  }

  async function readJson(response) {
    const text = await response.text();
    if (text === '') return undefined;
    try {
      return JSON.parse(text);
    } catch (error) {
      if (!(error instanceof SyntaxError)) throw error;
      return undefined;
    }
  }

  function apiFetch(path, init) {
    return fetch(new URL(path, window.location.origin), {
      ...init,
      headers: { ...(init && init.headers), authorization: `Bearer ${config.token}` },
      signal: AbortSignal.timeout(API_TIMEOUT_MS),
    });
  }

  async function uploadFile(file) {
    const ui = createItem(file);
    ui.setStatus('checking');
    const refusal = checkFile(file, config);
    if (refusal) {
      ui.setStatus('refused', refusal);
      return;
    }

    // 1. Ask the API for a presigned POST.
    ui.setStatus('requesting');
    let presigned;
    try {
      const response = await apiFetch('/uploads', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ fileName: file.name, contentType: contentTypeOf(file), size: file.size }),
      });
      const body = await readJson(response);
      if (response.status !== 201) {
        ui.setStatus(response.status < 500 ? 'refused' : 'failed', apiErrorMessage(response.status, body));
        return;
      }
      if (!body || typeof body.url !== 'string' || typeof body.uploadId !== 'string' || !body.fields) {
        ui.setStatus('failed', 'The API answered 201 without an upload form (url, fields, uploadId).');
        return;
      }
      presigned = body;
    } catch (error) {
      ui.setStatus('failed', `Could not reach the API: ${describeFetchError(error)}.`);
      return;
    }
    ui.item.dataset.uploadId = presigned.uploadId;

    // 2. Send the file straight to S3: every policy field first, the file last (S3 ignores fields after it).
    ui.setStatus('uploading');
    try {
      const formData = new FormData();
      for (const [name, value] of Object.entries(presigned.fields)) formData.append(name, value);
      formData.append('file', file, file.name);
      const response = await fetch(presigned.url, { method: 'POST', body: formData });
      if (!response.ok) {
        ui.setStatus('failed', s3ErrorMessage(response.status, await response.text()));
        return;
      }
    } catch (error) {
      ui.setStatus(
        'failed',
        `Could not send the file to the storage server (${describeFetchError(error)}); ` +
          'check that it runs and allows this page in its CORS rules.',
      );
      return;
    }

    // 3. Follow the pipeline; after a timeout, "Check again" starts following it anew.
    ui.retry.addEventListener('click', () => {
      void followStatus(ui, presigned.uploadId).catch((error) => {
        showPageError(`Unexpected error while checking ${file.name}: ${error && error.message}`);
        throw error;
      });
    });
    ui.setStatus('uploaded', 'Uploaded, scanning…');
    await followStatus(ui, presigned.uploadId);
  }

  /** Asks the API for a fresh download URL of a processed upload and opens it (the browser saves the file). */
  async function downloadUpload(item, button) {
    button.disabled = true;
    try {
      const uploadId = item.dataset.uploadId;
      const response = await apiFetch(`/uploads/${encodeURIComponent(uploadId)}/download`, { method: 'GET' });
      const body = await readJson(response);
      if (response.status !== 200 || !body || typeof body.url !== 'string') {
        announce(`${item.dataset.fileName}: download unavailable. ${apiErrorMessage(response.status, body)}`);
        return;
      }
      window.location.assign(body.url);
    } catch (error) {
      announce(`${item.dataset.fileName}: could not ask for a download (${describeFetchError(error)}).`);
    } finally {
      button.disabled = false;
    }
  }

  function describeFetchError(error) {
    if (error && error.name === 'TimeoutError') return `no answer within ${API_TIMEOUT_MS / 1000} s`;
    return error && error.message ? error.message : String(error);
  }

  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  /** Polls the status with backoff until it is final or POLL.timeoutMs has passed; then offers a retry. */
  async function followStatus(ui, uploadId) {
    ui.retry.hidden = true;
    const deadline = Date.now() + POLL.timeoutMs;
    let delay;
    let lastStatus = ui.item.dataset.status;
    for (;;) {
      delay = nextPollDelay(delay);
      await sleep(delay);
      let response;
      let body;
      try {
        response = await apiFetch(`/uploads/${encodeURIComponent(uploadId)}`, { method: 'GET' });
        body = await readJson(response);
      } catch (error) {
        response = undefined;
        ui.setMessage(`Status check failed (${describeFetchError(error)}); retrying…`);
      }
      if (response && response.status === 200 && body && typeof body.status === 'string') {
        lastStatus = body.status;
        if (isFinalStatus(body.status)) {
          const text =
            body.status === 'error' && body.reason
              ? `${STATUS_TEXT.error} Reason: ${body.reason}`
              : STATUS_TEXT[body.status];
          ui.showResult(body);
          ui.setStatus(body.status, text);
          return;
        }
        ui.setStatus(body.status, STATUS_TEXT[body.status] || `Status: ${body.status}`);
      } else if (
        response &&
        (response.status === 401 || response.status === 403 || response.status === 404)
      ) {
        ui.setStatus('failed', `${apiErrorMessage(response.status, body)} Stopped checking the status.`);
        return;
      } else if (response) {
        // 429, 5xx or an unexpected answer: transient as far as the page can tell.
        ui.setMessage(`Status check failed (HTTP ${response.status}); retrying…`);
      }
      if (Date.now() + nextPollDelay(delay) > deadline) break;
    }
    ui.setMessage(
      `No final status after ${Math.round(POLL.timeoutMs / 1000)} s (last: ${lastStatus}); stopped checking. ` +
        'The pipeline may still finish: check again later.',
    );
    announce(`${ui.item.dataset.fileName}: stopped checking the status.`);
    ui.retry.hidden = false;
  }
})();
