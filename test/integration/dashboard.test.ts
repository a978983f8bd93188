import { afterEach, describe, expect, it } from 'vitest';
import { LiveDashboard, parseDashboardAddress } from '../../src/dashboard/live.js';
import { sampleRecords } from '../helpers/sample-summary.js';

let d: LiveDashboard | null = null;
afterEach(async () => {
  await d?.close();
  d = null;
});

const get = async (path: string) => {
  const r = await fetch(new URL(path, d!.url));
  return { status: r.status, text: await r.text() };
};

describe('live dashboard server', () => {
  it('serves the report as it stands, then the final report, and closes', async () => {
    d = await LiveDashboard.start({ host: '127.0.0.1', port: 0 });
    expect(d.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect((await get('/')).text).toContain('Waiting for the run to start');

    const records = sampleRecords({ seconds: 6 });
    const end = records.findIndex((r) => r.type === 'end');
    // Everything up to the third second: a run in progress.
    const cut = records.findIndex((r) => r.type === 'interval' && r.index === 3);
    for (const r of records.slice(0, cut)) d.add(r);
    const s1 = JSON.parse((await get('/state')).text);
    expect(s1).toMatchObject({ done: false });
    const page = (await get('/')).text;
    expect(page).toContain('id="sb-live"');
    expect(page).toContain(`data-live-seq="${s1.seq}"`);
    expect(page).toContain('id="sb-draw"');
    expect(page).toContain('Live: 3 s measured so far');
    // A run in progress is not "interrupted", and what it has in flight is not cut off.
    expect(page).not.toContain('data-banner="interrupted"');
    expect(page).not.toContain('still in flight');

    for (const r of records.slice(cut, end)) d.add(r);
    const s2 = JSON.parse((await get('/state')).text);
    expect(s2.seq).toBeGreaterThan(s1.seq);

    for (const r of records.slice(end)) d.add(r);
    d.stop();
    expect(JSON.parse((await get('/state')).text)).toMatchObject({ done: true });
    const final = (await get('/report')).text;
    expect(final).not.toContain('id="sb-live"');
    expect(final).toContain('data-chart="latency"');
    // Served the final report to an open page: the server closes shortly after.
    await new Promise((r) => setTimeout(r, 600));
    await expect(fetch(d.url)).rejects.toThrow();
  });

  it('closes at once when no page is open at the end', async () => {
    d = await LiveDashboard.start({ host: '127.0.0.1', port: 0 });
    const url = d.url;
    for (const r of sampleRecords({ seconds: 2 })) d.add(r);
    // Nobody asked within the last seconds: nothing to wait for.
    await new Promise((r) => setTimeout(r, 10));
    d.stop();
    await new Promise((r) => setTimeout(r, 100));
    await expect(fetch(url)).rejects.toThrow();
  });

  it('refuses anything but GET, and names a busy port', async () => {
    d = await LiveDashboard.start({ host: '127.0.0.1', port: 0 });
    expect((await fetch(d.url, { method: 'POST' })).status).toBe(405);
    const port = Number(new URL(d.url).port);
    await expect(LiveDashboard.start({ host: '127.0.0.1', port })).rejects.toThrow(/--dashboard: cannot listen on 127.0.0.1:\d+: the port is in use/);
  });
});

describe('--dashboard address', () => {
  it('reads host:port, :port, host and a bare flag', () => {
    expect(parseDashboardAddress(true)).toEqual({ host: '127.0.0.1', port: 5665 });
    expect(parseDashboardAddress(undefined)).toBeNull();
    expect(parseDashboardAddress('0.0.0.0:8080')).toEqual({ host: '0.0.0.0', port: 8080 });
    expect(parseDashboardAddress(':0')).toEqual({ host: '127.0.0.1', port: 0 });
    expect(parseDashboardAddress('[::1]:7000')).toEqual({ host: '::1', port: 7000 });
    expect(parseDashboardAddress('localhost')).toEqual({ host: 'localhost', port: 5665 });
    expect(() => parseDashboardAddress('host:99999')).toThrow(/--dashboard host:99999: expected host:port/);
    expect(() => parseDashboardAddress('a:b:c')).toThrow(/--dashboard/);
  });
});
