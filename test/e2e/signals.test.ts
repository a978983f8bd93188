/**
 * The second Ctrl-C: the built CLI stops at once instead of waiting out the grace period, still
 * writes results.ndjson up to the last interval and every report, and exits 130. The server never
 * answers, so every request is in flight when the run is cut off and must show as unfinished.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFaultServer, type FaultServer } from '../helpers/faults.js';

const root = join(import.meta.dirname, '..', '..');
const cli = join(root, 'dist', 'cli', 'main.js');

let server: FaultServer | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
});

describe('a second signal', () => {
  it('stops at once, keeps every interval in results.ndjson, writes the reports and exits 130', async () => {
    server = await startFaultServer(() => undefined);
    const dir = mkdtempSync(join(tmpdir(), 'sb-sig-'));
    const out = join(dir, 'out');
    const file = join(dir, 'hang.yaml');
    // timeout 60s: the grace period after the first signal would be 10 s. A connection per request,
    // so every request sent reaches the server (none waits in the pool's queue).
    writeFileSync(
      file,
      `name: hang\ntarget: {url: '${server.url}', deployment: d, timeout: 60s}\nworkloads:\n  - {name: w, kind: predict, model: m, body: {inputs: [[1]]}}\nload: {rps: 40, duration: 60s, connections: 400}\n`,
    );
    const child = spawn(process.execPath, [cli, 'run', file, '--out', out], { cwd: root });
    let err = '';
    let firstAt = 0;
    let secondAt = 0;
    child.stderr.on('data', (d) => {
      err += String(d);
      if (!firstAt && err.includes('[   2s]')) {
        firstAt = Date.now();
        child.kill('SIGINT');
      }
      if (firstAt && !secondAt && err.includes('send again to stop at once')) {
        secondAt = Date.now();
        setTimeout(() => child.kill('SIGTERM'), 300);
      }
    });
    const code = await new Promise<number | null>((res) => child.on('exit', res));
    const exitedAt = Date.now();
    expect(code).toBe(130);
    expect(err).toContain('stopping now');
    expect(err).not.toMatch(/at .*\.js:\d+/);
    // Well inside the 10 s grace period the first signal alone would have waited.
    expect(exitedAt - secondAt).toBeLessThan(5000);

    const lines = readFileSync(join(out, 'results.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines[0].type).toBe('start');
    expect(lines.at(-1)).toMatchObject({ type: 'end', interrupted: true });
    const intervals = lines.filter((r) => r.type === 'interval');
    // Seconds 0 and 1 at least, and the partial one flushed at the stop, in order, none missing.
    expect(intervals.length).toBeGreaterThanOrEqual(3);
    expect(intervals.map((r) => r.index)).toEqual(intervals.map((_r, i) => i));
    const sentInResults = intervals.reduce((a, r) => a + r.workloads[0].sent, 0);
    expect(sentInResults).toBe(server.count);

    const s = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(s.interrupted).toBe(true);
    expect(s.totals.sent).toBe(server.count);
    expect(s.totals.ok + s.totals.errors).toBe(0);
    expect(s.totals.unfinished).toBe(s.totals.sent);
    for (const f of ['summary.csv', 'timeseries.csv', 'report.html']) expect(existsSync(join(out, f)), f).toBe(true);
    expect(readdirSync(out).filter((f) => f.includes('.tmp-'))).toEqual([]);
  }, 60_000);
});
