// The screenshots in docs/, taken from real runs against the embedded mock (never by hand):
// report.html of the quickstart, sweep.html of scenarios/sweep-predict.yaml, compare.html of two
// quickstart runs, and the live dashboard during a run. Needs `npm run build` and Chromium
// (/usr/bin/chromium, `apt-get install chromium`). Usage: npm run screenshots
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'dist', 'cli', 'main.js');
const docs = join(root, 'docs');
const work = mkdtempSync(join(tmpdir(), 'servebench-shots-'));
const WIDTH = 1400;

function servebench(args) {
  const r = spawnSync(process.execPath, ['--single-threaded-gc', cli, ...args], { cwd: root, encoding: 'utf8', timeout: 300_000 });
  // Exit 1 is a verdict (a failed threshold, a regression): still a page to show.
  if (r.status !== 0 && r.status !== 1) throw new Error(`servebench ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return r;
}

async function shoot(browser, url, file, { height = 1800, waitFor = 'html[data-charts-ready]' } = {}) {
  const page = await browser.newPage({ viewport: { width: WIDTH, height }, deviceScaleFactor: 1 });
  await page.goto(url);
  await page.waitForSelector(waitFor, { timeout: 30_000 });
  await page.screenshot({ path: join(docs, file) });
  await page.close();
  process.stderr.write(`  docs/${file}\n`);
}

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu'] });
try {
  const quick = ['--set', 'load.duration=8s', '--set', 'load.warmup=1s', '--quiet'];
  servebench(['run', 'scenarios/quickstart.yaml', '--out', join(work, 'a'), ...quick]);
  await shoot(browser, pathToFileURL(join(work, 'a', 'report.html')).href, 'report.png', { height: 2400 });

  servebench(['run', 'scenarios/quickstart.yaml', '--out', join(work, 'b'), ...quick, '--set', 'target.mock.serviceTime.medianMs=6']);
  servebench(['compare', join(work, 'a'), join(work, 'b'), '--out', join(work, 'cmp')]);
  await shoot(browser, pathToFileURL(join(work, 'cmp', 'compare.html')).href, 'compare.png');

  servebench(['sweep', 'scenarios/sweep-predict.yaml', '--out', join(work, 'sweep'), '--quiet']);
  await shoot(browser, pathToFileURL(join(work, 'sweep', 'sweep.html')).href, 'sweep.png');

  // The live page mid-run: a 15 s run, shot after its page has been redrawn eight times.
  const child = spawn(process.execPath, [cli, 'run', 'scenarios/chat-quickstart.yaml', '--out', join(work, 'live'), '--quiet', '--set', 'load.duration=15s', '--dashboard', '127.0.0.1:0'], { cwd: root });
  let err = '';
  const url = await new Promise((res, rej) => {
    child.stderr.on('data', (d) => {
      err += d;
      const m = /dashboard: (http:\/\/\S+)/.exec(err);
      if (m) res(m[1]);
    });
    child.on('exit', () => rej(new Error(`no dashboard: ${err}`)));
  });
  await shoot(browser, url, 'dashboard.png', { waitFor: 'html[data-live-updates="8"]' });
  await new Promise((r) => child.on('exit', r));
} finally {
  await browser.close();
  rmSync(work, { recursive: true, force: true });
}
