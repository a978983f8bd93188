// report.html's Server section in Chromium: every server chart draws a canvas, no page error, no
// request leaves the page. The run is the chat quickstart's shape against the embedded mock.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { launchChromium, openOffline, skipBrowser } from '../helpers/browser.js';
import { startRun } from '../../src/engine/coordinator.js';
import { buildSummary } from '../../src/metrics/summary.js';
import { renderHtml } from '../../src/report/html.js';
import { scenario, chatWorkload } from '../helpers/scenario.js';

describe.skipIf(skipBrowser)('report.html Server section in Chromium', () => {
  let browser: Browser;
  let dir: string;
  beforeAll(async () => {
    browser = await launchChromium();
    dir = mkdtempSync(join(tmpdir(), 'servebench-server-html-'));
  });
  afterAll(async () => {
    await browser?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('draws every server chart on the client seconds', { timeout: 60_000 }, async () => {
    const s = {
      ...scenario({ target: { url: 'embedded', embedded: true, mock: { llm: { decodeMsPerToken: 5 } } }, workloads: [chatWorkload({ model: 'llm' })], load: { rps: 10, durationMs: 3000 } }),
      server: { metrics: [{ url: 'embedded', intervalMs: 500, timeoutMs: 1000, select: [], headers: {}, tls: { insecure: false } }] },
    };
    const { records } = await startRun(s).done;
    const file = join(dir, 'report.html');
    writeFileSync(file, renderHtml(buildSummary(records)));
    const p = await openOffline(browser, { width: 1280, height: 900 });
    try {
      await p.page.goto(pathToFileURL(file).href);
      await p.page.waitForSelector('#server [data-chart] canvas');
      const charts = await p.page.$$eval('#server [data-chart]', (els) => els.map((el) => ({ empty: el.getAttribute('data-empty') === 'true', canvas: el.querySelector('canvas') !== null })));
      expect(charts.length).toBeGreaterThanOrEqual(5);
      for (const c of charts) expect(c.empty || c.canvas).toBe(true);
      expect(await p.page.locator('#server table.server-vs-client tbody tr').count()).toBeGreaterThanOrEqual(1);
      expect(p.pageErrors).toEqual([]);
      expect(p.consoleErrors).toEqual([]);
      expect(p.aborted).toEqual([]);
    } finally {
      await p.context.close();
    }
  });
});
