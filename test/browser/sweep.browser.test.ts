/**
 * Opens sweep.html in headless Chromium from file://, every non-file request aborted: it needs no
 * network, raises no error and draws every chart (the chat sweep's ttft/tpot/tokens charts too).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { answerOf, planReplicas, type SweepStep } from '../../src/sweep/core.js';
import { renderSweepHtml, sweepCharts } from '../../src/sweep/report.js';
import type { SweepResult } from '../../src/sweep/run.js';
import { stepServer } from '../../src/sweep/server.js';
import type { ServerSeriesSummary } from '../../src/server-metrics/types.js';
import { haveChromium, launchChromium, openOffline, skipBrowser } from '../helpers/browser.js';

/** A chat rate ladder over a server of capacity 20 rps: ttft flat below it, climbing above. */
function chatResult(): SweepResult {
  const steps: SweepStep[] = [4, 8, 12, 16, 20, 24, 28].map((v, index) => {
    const over = Math.max(0, v - 20);
    const ttft = 5 + over * 80;
    const lat = 200 + over * 90;
    const pass = ttft < 100;
    return {
      index,
      value: v,
      unit: 'rps',
      attempts: 1,
      startedAt: '2026-01-01T00:00:00.000Z',
      durationS: 2,
      achievedRps: v,
      throughputRps: Math.min(v, 20),
      latencyMs: { p50: lat, p90: lat * 1.1, p95: lat * 1.15, p99: lat * 1.2 },
      ttftMs: { p50: ttft, p90: ttft * 1.2, p95: ttft * 1.3, p99: ttft * 1.5 },
      tpotMs: { p50: 10, p90: 10.5, p95: 11, p99: 12 },
      completed: v * 2,
      errors: 0,
      errorRate: 0,
      dropped: 0,
      goodputRps: pass ? v : 0,
      outputTokensPerS: Math.min(v, 20) * 20,
      meanInFlight: Math.min(v, 20) * 0.2,
      conditions: [{ expr: 'ttft.p90 < 100ms', ok: pass, value: ttft * 1.2 }],
      saturation: pass ? [] : ['latency kept growing within the step'],
      generatorSaturated: false,
      stable: true,
      pass,
    };
  });
  return {
    schemaVersion: 1,
    scenario: { name: 'chat-sweep', file: '' },
    target: { url: 'embedded', routing: 'path', deployment: 'assistant' },
    sweep: { mode: 'ladder', over: 'rate', values: steps.map((s) => s.value), from: 4, to: 28, stepDurationMs: 2000, warmupMs: 500, precision: 0.05, stability: 0.1, maxRepeats: 2, maxSteps: 20, stopEarly: false, until: ['ttft.p90 < 100ms'] },
    startedAt: '2026-01-01T00:00:00.000Z',
    elapsedS: 20,
    interrupted: false,
    generative: true,
    answer: answerOf(steps, 'rps', 28),
    planning: planReplicas(20, 500, 0.3),
    steps,
  };
}

describe('sweep.html in a browser', () => {
  let browser: Browser | undefined;
  let dir = '';

  beforeAll(async () => {
    if (!haveChromium) return;
    dir = mkdtempSync(join(tmpdir(), 'servebench-sweep-'));
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it.skipIf(skipBrowser)('renders offline, without errors, with every chart drawn', async () => {
    const r = chatResult();
    const file = join(dir, 'sweep.html');
    writeFileSync(file, renderSweepHtml(r));
    const { context, page, aborted, consoleErrors, pageErrors } = await openOffline(browser!, { width: 1300, height: 900 });
    await page.goto(pathToFileURL(file).href);
    await page.waitForSelector('[data-charts-ready]', { timeout: 20_000 });
    const drawn = Number(await page.getAttribute('html', 'data-charts-ready'));
    expect([...pageErrors, ...consoleErrors]).toEqual([]);
    expect(aborted).toEqual([]);
    // latency, achieved, goodput, ttft, tpot and tokens/s, each against the offered rate
    expect(drawn).toBe(sweepCharts(r).length);
    expect(drawn).toBe(6);
    expect(await page.locator('canvas').count()).toBeGreaterThanOrEqual(6);
    // The x axis runs over the offered rates (to 28 rps), past the 20 rps the server completed.
    for (const id of ['sweep-latency', 'sweep-goodput', 'sweep-ttft']) {
      const ticks = (await page.evaluate((c) => (window as unknown as { __servebench: { ticks(id: string): number[][] } }).__servebench.ticks(c), id)) as number[][];
      expect(Math.max(...ticks[0]), id).toBeGreaterThan(20);
    }
    expect(await page.textContent('[data-field="sentence"]')).toBe(r.answer.sentence);
    expect(r.answer.sentence).toContain('sustains 20 rps within SLO');
    expect(await page.locator('tr[data-pass="false"]').count()).toBe(2);
    await context.close();
  });

  it.skipIf(skipBrowser)('draws the server series of each step against the offered rate', async () => {
    const base = chatResult();
    // vLLM's queue leaves zero past the 20 rps the batch holds; its KV cache fills there.
    const steps = base.steps.map((s) => {
      const over = Math.max(0, s.value - 20);
      const series: ServerSeriesSummary[] = [
        { name: 'vllm:num_requests_waiting', labels: { model_name: 'm' }, source: 'x', kind: 'gauge', column: 'w', min: 0, mean: over * 2, max: over * 3, last: over * 3 },
        { name: 'vllm:kv_cache_usage_perc', labels: { model_name: 'm' }, source: 'x', kind: 'gauge', column: 'kv', min: 0, mean: Math.min(1, s.value / 20), max: Math.min(1, s.value / 18), last: 0 },
        { name: 'vllm:time_to_first_token_seconds', labels: { model_name: 'm' }, source: 'x', kind: 'histogram', column: 't', p50: 0.005 + over * 0.08, p90: 0.006 + over * 0.09, p99: 0.01 + over * 0.1, count: 40 },
      ];
      return { ...s, server: stepServer({ scrapes: 2, failures: 0, sources: [], series, timeseries: { columns: [], rows: [] }, clientVsServer: [] }) };
    });
    const r = { ...base, steps };
    const file = join(dir, 'sweep-server.html');
    writeFileSync(file, renderSweepHtml(r));
    const { context, page, aborted, consoleErrors, pageErrors } = await openOffline(browser!, { width: 1300, height: 900 });
    await page.goto(pathToFileURL(file).href);
    await page.waitForSelector('[data-charts-ready]', { timeout: 20_000 });
    expect([...pageErrors, ...consoleErrors]).toEqual([]);
    expect(aborted).toEqual([]);
    expect(Number(await page.getAttribute('html', 'data-charts-ready'))).toBe(sweepCharts(r).length + 3);
    expect(await page.locator('#server canvas').count()).toBeGreaterThanOrEqual(3);
    const ticks = (await page.evaluate(() => (window as unknown as { __servebench: { ticks(id: string): number[][] } }).__servebench.ticks('sweep-server-0'))) as number[][];
    expect(Math.max(...ticks[0])).toBeGreaterThan(20);
    await context.close();
  });
});
