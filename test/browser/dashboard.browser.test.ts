/**
 * `run --dashboard`: a real 10 s run against the embedded mock, its live page open in headless
 * Chromium (only the dashboard's own origin reachable). The page must update at least twice while
 * the run goes, end on the final report, draw its charts and raise no error.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { haveChromium, launchChromium, openOffline, skipBrowser } from '../helpers/browser.js';

const root = resolve(import.meta.dirname, '../..');
const cli = join(root, 'dist', 'cli', 'main.js');

describe('live dashboard in a browser', () => {
  let browser: Browser | undefined;
  let dir = '';
  beforeAll(async () => {
    if (!haveChromium) return;
    dir = mkdtempSync(join(tmpdir(), 'servebench-dash-'));
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it.skipIf(skipBrowser)('updates while the run goes and ends on the final report', { timeout: 60_000 }, async () => {
    const out = join(dir, 'run');
    const child = spawn(process.execPath, [cli, 'run', 'scenarios/quickstart.yaml', '--out', out, '--quiet', '--set', 'load.duration=10s', '--set', 'load.warmup=0s', '--dashboard', '127.0.0.1:0'], { cwd: root });
    let stderr = '';
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    const url = await new Promise<string>((res, rej) => {
      const t = setTimeout(() => rej(new Error(`no dashboard URL printed: ${stderr}`)), 20_000);
      child.stderr.on('data', (d: Buffer) => {
        stderr += d;
        const m = /dashboard: (http:\/\/\S+)/.exec(stderr);
        if (m) {
          clearTimeout(t);
          res(m[1]);
        }
      });
    });
    const { context, page, aborted, consoleErrors, pageErrors } = await openOffline(browser!, { width: 1400, height: 900 }, new URL(url).origin);
    await page.goto(url);
    // Updates while the run goes: the live banner is there and the page was redrawn twice.
    await page.waitForSelector('html[data-live-updates="2"]', { timeout: 15_000 });
    if ((await page.getAttribute('html', 'data-final')) === null) expect(await page.locator('#sb-live').count()).toBe(1);
    else throw new Error(`the run ended before the page was redrawn twice: ${stderr}`);
    await page.waitForSelector('html[data-final="true"]', { timeout: 30_000 });
    expect(await page.locator('#sb-live').count()).toBe(0);
    await page.waitForSelector('html[data-charts-ready]');
    expect(Number(await page.getAttribute('html', 'data-charts-ready'))).toBeGreaterThanOrEqual(4);
    expect(await page.locator('.chart .nodata').count()).toBe(0);
    expect(await page.textContent('h1')).toBe('quickstart');
    await page.screenshot({ path: join(resolve('test-artifacts'), 'dashboard.png'), fullPage: false }).catch(() => undefined);
    // 0, or 1 when a threshold failed on a busy machine: either way the run finished.
    expect([0, 1], stderr).toContain(await exited);
    expect(aborted).toEqual([]);
    expect(pageErrors).toEqual([]);
    expect(consoleErrors).toEqual([]);
    await context.close();
  });
});
