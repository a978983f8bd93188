/**
 * One contract for every registered report writer (as hono runs one router suite against every
 * router): each renders the same summary, its output parses back to the summary's figures, and
 * the API key of the run that produced it appears nowhere.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SUMMARY_WRITERS } from '../../src/report/index.js';
import { startRun } from '../../src/engine/coordinator.js';
import { buildSummary, type Summary } from '../../src/metrics/summary.js';
import type { RunRecord } from '../../src/metrics/records.js';
import { scenario } from '../helpers/scenario.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const SECRET = 'sk-contract-7f3a9c1e5b';

/** Minimal CSV reader for our own output: quoted fields may hold commas and doubled quotes. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  for (const line of text.trim().split('\n')) {
    const cells: string[] = [];
    let cur = '';
    let q = false;
    for (let i = 0; i < line.length; i++) {
      const ch = line[i];
      if (q) {
        if (ch === '"' && line[i + 1] === '"') (cur += '"'), i++;
        else if (ch === '"') q = false;
        else cur += ch;
      } else if (ch === '"') q = true;
      else if (ch === ',') cells.push(cur), (cur = '');
      else cur += ch;
    }
    cells.push(cur);
    rows.push(cells);
  }
  return rows;
}

let server: TestServer;
let records: RunRecord[];
let summary: Summary;

beforeAll(async () => {
  server = await startTestServer({
    handler: (req, res, n) => {
      // Some errors too, so error samples (which carry server text) are part of the contract.
      if (n % 10 === 0) {
        res.writeHead(401, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: `bad key: ${req.headers.authorization}` }));
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"predictions":[1]}');
    },
  });
  const s = scenario({ target: { url: server.url, apiKey: SECRET }, load: { rps: 100, durationMs: 2000 } });
  records = (await startRun(s).done).records;
  summary = buildSummary(records);
});
afterAll(() => server.close());

describe('every report writer', () => {
  it('is in the report set', () => {
    expect(SUMMARY_WRITERS.map((w) => w.file).sort()).toEqual(['percentiles.csv', 'report.html', 'summary.csv', 'summary.json', 'timeseries.csv']);
  });

  for (const name of ['json', 'summary-csv', 'timeseries-csv', 'percentiles-csv', 'html']) {
    describe(name, () => {
      const w = () => SUMMARY_WRITERS.find((x) => x.name === name)!;

      it('renders the summary without the API key', () => {
        const out = w().render(summary);
        expect(out.length).toBeGreaterThan(100);
        expect(out).not.toContain(SECRET);
        expect(out).not.toMatch(/ApiKey\s+sk-/);
      });

      it('parses back to the summary figures', () => {
        const out = w().render(summary);
        if (w().file.endsWith('.json')) {
          expect(JSON.parse(out)).toEqual(JSON.parse(JSON.stringify(summary)));
        } else if (w().file.endsWith('.csv')) {
          const rows = parseCsv(out);
          const head = rows[0];
          for (const r of rows) expect(r).toHaveLength(head.length);
          if (name === 'summary-csv') {
            const row = rows.find((r) => r[0] === 'all' && r[1] === 'latency')!;
            expect(Number(row[head.indexOf('p99')])).toBe(summary.metrics.latency!.p99);
            expect(Number(row[head.indexOf('count')])).toBe(summary.totals.ok);
          }
          if (name === 'timeseries-csv') {
            const sent = rows.slice(1).reduce((x, r) => x + Number(r[head.indexOf('sent')]), 0);
            expect(sent).toBe(summary.totals.sent);
          }
          if (name === 'percentiles-csv') {
            const max = rows.find((r) => r[0] === 'all' && r[1] === 'latency' && r[3] === '100')!;
            expect(Number(max[4])).toBe(summary.metrics.latency!.max);
          }
        } else {
          expect(out).toMatch(/^<!doctype html>/i);
          expect(out).toContain(summary.scenario.name);
          expect(out).not.toMatch(/<(script|link)[^>]+(src|href)="https?:/);
        }
      });
    });
  }

  it('the streamed results hold no key either', () => {
    expect(summary.errors.http_401).toBe(20);
    expect(JSON.stringify(records)).not.toContain(SECRET);
    expect(summary.errorSamples.http_401).toContain('[REDACTED]');
  });
});
