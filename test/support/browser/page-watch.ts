/**
 * Records what a page does that a test should see: every request it sends, and every uncaught error or console
 * error (Content-Security-Policy violations and failed loads are console errors in Chromium).
 */
import type { Page } from 'playwright-core';

export interface WatchedRequest {
  readonly method: string;
  readonly url: string;
}

export interface PageWatch {
  /** Requests the page sent, in order. */
  readonly requests: readonly WatchedRequest[];
  /** Uncaught exceptions (`pageerror`) and console errors, in order, as text. */
  readonly problems: readonly string[];
  /** Requests sent since `mark` (a length of `requests` taken earlier). */
  requestsSince(mark: number): readonly WatchedRequest[];
}

export function watchPage(page: Page): PageWatch {
  const requests: WatchedRequest[] = [];
  const problems: string[] = [];
  page.on('request', (request) => requests.push({ method: request.method(), url: request.url() }));
  page.on('pageerror', (error) => problems.push(`uncaught: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`);
  });
  return { requests, problems, requestsSince: (mark) => requests.slice(mark) };
}
