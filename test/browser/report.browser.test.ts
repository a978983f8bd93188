/**
 * Opens report.html in headless Chromium from file://, with every non-file request aborted, and
 * checks that it needs no network, raises no error, draws every chart that has data and shows the
 * summary's values. Prints the render time and size; saves a full-page screenshot for humans.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Summary } from '../../src/metrics/summary.js';
import { htmlReport } from '../../src/report/html.js';
import { fmtMs } from '../../src/report/html-format.js';
import { sampleSummary } from '../helpers/sample-summary.js';
import { CHROMIUM, haveChromium, launchChromium, openOffline, skipBrowser } from '../helpers/browser.js';

if (skipBrowser) {
  console.log(`report browser test skipped: ${CHROMIUM} not found (install it with: apt-get install -y chromium); in CI this fails instead`);
}

describe('report.html in a browser', () => {
  let browser: Browser | undefined;
  let dir = '';

  beforeAll(async () => {
    if (!haveChromium) return;
    dir = mkdtempSync(join(tmpdir(), 'servebench-report-'));
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('fails in CI when Chromium is missing', () => {
    if (process.env.CI) expect(haveChromium, `${CHROMIUM} is required in CI (apt-get install -y chromium)`).toBe(true);
  });

  it.skipIf(skipBrowser)('renders offline, without errors, with every chart drawn', async () => {
    const summary: Summary = sampleSummary();
    const html = htmlReport.render(summary);
    const file = join(dir, 'report.html');
    writeFileSync(file, html);

    const { context, page, aborted, consoleErrors, pageErrors } = await openOffline(browser!, { width: 1440, height: 900 });

    await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
    await page.waitForSelector('html[data-charts-ready]', { timeout: 15_000 });

    const timing = await page.evaluate(() => {
      const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming | undefined;
      const sb = (window as unknown as { __servebench: { renderedAtMs: number; chartsMs: number; charts: number } }).__servebench;
      return { loadEnd: nav ? nav.loadEventEnd : 0, renderedAt: sb.renderedAtMs, chartsMs: sb.chartsMs, charts: sb.charts };
    });
    const renderMs = Math.max(timing.loadEnd, timing.renderedAt);
    console.log(`report render: ${Math.round(renderMs)} ms (charts ${Math.round(timing.chartsMs)} ms), size: ${Math.round(Buffer.byteLength(html) / 1024)} KB`);

    // Every chart with data holds a canvas with drawn (non-transparent) pixels.
    const charts = await page.$$eval('.chart', (els) =>
      els.map((el) => {
        const id = el.getAttribute('data-chart') ?? '';
        const empty = el.getAttribute('data-empty') === 'true';
        const canvas = el.querySelector('canvas');
        let painted = 0;
        if (canvas && canvas.width > 0 && canvas.height > 0) {
          const ctx = canvas.getContext('2d');
          const px = ctx ? ctx.getImageData(0, 0, canvas.width, canvas.height).data : new Uint8ClampedArray();
          for (let i = 3; i < px.length; i += 4) if (px[i] !== 0) painted++;
        }
        return { id, empty, hasCanvas: !!canvas, painted };
      }),
    );
    expect(charts.length).toBeGreaterThanOrEqual(8);
    const withData = charts.filter((c) => !c.empty);
    expect(withData.map((c) => c.id)).toEqual(['rate', 'errors', 'latency', 'tokens', 'heatmap-0', 'heatmap-1', 'latency-spectrum', 'ttft-spectrum', 'ttft-histogram', 'itl-histogram']);
    expect(timing.charts).toBe(withData.length);
    for (const c of withData) {
      expect(c.hasCanvas, `chart ${c.id} has a canvas`).toBe(true);
      expect(c.painted, `chart ${c.id} has drawn pixels`).toBeGreaterThan(500);
    }

    // Tables show the summary's values.
    for (const w of summary.workloads) {
      const p99 = await page.textContent(`table.pct[data-workload="${w.name}"] tr[data-metric="latency"] td[data-stat="p99"]`);
      expect(p99).toBe(fmtMs(w.metrics.latency!.p99));
    }
    const chat = summary.workloads[1];
    expect(await page.textContent(`table.pct[data-workload="${chat.name}"] tr[data-metric="ttft"] td[data-stat="p50"]`)).toBe(fmtMs(chat.metrics.ttft!.p50));
    expect(await page.textContent('h1')).toBe(summary.scenario.name);
    expect(await page.isVisible('[data-banner="generator"]')).toBe(true);
    const failed = summary.thresholds.filter((t) => !t.ok).length;
    expect(await page.locator('table.thresholds .badge.fail', { hasText: /^FAIL$/ }).count()).toBe(failed);

    // A legend follows the cursor: hovering a time chart must not throw.
    const plot = page.locator('[data-chart="latency"] .u-over');
    const box = await plot.boundingBox();
    if (box) await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);

    const out = resolve('test-artifacts');
    mkdirSync(out, { recursive: true });
    await page.screenshot({ path: join(out, 'report.png'), fullPage: true });

    expect(aborted).toEqual([]);
    expect(pageErrors).toEqual([]);
    expect(consoleErrors).toEqual([]);
    await context.close();
  });

  it.skipIf(skipBrowser)('leaves out panels with nothing to show on a predict run; legends and count axes read right', async () => {
    const full = sampleSummary({ seconds: 20 });
    const predict = full.workloads[0];
    const summary: Summary = { ...full, workloads: [predict], timeseries: full.timeseries.filter((r) => r.workload === predict.name) };
    const file = join(dir, 'predict-only.html');
    writeFileSync(file, htmlReport.render(summary));
    const { context, page, pageErrors, consoleErrors } = await openOffline(browser!, { width: 1400, height: 900 });
    await page.goto(pathToFileURL(file).href);
    await page.waitForSelector('html[data-charts-ready]');
    // No placeholder panel: every chart box on the page holds a drawn canvas.
    expect(await page.locator('.chart .nodata').count()).toBe(0);
    expect(await page.locator('.chart').count()).toBe(5);
    expect(await page.$$eval('.chart', (els) => els.every((el) => !!el.querySelector('canvas')))).toBe(true);
    for (const id of ['ttft-spectrum', 'ttft-histogram', 'itl-histogram', 'tokens']) expect(await page.locator(`[data-chart="${id}"]`).count()).toBe(0);
    expect(await page.locator('.absent').getAttribute('data-absent')).toBe('tokens ttft-spectrum ttft-histogram itl-histogram');
    // Away from the cursor every legend entry names its series and shows its mean.
    const legend = await page.locator('[data-chart="rate"] .u-legend').innerText();
    expect(legend).toContain(`${predict.name} achieved`);
    expect(legend).toContain(`${predict.name} target`);
    expect(legend).not.toContain('\u2014');
    expect(legend).toMatch(/mean [\d,.]+ req\/s/);
    // Counts tick at whole numbers only, on both axes of the errors chart.
    const ticks = (await page.evaluate(() => (window as unknown as { __servebench: { ticks(id: string): number[][] } }).__servebench.ticks('errors'))) as number[][];
    expect(ticks[1].length).toBeGreaterThan(1);
    for (const t of [...ticks[1], ...ticks[2]]) expect(Number.isInteger(t), `tick ${t}`).toBe(true);
    expect(pageErrors).toEqual([]);
    expect(consoleErrors).toEqual([]);
    await context.close();
  });

  it.skipIf(skipBrowser)('runs no script smuggled in through names', async () => {
    const evil = '</script><script>alert(1)</script><img src=x onerror=alert(2)>';
    const base = sampleSummary({ seconds: 10 });
    const old = base.workloads[0].name;
    const summary: Summary = {
      ...base,
      scenario: { ...base.scenario, name: evil },
      workloads: base.workloads.map((w, i) => (i === 0 ? { ...w, name: evil } : w)),
      timeseries: base.timeseries.map((r) => (r.workload === old ? { ...r, workload: evil } : r)),
    };
    const file = join(dir, 'hostile.html');
    writeFileSync(file, htmlReport.render(summary));
    const context = await browser!.newContext();
    await context.route('**/*', (r) => (r.request().url().startsWith('file:') ? r.continue() : r.abort()));
    const page = await context.newPage();
    const dialogs: string[] = [];
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    await page.goto(pathToFileURL(file).href);
    await page.waitForSelector('html[data-charts-ready]');
    expect(await page.textContent('h1')).toBe(evil);
    expect(await page.locator('img').count()).toBe(0);
    // uPlot writes legend labels as text, so the name shows verbatim there too
    expect(await page.locator('[data-chart="rate"] .u-legend').textContent()).toContain(`${evil} achieved`);
    expect(dialogs).toEqual([]);
    await context.close();
  });
});
