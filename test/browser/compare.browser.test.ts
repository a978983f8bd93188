/**
 * Opens compare.html in headless Chromium with the network blocked: it must need no network,
 * raise no error and draw every chart it has data for (both runs overlaid).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { compareRuns } from '../../src/compare/core.js';
import { runDataOf } from '../../src/compare/load.js';
import { compareCharts, renderCompareHtml } from '../../src/report/compare-html.js';
import { syntheticRun } from '../helpers/synthetic-run.js';
import { launchChromium, openOffline, skipBrowser } from '../helpers/browser.js';

describe('compare.html in a browser', () => {
  it.skipIf(skipBrowser)('renders offline, without errors, with both runs in every chart', async () => {
    const a = syntheticRun({ seed: 1, seconds: 10 });
    const b = syntheticRun({ seed: 2, seconds: 10, medianMs: 24 });
    const report = { comparison: compareRuns(runDataOf('main', 'a', a.summary, a.records), runDataOf('branch', 'b', b.summary, b.records)), baseline: a.summary, candidate: b.summary };
    const dir = mkdtempSync(join(tmpdir(), 'servebench-compare-'));
    const file = join(dir, 'compare.html');
    writeFileSync(file, renderCompareHtml(report));
    const browser = await launchChromium();
    try {
      const { page, aborted: external, consoleErrors, pageErrors } = await openOffline(browser, { width: 1440, height: 900 });
      await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
      await page.waitForSelector('html[data-charts-ready]', { timeout: 20_000 });
      const drawn = Number(await page.getAttribute('html', 'data-charts-ready'));
      const expected = compareCharts(report).filter((c) => !c.empty);
      expect([...pageErrors, ...consoleErrors]).toEqual([]);
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
