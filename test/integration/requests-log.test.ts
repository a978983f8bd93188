// --requests end to end: the run path (coordinator, workers from dist/, both HTTP clients) against
// the embedded mock writes one row per sent request, with instants in order; merge joins shards.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { runCore } from '../../src/cli/run-core.js';
import { mergeInto } from '../../src/cli/merge.js';
import { parseScenarioText } from '../../src/workload/scenario.js';
import { COL, REQUEST_HEADER, REQUESTS_FILE, splitRow } from '../../src/metrics/request-rows.js';
import { checkRequestsFile } from '../../src/metrics/requests-read.js';

const chat = (client: string, extra = '') => `
name: req-log
target:
  url: embedded
  deployment: llm
  client: ${client}
  mock: { llm: { prefillMsPerToken: 0, decodeMsPerToken: 1 } }
workloads:
  - { name: chat, kind: chat, model: m, stream: true, prompt: { inputTokens: 16, outputTokens: 4 }, ignoreEos: true, weight: 3 }
  - { name: "emb, with comma", kind: embedding, model: e, batch: 2, prompt: { inputTokens: 8 } }
load: { rps: 40, duration: 1s, warmup: 250ms${extra} }
output: { requests: true }
`;

function rows(dir: string): string[][] {
  const text = gunzipSync(readFileSync(join(dir, REQUESTS_FILE))).toString('utf8');
  expect(text.startsWith(REQUEST_HEADER)).toBe(true);
  return text.slice(REQUEST_HEADER.length).trimEnd().split('\n').map(splitRow);
}

const num = (v: string) => (v === '' ? NaN : Number(v));

describe('requests.csv.gz', () => {
  it.each(['undici', 'lean'])('%s: one row per sent request, instants in order, slots once each', async (client) => {
    const dir = join(mkdtempSync(join(tmpdir(), 'sb-req-')), 'run');
    const { scenario } = parseScenarioText(chat(client), 's.yaml', { env: {} });
    const { summary, writeFailure } = await runCore(scenario, { dir });
    expect(writeFailure).toBeNull();
    const r = rows(dir);
    expect(summary.totals.sent).toBe(40);
    expect(r).toHaveLength(summary.totals.sent);
    expect(new Set(r.map((f) => f[COL.slot])).size).toBe(r.length);
    for (const f of r) {
      const [intended, sent, head, first, done] = ['intended_us', 'sent_us', 'first_byte_us', 'first_token_us', 'done_us'].map((c) => num(f[COL[c as keyof typeof COL]]));
      expect(intended).toBeGreaterThanOrEqual(0);
      expect(intended).toBeLessThanOrEqual(sent);
      expect(sent).toBeLessThanOrEqual(head);
      expect(head).toBeLessThanOrEqual(done);
      expect(f[COL.status]).toBe('200');
      expect(f[COL.error]).toBe('');
      expect(f[COL.turn]).toBe('1');
      expect(f[COL.cached_tokens]).toBe('');
      if (f[0] === 'chat') {
        expect(head).toBeLessThanOrEqual(first);
        expect(first).toBeLessThanOrEqual(done);
        expect(f[COL.output_tokens]).toBe('4');
      } else {
        expect(f[0]).toBe('emb, with comma');
        expect(f[COL.first_token_us]).toBe('');
        expect(f[COL.output_tokens]).toBe('0');
        expect(num(f[COL.input_tokens])).toBeGreaterThan(0);
      }
    }
    // per workload, rows match the summary's counts
    for (const w of summary.workloads) expect(r.filter((f) => f[0] === w.name)).toHaveLength(w.totals.sent);
    expect(checkRequestsFile(join(dir, REQUESTS_FILE)).rows).toBe(40);
  });

  it('merge joins two shards: every slot of the plan once, times on the merged start', async () => {
    const base = mkdtempSync(join(tmpdir(), 'sb-req-'));
    const startAtEpochMs = Date.now() + 1500;
    const dirs = [join(base, 's0'), join(base, 's1')];
    const { scenario } = parseScenarioText(chat('undici'), 's.yaml', { env: {} });
    await Promise.all(dirs.map((dir, index) => runCore(scenario, { dir, shard: { index, count: 2 }, startAtEpochMs })));
    const parts = dirs.map(rows);
    const { summary, dir } = mergeInto(dirs, { out: join(base, 'merged') });
    const merged = rows(dir);
    expect(merged).toHaveLength(parts[0].length + parts[1].length);
    expect(merged).toHaveLength(summary.totals.sent);
    expect(new Set(merged.map((f) => f[COL.slot])).size).toBe(40);
    expect(parts[0].every((f) => Number(f[COL.slot]) % 2 === 0)).toBe(true);
    expect(Math.min(...merged.map((f) => Number(f[COL.intended_us])))).toBeLessThan(50_000);
  });

  it('a conversation: each turn is a row with its turn number and the slot that started it; cached tokens as the server told them', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'sb-req-')), 'run');
    const text = `
name: req-conv
target: { url: embedded, deployment: llm, mock: { llm: { prefillMsPerToken: 0, decodeMsPerToken: 1 } } }
workloads:
  - { name: chat, kind: chat, model: m, stream: true, prompt: { inputTokens: 200, outputTokens: 4 }, ignoreEos: true, conversation: { turns: 3 } }
load: { rps: 10, duration: 1s }
output: { requests: true }
`;
    const { scenario } = parseScenarioText(text, 's.yaml', { env: {} });
    const { summary } = await runCore(scenario, { dir });
    const r = rows(dir);
    expect(r).toHaveLength(summary.totals.sent);
    const bySlot = new Map<string, string[][]>();
    for (const f of r) bySlot.set(f[COL.slot], [...(bySlot.get(f[COL.slot]) ?? []), f]);
    // 10 arrivals, each a conversation of 3 turns (the last ones may be cut by the run's end), every
    // turn a row under its arrival's slot.
    expect(bySlot.size).toBe(10);
    const whole = [...bySlot.values()].filter((turns) => turns.length === 3);
    expect(whole.length).toBeGreaterThanOrEqual(8);
    for (const turns of whole) {
      expect(turns.map((f) => f[COL.turn]).sort()).toEqual(['1', '2', '3']);
      const [t1, t2] = ['1', '2'].map((n) => turns.find((f) => f[COL.turn] === n)!);
      // A later turn goes out after the earlier one is done.
      expect(num(t2[COL.sent_us])).toBeGreaterThanOrEqual(num(t1[COL.done_us]));
      // The mock caches the history: a later turn's prompt is partly cached, the first turn's not.
      expect(t1[COL.cached_tokens]).toBe('');
      expect(num(t2[COL.cached_tokens])).toBeGreaterThan(0);
    }
  });
});
