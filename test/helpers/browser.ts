/**
 * Headless Debian Chromium for the browser tests: launched once per file, pages opened from
 * file:// with every other request aborted (a report must need no network) and page errors,
 * console errors and attempted requests collected for the test to assert on.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
export const haveChromium = existsSync(CHROMIUM);
/** Skip where Chromium is missing, except in CI, where the test runs and fails instead. */
export const skipBrowser = !haveChromium && !process.env.CI;

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

export interface OfflinePage {
  context: BrowserContext;
  page: Page;
  /** Every non-file request the page tried (all aborted). */
  aborted: string[];
  consoleErrors: string[];
  pageErrors: string[];
}

/** `allowOrigin`: one http origin the page may also reach (the live dashboard's own server). */
export async function openOffline(browser: Browser, viewport: { width: number; height: number }, allowOrigin?: string): Promise<OfflinePage> {
  const context = await browser.newContext({ viewport, deviceScaleFactor: 1 });
  const aborted: string[] = [];
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith('file:') || (allowOrigin && new URL(url).origin === allowOrigin)) return route.continue();
    aborted.push(url);
    return route.abort();
  });
  const page = await context.newPage();
  const consoleErrors: string[] = [];
  const pageErrors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });
  page.on('pageerror', (err) => pageErrors.push(String(err)));
  page.on('requestfailed', (r) => {
    if (!aborted.includes(r.url())) aborted.push(r.url());
  });
  return { context, page, aborted, consoleErrors, pageErrors };
}
