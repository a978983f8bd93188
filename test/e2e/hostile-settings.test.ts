/**
 * Hostile settings and an unlucky operator, against the built CLI: usage errors are exit 2 and
 * never "a bug", --out is never shared by two runs, Ctrl-C works during the target check, an
 * interrupted run is measured to the stop, a full disk is exit 4 after the console summary, and
 * neither a key cut by a snippet nor a terminal escape from a server reaches any output.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SSE_HEADERS, chatChunk, startFaultServer, type FaultServer } from '../helpers/faults.js';

const root = join(import.meta.dirname, '..', '..');
const cli = join(root, 'dist', 'cli', 'main.js');
const KEY = 'sbKEY-cut-7a6b5c4d3e2f1a0b9c8d7e';

let server: FaultServer | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
});

function servebench(args: string[]) {
  return spawnSync(process.execPath, [cli, ...args], { cwd: root, encoding: 'utf8', timeout: 60_000 });
}

function servebenchAsync(args: string[], onErr?: (text: string, kill: (s: NodeJS.Signals) => void) => void) {
  const child = spawn(process.execPath, [cli, ...args], { cwd: root });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += String(d)));
  child.stderr.on('data', (d) => {
    stderr += String(d);
    onErr?.(stderr, (s) => child.kill(s));
  });
  return {
    child,
    done: new Promise<{ status: number | null; stdout: string; stderr: string }>((res) => child.on('close', (status) => res({ status, stdout, stderr }))),
  };
}

const tmp = () => mkdtempSync(join(tmpdir(), 'sb-hostile-'));
const PREDICT = `workloads:\n  - {name: w, kind: predict, model: m, body: {inputs: [[1]]}}\n`;
function scenario(dir: string, target: string, load = 'load: {rps: 20, duration: 1s}'): string {
  const f = join(dir, 's.yaml');
  writeFileSync(f, `name: hostile\ntarget: ${target}\n${PREDICT}${load}\n`);
  return f;
}

function expectUsage(r: { status: number | null; stderr: string }, text: string | RegExp): void {
  expect(r.stderr).not.toContain('this is a bug');
  expect(r.stderr).toMatch(typeof text === 'string' ? new RegExp(text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')) : text);
  expect(r.status).toBe(2);
}

describe('usage errors are exit 2, not bugs', () => {
  it('a repeated --out or --junit, --out under a file, under /sys or /proc, an unresolved alias in --set', () => {
    const dir = tmp();
    const f = scenario(dir, '{url: embedded, deployment: d}');
    expectUsage(servebench(['run', f, '--out', join(dir, 'a'), '--out', join(dir, 'b')]), `--out was given 2 times`);
    expectUsage(servebench(['run', f, '--junit', join(dir, 'a.xml'), '--junit', join(dir, 'b.xml')]), `--junit was given 2 times`);
    writeFileSync(join(dir, 'file'), 'x');
    expectUsage(servebench(['run', f, '--out', join(dir, 'file', 'out')]), `cannot use ${join(dir, 'file', 'out')} as the report folder: a part of the path is a file, not a folder`);
    if (existsSync('/sys/kernel')) expectUsage(servebench(['run', f, '--out', '/sys/servebench-x']), 'cannot use /sys/servebench-x as the report folder');
    if (existsSync('/proc/self')) {
      const t0 = Date.now();
      expectUsage(servebench(['run', f, '--out', '/proc/servebench-x/y']), 'cannot use /proc/servebench-x/y as the report folder');
      expect(Date.now() - t0).toBeLessThan(20_000);
    }
    expectUsage(servebench(['validate', f, '--set', 'load=*x']), 'the value is not valid YAML: Unresolved alias');
    expectUsage(servebench(['validate', f, '--set', 'load.rps=1e10']), 'one worker schedules at most 1,000,000 slots a second');
    expectUsage(servebench(['validate', f, '--set', 'load.maxInFlight=30000000']), 'each in-flight request holds about 1 KB');
  }, 120_000);
});

describe('--out is never shared', () => {
  it('refuses a folder with files unless --force (which replaces the run), and one that a run holds', () => {
    const dir = tmp();
    const f = scenario(dir, '{url: embedded, deployment: d}');
    const out = join(dir, 'out');
    expect(servebench(['run', f, '--out', out, '--quiet']).status).toBe(0);
    const first = readFileSync(join(out, 'results.ndjson'), 'utf8');
    const again = servebench(['run', f, '--out', out, '--quiet']);
    expectUsage(again, `--out ${out} already holds files`);
    expect(again.stderr).toContain('--force');
    expect(readFileSync(join(out, 'results.ndjson'), 'utf8')).toBe(first);
    const forced = servebench(['run', f, '--out', out, '--quiet', '--force']);
    expect(forced.status).toBe(0);
    // One run only in the results: one start record, one end record.
    const types = readFileSync(join(out, 'results.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).type);
    expect(types.filter((t) => t === 'start')).toHaveLength(1);
    expect(types.filter((t) => t === 'end')).toHaveLength(1);
    expect(readdirSync(out).filter((x) => x.startsWith('.servebench') || x.includes('.tmp-'))).toEqual([]);
  });

  it('a second run into a folder a running run holds fails at once with exit 2, naming the folder', async () => {
    const dir = tmp();
    const f = scenario(dir, '{url: embedded, deployment: d}', 'load: {rps: 20, duration: 60s}');
    const out = join(dir, 'out');
    const first = servebenchAsync(['run', f, '--out', out]);
    // Wait until the first run is sending (its progress line), then start the second.
    await new Promise<void>((res) => first.child.stderr.on('data', (d) => String(d).includes('sent') && res()));
    const second = servebench(['run', f, '--out', out, '--force']);
    expectUsage(second, `cannot use ${out} as the report folder: another servebench run (pid ${first.child.pid}) is writing into it`);
    first.child.kill('SIGINT');
    const r = await first.done;
    expect(r.status).toBe(130);
    expect(existsSync(join(out, '.servebench.lock'))).toBe(false);
    const lines = readFileSync(join(out, 'results.ndjson'), 'utf8').trim().split('\n');
    expect(lines.map((l) => JSON.parse(l).type).filter((t) => t === 'start')).toHaveLength(1);
  }, 60_000);
});

describe('signals', () => {
  it('Ctrl-C during the target check exits 130 at once', async () => {
    const sockets: Socket[] = [];
    const silent = createServer((s) => sockets.push(s.on('error', () => undefined)));
    await new Promise<void>((res) => silent.listen(0, '127.0.0.1', res));
    const port = (silent.address() as { port: number }).port;
    try {
      const dir = tmp();
      const f = scenario(dir, `{url: 'http://127.0.0.1:${port}', deployment: d, timeout: 60s}`);
      const run = servebenchAsync(['run', f, '--out', join(dir, 'out')]);
      // The check request is on the wire once the server holds a socket.
      while (sockets.length === 0) await new Promise((r) => setTimeout(r, 50));
      await new Promise((r) => setTimeout(r, 300));
      const t0 = Date.now();
      run.child.kill('SIGINT');
      const r = await run.done;
      expect(r.status).toBe(130);
      expect(Date.now() - t0).toBeLessThan(3000);
      expect(r.stderr).toContain(`interrupted during the check request to http://127.0.0.1:${port}; nothing was sent`);
      expect(r.stderr).not.toContain('this is a bug');
    } finally {
      for (const s of sockets) s.destroy();
      silent.close();
    }
  }, 30_000);

  it('a plan far past what the worker sends (1,000,000 rps, all but 10 dropped) still stops on Ctrl-C', async () => {
    const dir = tmp();
    const out = join(dir, 'out');
    const f = scenario(dir, '{url: embedded, deployment: d}', 'load: {rps: 1000000, duration: 60s, maxInFlight: 10}');
    let stoppedAt = 0;
    const run = servebenchAsync(['run', f, '--out', out], (err, kill) => {
      if (!stoppedAt && err.includes('[   2s]')) {
        stoppedAt = Date.now();
        kill('SIGINT');
      }
    });
    const r = await run.done;
    expect(r.status).toBe(130);
    expect(Date.now() - stoppedAt).toBeLessThan(15_000);
    const s = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(s.totals.dropped).toBeGreaterThan(s.totals.sent);
  }, 90_000);

  it('an interrupted run is measured to the stop, not to the end of the grace period', async () => {
    // Every answer takes 3 s: after the stop the in-flight requests finish during the grace period.
    server = await startFaultServer((_req, res) => {
      setTimeout(() => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"predictions": [1]}');
      }, 3000);
    });
    const dir = tmp();
    const out = join(dir, 'out');
    const f = scenario(dir, `{url: '${server.url}', deployment: d, timeout: 30s}`, 'load: {rps: 50, duration: 30s, connections: 400}');
    let stopped = false;
    const run = servebenchAsync(['run', f, '--out', out], (err, kill) => {
      if (!stopped && err.includes('[   2s]')) {
        stopped = true;
        kill('SIGINT');
      }
    });
    const r = await run.done;
    expect(r.status).toBe(130);
    const s = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(s.interrupted).toBe(true);
    expect(s.totals.ok).toBe(s.totals.sent);
    // About 2 s of sending at 50 rps; with the grace period counted it would be ~5 s and ~20 rps.
    expect(s.durationS).toBeLessThan(3.5);
    expect(s.load.achievedRps).toBeGreaterThan(40);
  }, 60_000);
});

/** Every 8-character piece of the key. */
const keyPieces = Array.from({ length: KEY.length - 7 }, (_v, i) => KEY.slice(i, i + 8));

function allFiles(dir: string): Array<{ file: string; text: string }> {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? allFiles(p) : [{ file: p, text: readFileSync(p, 'latin1') }];
  });
}

describe('server text', () => {
  it('a key straddling each snippet cut lands in no output, and terminal escapes are printed escaped', async () => {
    const pad = (n: number) => 'p'.repeat(n);
    server = await startFaultServer((req, res, n) => {
      const key = String(req.headers.authorization).slice('ApiKey '.length);
      // The key starts 15 characters before each cut: 200 (text body), 120 (wrong content type), 80 (SSE data).
      switch (n % 4) {
        case 0:
          res.writeHead(503, { 'content-type': 'text/plain' });
          res.end(`${pad(185)}${key} tail of the body`);
          break;
        case 1:
          res.writeHead(200, { 'content-type': 'text/html' });
          res.end(`${pad(105)}${key} tail of the page`);
          break;
        case 2:
          res.writeHead(200, SSE_HEADERS);
          res.write(chatChunk('a'));
          res.end(`data: ${pad(65)}${key} not json\n\n`);
          break;
        default:
          res.writeHead(502, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error: 'bad gateway\x1b[2J\x1b]0;owned\x07\r\nFAKE: line' }));
      }
    });
    const dir = tmp();
    const out = join(dir, 'out');
    const f = join(dir, 's.yaml');
    writeFileSync(
      f,
      `name: cut\ntarget: {url: '${server.url}', deployment: d, apiKey: '\${SB_CUT_KEY}'}\nworkloads:\n  - {name: c, kind: chat, model: m, stream: true, prompt: {inputTokens: 8, outputTokens: 4}}\nload: {rps: 40, duration: 2s}\n`,
    );
    const child = spawn(process.execPath, [cli, 'run', f, '--out', out], { cwd: root, env: { ...process.env, SB_CUT_KEY: KEY } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += String(d)));
    child.stderr.on('data', (d) => (stderr += String(d)));
    await new Promise((res) => child.on('close', res));
    const s = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(s.errors.http_503).toBeGreaterThan(0);
    expect(s.errors.invalid_response).toBeGreaterThan(0);
    expect(s.errors.http_502).toBeGreaterThan(0);
    expect(s.errorSamples.http_503).toContain('[REDACTED]');
    const texts = [...allFiles(out), { file: 'stdout', text: stdout }, { file: 'stderr', text: stderr }];
    const leaked = texts.filter((t) => keyPieces.some((p) => t.text.includes(p))).map((t) => t.file);
    expect(leaked).toEqual([]);
    // The 502 body's escapes are shown, not obeyed.
    expect(stdout).not.toContain('\x1b[2J');
    expect(stdout).not.toContain('\x1b]0;');
    expect(stdout).not.toMatch(/\nFAKE: line/);
    expect(stdout).toContain('bad gateway\\x1b[2J\\x1b]0;owned\\x07\\r\\nFAKE: line');
  }, 60_000);
});

describe('a full disk', () => {
  // Needs root to mount a tiny tmpfs; elsewhere the sink's ENOSPC path is covered by test/unit/records-validation.test.ts.
  const canMount = process.getuid?.() === 0;
  for (const { size, failed, extra = [] } of [
    { size: '4k', failed: 'results.ndjson' },
    { size: '64k', failed: 'report.html' },
    // --requests: its file fills the disk too; the run still ends with its whole summary
    { size: '24k', failed: '(results.ndjson|requests.csv.gz|report.html)', extra: ['--requests'] },
  ]) {
    it.skipIf(!canMount)(`${[size, ...extra].join(' ')}: exit 4 after the console summary, naming the folder, no temporary file left (${failed})`, () => {
      const dir = tmp();
      const mnt = join(dir, 'mnt');
      mkdirSync(mnt);
      const m = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', mnt]);
      if (m.status !== 0) return;
      try {
        const out = join(mnt, 'out');
        const f = scenario(dir, '{url: embedded, deployment: d}', 'load: {rps: 100, duration: 3s}');
        const r = servebench(['run', f, '--out', out, '--quiet', ...extra]);
        expect(r.stderr).not.toContain('this is a bug');
        expect(r.stderr).not.toMatch(/at .*\.js:\d+/);
        expect(r.status).toBe(4);
        expect(r.stdout).toContain('total: 300 scheduled');
        expect(r.stderr).toMatch(new RegExp(`error: could not write [^\\n]*${failed}[^\\n]*: the disk holding ${out} is full`));
        expect(readdirSync(out).filter((x) => x.includes('.tmp-') || x.startsWith('.servebench'))).toEqual([]);
      } finally {
        spawnSync('umount', [mnt]);
        rmdirSync(mnt);
      }
    });
  }
});
