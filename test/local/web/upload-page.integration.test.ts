/**
 * The local upload page (local/web/) in a real browser: Debian's Chromium driven by playwright-core, against local
 * mode started in-process (startLocalMode) on the run's test servers: the real intake API behind local JWTs, a real
 * presigned POST straight from the browser to Ceph RGW (another origin, under the page's CSP and the bucket's
 * CORS), and the real pipeline (RGW notification → scan with the built-in engine and clamd → process/quarantine).
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { eicarBytes } from '../../../core/scan/eicar';
import { startLocalMode } from '../../../local/runtime/local-mode';
import type { LocalMode } from '../../../local/runtime/local-mode';
import { launchChromium } from '../../support/browser/chromium';
import type { LaunchedChromium } from '../../support/browser/chromium';
import { watchPage } from '../../support/browser/page-watch';
import type { PageWatch } from '../../support/browser/page-watch';
import { getTestServers } from '../../support/integration/servers';
import { waitFor } from '../../support/integration/wait-for';

/** How long an upload may take to reach its final status through the whole pipeline. */
const FINAL_STATUS_TIMEOUT_MS = 30_000;
/** Statuses after which the page does nothing more: the pipeline's final ones and the page's own refusals. */
const SETTLED_STATUSES = ['processed', 'quarantined', 'error', 'refused', 'failed'] as const;
const MiB = 1024 * 1024;

interface OpenedPage {
  readonly page: Page;
  readonly watch: PageWatch;
  /** Response headers of the page itself (`GET /`). */
  readonly headers: Readonly<Record<string, string>>;
}

/** The list entry of the upload of `fileName` (the newest one when there are several). */
function uploadItem(page: Page, fileName: string): Locator {
  return page.locator(`[data-testid="upload-item"][data-file-name="${fileName}"]`).first();
}

function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

describe('upload page (local/web) in Chromium against local mode', () => {
  let dataDir: string | undefined;
  let local: LocalMode | undefined;
  let browser: LaunchedChromium | undefined;
  let opened: Page[] = [];
  let cleanPdf: Buffer;
  /** What local mode reported as failures (dead letters, verifier alerts, stop problems). */
  const localErrors: string[] = [];

  beforeAll(async () => {
    const { clamd } = getTestServers();
    dataDir = mkdtempSync(path.join(tmpdir(), 'stowage-web-'));
    // Local mode with its own RGW (memstore: fast, nothing to keep) and the run's clamd. Not the run's RGW: local
    // mode's bucket names are fixed per env (stowage-dev-*), and another test's local mode on the same server
    // would take over the uploads bucket's notifications.
    local = await startLocalMode({
      dataDir,
      port: 0,
      objectStore: 'memstore',
      clamav: clamd,
      preflight: false,
      verifyAtStart: false,
      out: () => undefined,
      err: (line) => localErrors.push(line),
    });
    browser = await launchChromium();

    // A real, valid PDF: printed by the same Chromium.
    const printer = await browser.context.newPage();
    try {
      await printer.setContent('<h1>Stowage</h1><p>A clean test document for the upload page.</p>');
      cleanPdf = await printer.pdf({ format: 'A6' });
    } finally {
      await printer.close();
    }
  }, 120_000);

  afterAll(async () => {
    // Close both even if one fails, then report every failure: never leave a browser or local mode behind.
    const results = await Promise.allSettled([browser?.close(), local?.stop()]);
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    const failures = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failures.length > 0) {
      throw new AggregateError(
        failures.map((f) => f.reason),
        'closing the browser or stopping local mode failed',
      );
    }
  }, 60_000);

  afterEach(async () => {
    await Promise.all(opened.map((page) => page.close()));
    opened = [];
  });

  function running(): { readonly local: LocalMode; readonly browser: LaunchedChromium } {
    if (!browser || !local) throw new Error('beforeAll did not start the browser and local mode');
    return { local, browser };
  }

  function s3Origin(): string {
    return new URL(running().local.s3Url).origin;
  }

  /** Requests to the intake API's `/uploads` (POST) or `/uploads/{id}` (GET) of local mode. */
  function apiRoute(kind: 'presign' | 'status'): (url: URL) => boolean {
    const apiOrigin = new URL(running().local.apiUrl).origin;
    return (url) =>
      url.origin === apiOrigin &&
      (kind === 'presign' ? url.pathname === '/uploads' : /^\/uploads\/[^/]+$/.test(url.pathname));
  }

  /**
   * A new tab on the page, loaded, with its requests and errors recorded. `fakeClock` installs Playwright's clock
   * before the page loads (time flows until the test moves it).
   */
  async function openPage(options: { readonly fakeClock?: boolean } = {}): Promise<OpenedPage> {
    const page = await running().browser.context.newPage();
    const watch = watchPage(page);
    opened.push(page);
    if (options.fakeClock) await page.clock.install();
    const response = await page.goto(running().local.pageUrl);
    if (!response) throw new Error(`no response for ${running().local.pageUrl}`);
    expect(response.status()).toBe(200);
    await filePicker(page).and(page.locator(':enabled')).waitFor();
    return { page, watch, headers: response.headers() };
  }

  /** Waits until the upload of `fileName` shows a status after which the page does nothing more, and returns it. */
  async function settledStatusOf(page: Page, fileName: string): Promise<string> {
    const settled = SETTLED_STATUSES.map((status) => `[data-status="${status}"]`).join(', ');
    const status = uploadItem(page, fileName).locator(`[data-testid="upload-status"]:is(${settled})`);
    await status.waitFor({ timeout: FINAL_STATUS_TIMEOUT_MS });
    return status.innerText();
  }

  /** The text of the element with `testId` in the upload of `fileName`. */
  function detail(page: Page, fileName: string, testId: string): Promise<string> {
    return uploadItem(page, fileName).getByTestId(testId).innerText();
  }

  function filePicker(page: Page): Locator {
    return page.getByLabel('Choose one or more files to upload');
  }

  it('loads under its Content-Security-Policy with the limits from /config.js and no errors', async () => {
    // Arrange / Act
    const { page, watch, headers } = await openPage();

    // Assert
    const csp = headers['content-security-policy'] ?? '';
    expect(csp).toMatch(/(^|; )default-src 'self'(;|$)/);
    expect(csp).toMatch(new RegExp(`(^|; )connect-src 'self' ${escapeRegExp(s3Origin())}(;|$)`));
    await expect(page.getByTestId('upload-limits').innerText()).resolves.toMatch(
      /^Up to 10\.0 MB per file\. Accepted types: .*application\/pdf/,
    );
    await expect(page.getByTestId('signed-in-user').innerText()).resolves.toMatch(
      /^Uploading as \S+ \(local token\)\.$/,
    );
    expect(watch.problems).toEqual([]);
  });

  it('uploads a clean PDF and an EICAR file: processed with its manifest, quarantined with the signature', async () => {
    // Arrange
    const { page, watch } = await openPage();
    const mark = watch.requests.length;

    // Act
    await filePicker(page).setInputFiles({
      name: 'clean.pdf',
      mimeType: 'application/pdf',
      buffer: cleanPdf,
    });
    const cleanStatus = await settledStatusOf(page, 'clean.pdf');
    await filePicker(page).setInputFiles({
      name: 'eicar.pdf',
      mimeType: 'application/pdf',
      buffer: eicarBytes(),
    });
    const eicarStatus = await settledStatusOf(page, 'eicar.pdf');

    // Assert: the clean file, with the verdict and the manifest of exactly the bytes the browser sent.
    expect(cleanStatus).toBe('processed');
    await expect(detail(page, 'clean.pdf', 'verdict-status')).resolves.toBe('CLEAN');
    await expect(detail(page, 'clean.pdf', 'verdict-engine')).resolves.toMatch(/clam/i);
    await expect(detail(page, 'clean.pdf', 'manifest-sha256')).resolves.toBe(sha256Hex(cleanPdf));
    await expect(detail(page, 'clean.pdf', 'manifest-size')).resolves.toMatch(
      new RegExp(`\\(${cleanPdf.length} bytes\\)$`),
    );
    await expect(detail(page, 'clean.pdf', 'manifest-detected-type')).resolves.toBe('application/pdf');
    await expect(detail(page, 'clean.pdf', 'manifest-processed-key')).resolves.toMatch(
      /^processed\/[^/]+\/\d{4}\/\d{2}\/\d{2}\/[0-9a-f-]{36}\.pdf$/,
    );
    await expect(uploadItem(page, 'clean.pdf').getByTestId('upload-download').isVisible()).resolves.toBe(
      true,
    );
    // The EICAR file: quarantined, with the signature, no manifest and nothing to download.
    await expect(uploadItem(page, 'eicar.pdf').getByTestId('upload-download').isHidden()).resolves.toBe(true);
    expect(eicarStatus).toBe('quarantined');
    await expect(detail(page, 'eicar.pdf', 'verdict-status')).resolves.toBe('INFECTED');
    await expect(detail(page, 'eicar.pdf', 'verdict-signature')).resolves.toMatch(/^Eicar-Test-Signature/);
    await expect(uploadItem(page, 'eicar.pdf').getByTestId('upload-manifest').isHidden()).resolves.toBe(true);
    // Newest first, the last change announced, one API call and one S3 POST per file, nothing else.
    await expect(page.getByTestId('upload-file-name').allInnerTexts()).resolves.toEqual([
      'eicar.pdf',
      'clean.pdf',
    ]);
    await expect(page.getByRole('status').innerText()).resolves.toMatch(/^eicar\.pdf: quarantined\./);
    const posts = watch.requestsSince(mark).filter((request) => request.method === 'POST');
    expect(
      posts.map((request) => (request.url.startsWith(s3Origin()) ? 'S3' : new URL(request.url).pathname)),
    ).toEqual(['/uploads', 'S3', '/uploads', 'S3']);
    expect(watch.problems).toEqual([]);
  });

  it('downloads a processed upload through its Download button: the same bytes, under its own name', async () => {
    // Arrange: a processed upload (the quarantined EICAR file of the test above shows no button).
    const { page, watch } = await openPage();
    await filePicker(page).setInputFiles({
      name: 'Grüße report.pdf',
      mimeType: 'application/pdf',
      buffer: cleanPdf,
    });
    expect(await settledStatusOf(page, 'Grüße report.pdf')).toBe('processed');
    const button = uploadItem(page, 'Grüße report.pdf').getByTestId('upload-download');
    const mark = watch.requests.length;

    // Act: the click asks the API for a presigned URL and opens it; S3 answers with an attachment.
    const [download] = await Promise.all([page.waitForEvent('download'), button.click()]);
    const stream = await download.createReadStream();
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);

    // Assert
    expect(await download.failure()).toBeNull();
    expect(download.suggestedFilename()).toBe('Grüße report.pdf');
    expect(sha256Hex(Buffer.concat(chunks))).toBe(sha256Hex(cleanPdf));
    expect(new URL(download.url()).origin).toBe(s3Origin());
    const calls = watch
      .requestsSince(mark)
      .filter((request) => request.url.startsWith(running().local.apiUrl));
    expect(calls.map((request) => `${request.method} ${new URL(request.url).pathname}`)).toEqual([
      expect.stringMatching(/^GET \/uploads\/[0-9a-f-]{36}\/download$/),
    ]);
    expect(watch.problems).toEqual([]);
  });

  it('refuses a file over the size cap with a readable message and sends no request', async () => {
    // Arrange: the dev environment's cap is 10 MiB (lib/config/environments.ts).
    const { page, watch } = await openPage();
    const mark = watch.requests.length;

    // Act
    await filePicker(page).setInputFiles({
      name: 'big.pdf',
      mimeType: 'application/pdf',
      buffer: Buffer.concat([cleanPdf, Buffer.alloc(12 * MiB - cleanPdf.length)]),
    });
    const status = await settledStatusOf(page, 'big.pdf');

    // Assert
    expect(status).toBe('refused');
    await expect(detail(page, 'big.pdf', 'upload-message')).resolves.toBe(
      'big.pdf is 12.0 MB; the limit is 10.0 MB.',
    );
    expect(watch.requestsSince(mark)).toEqual([]);
    expect(watch.problems).toEqual([]);
  });

  it('refuses a type outside the allowlist with a readable message and sends no request', async () => {
    // Arrange
    const { page, watch } = await openPage();
    const mark = watch.requests.length;

    // Act
    await filePicker(page).setInputFiles({
      name: 'notes.txt',
      mimeType: 'text/plain',
      buffer: Buffer.from('notes\n'),
    });
    const status = await settledStatusOf(page, 'notes.txt');

    // Assert
    expect(status).toBe('refused');
    await expect(detail(page, 'notes.txt', 'upload-message')).resolves.toMatch(
      /^notes\.txt is text\/plain, which is not accepted; accepted types: .*application\/pdf.*\.$/,
    );
    expect(watch.requestsSince(mark)).toEqual([]);
  });

  it("shows the API's own message when the API refuses an upload", async () => {
    // Arrange: a name the page does not check but the API refuses (over 1,024 characters).
    const { page, watch } = await openPage();
    const name = `${'n'.repeat(1100)}.pdf`;

    // Act
    await filePicker(page).setInputFiles({ name, mimeType: 'application/pdf', buffer: cleanPdf });
    const status = await settledStatusOf(page, name);

    // Assert: refused with the API's field and rule, and nothing sent to S3.
    expect(status).toBe('refused');
    await expect(detail(page, name, 'upload-message')).resolves.toBe(
      'The API refused the upload: fileName must be at most 1024 characters.',
    );
    expect(watch.requests.filter((request) => request.url.startsWith(s3Origin()))).toEqual([]);
  });

  it("shows the storage server's refusal when the presigned form does not match its policy", async () => {
    // Arrange: tamper with one signed field of the API's real answer; RGW enforces the POST policy.
    const { page } = await openPage();
    await page.route(apiRoute('presign'), async (route) => {
      const response = await route.fetch();
      const body = (await response.json()) as { fields: Record<string, string> };
      body.fields['x-amz-meta-upload-id'] = 'tampered';
      await route.fulfill({ response, json: body });
    });

    // Act
    await filePicker(page).setInputFiles({
      name: 'tampered.pdf',
      mimeType: 'application/pdf',
      buffer: cleanPdf,
    });
    const status = await settledStatusOf(page, 'tampered.pdf');

    // Assert
    expect(status).toBe('failed');
    await expect(detail(page, 'tampered.pdf', 'upload-message')).resolves.toMatch(
      /^The storage server refused the upload \(HTTP 403, AccessDenied\b/,
    );
  });

  it('keeps polling through failed status checks and still shows the final status', async () => {
    // Arrange: the first three status checks fail (503, then two dropped connections); the rest reach the API.
    const { page } = await openPage();
    let injected = 0;
    await page.route(apiRoute('status'), async (route) => {
      if (injected >= 3) return route.fallback();
      injected += 1;
      if (injected === 1) return route.fulfill({ status: 503, json: { message: 'Service Unavailable' } });
      return route.abort('connectionreset');
    });

    // Act
    await filePicker(page).setInputFiles({
      name: 'flaky.pdf',
      mimeType: 'application/pdf',
      buffer: cleanPdf,
    });
    const status = await settledStatusOf(page, 'flaky.pdf');

    // Assert: every fault was hit, and nothing was lost.
    expect(injected).toBe(3);
    expect(status).toBe('processed');
    await expect(detail(page, 'flaky.pdf', 'manifest-sha256')).resolves.toBe(sha256Hex(cleanPdf));
  });

  it('stops polling after its timeout with a message, and "Check again" then finds the final status', async () => {
    // Arrange: a fake clock in the page, and status checks that keep answering `scanning`.
    const { page } = await openPage({ fakeClock: true });
    let checks = 0;
    const statusRoute = apiRoute('status');
    await page.route(statusRoute, async (route) => {
      checks += 1;
      const response = await route.fetch();
      const body = (await response.json()) as Record<string, unknown>;
      return route.fulfill({
        response,
        json: { ...body, status: 'scanning', verdict: undefined, manifest: undefined },
      });
    });
    await filePicker(page).setInputFiles({ name: 'slow.pdf', mimeType: 'application/pdf', buffer: cleanPdf });
    const retry = uploadItem(page, 'slow.pdf').getByTestId('upload-retry');
    await waitFor('the first status check', () => (checks > 0 ? true : undefined));

    // Act: jump the page's clock past the polling timeout, one pending wait at a time.
    for (let jumps = 0; !(await retry.isVisible()); jumps++) {
      if (jumps > 100) throw new Error(`still polling after ${jumps} clock jumps (${checks} checks)`);
      const before = checks;
      await page.clock.fastForward(10_000);
      await waitFor('the next status check or the timeout', async () =>
        checks > before || (await retry.isVisible()) ? true : undefined,
      );
    }
    const stoppedAfter = checks;
    const message = await detail(page, 'slow.pdf', 'upload-message');
    await page.unroute(statusRoute);
    await retry.click();
    const status = await settledStatusOf(page, 'slow.pdf');

    // Assert
    expect(message).toMatch(/^No final status after 120 s \(last: scanning\); stopped checking\./);
    expect(stoppedAfter).toBeGreaterThan(3);
    expect(status).toBe('processed');
    await expect(retry.isHidden()).resolves.toBe(true);
  });

  it('left no dead letters and no failure report in local mode after all of the above', () => {
    // Arrange
    const { queues } = running().local.intake;

    // Act
    const deadLetters = (['intake', 'quarantine', 'process'] as const).flatMap((name) =>
      queues[name].deadLettered.map((letter) => `${name}: ${letter.lastError}`),
    );

    // Assert
    expect(deadLetters).toEqual([]);
    expect(localErrors).toEqual([]);
  });
});
