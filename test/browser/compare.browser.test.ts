/**
 * Opens compare.html in headless Chromium with the network blocked: it must need no network,
 * raise no error and draw every chart it has data for (both runs overlaid).
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { compareRuns, runDataOf } from '../../src/report/compare.js';
import { compareCharts, renderCompareHtml } from '../../src/report/compare-html.js';
import { syntheticRun } from '../helpers/synthetic-run.js';

const CHROMIUM = '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);

describe('compare.html in a browser', () => {
  it.skipIf(!haveChromium && !process.env.CI)('renders offline, without errors, with both runs in every chart', async () => {
    const a = syntheticRun({ seed: 1, seconds: 10 });
    const b = syntheticRun({ seed: 2, seconds: 10, medianMs: 24 });
    const report = { comparison: compareRuns(runDataOf('main', 'a', a.summary, a.records), runDataOf('branch', 'b', b.summary, b.records)), baseline: a.summary, candidate: b.summary };
    const dir = mkdtempSync(join(tmpdir(), 'servebench-compare-'));
    const file = join(dir, 'compare.html');
    writeFileSync(file, renderCompareHtml(report));
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'] });
    try {
      const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
      const external: string[] = [];
      await context.route('**/*', (route) => {
        if (route.request().url().startsWith('file:')) return route.continue();
        external.push(route.request().url());
        return route.abort();
      });
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(String(e)));
      page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
      await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
      await page.waitForSelector('html[data-charts-ready]', { timeout: 20_000 });
      const drawn = Number(await page.getAttribute('html', 'data-charts-ready'));
      const expected = compareCharts(report).filter((c) => !c.empty);
      expect(errors).toEqual([]);
      expect(external).toEqual([]);
      expect(drawn).toBe(expected.length);
      // Every chart's legend names both runs.
      const legends = await page.$$eval('.chart .u-legend', (ls) => ls.map((l) => l.textContent ?? ''));
      expect(legends.length).toBe(expected.length);
      for (const l of legends) expect(l).toMatch(/main[\s\S]*branch/);
      expect(await page.locator('tr[data-verdict="regression"]').count()).toBe(report.comparison.regressions);
    } finally {
      await browser.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
