// usage.prompt_tokens_details.cached_tokens: read from whole answers and streams, summed through the
// interval records into the summary, and shown by the console, report.html and summary.csv.
import { describe, expect, it } from 'vitest';
import { parseCompletionResponse } from '../../src/protocol/json.js';
import { SseTokenParser } from '../../src/protocol/sse.js';
import { recordProblem } from '../../src/metrics/records-schema.js';
import { buildSummary } from '../../src/metrics/summary.js';
import type { RunRecord } from '../../src/metrics/records.js';
import { summaryText } from '../../src/report/console.js';
import { summaryCsv } from '../../src/report/csv.js';
import { htmlReport } from '../../src/report/html.js';
import { syntheticRecords } from '../helpers/synthetic-run.js';

const usage = (details?: unknown) => ({ prompt_tokens: 1000, completion_tokens: 4, total_tokens: 1004, ...(details !== undefined ? { prompt_tokens_details: details } : {}) });

describe('reading cached_tokens', () => {
  const answer = (u: unknown) => parseCompletionResponse('chat', { choices: [{ message: { role: 'assistant', content: 'hi' }, finish_reason: 'stop' }], usage: u });

  it('from a whole answer; -1 when the field is missing, null or not a count', () => {
    expect(answer(usage({ cached_tokens: 768 }))).toMatchObject({ promptTokens: 1000, cachedTokens: 768 });
    expect(answer(usage({ cached_tokens: 0, audio_tokens: 0 }))).toMatchObject({ cachedTokens: 0 });
    expect(answer(usage())).toMatchObject({ promptTokens: 1000, cachedTokens: -1 });
    expect(answer(usage(null))).toMatchObject({ cachedTokens: -1 });
    expect(answer(usage({ cached_tokens: 'x' }))).toMatchObject({ cachedTokens: -1 });
    expect(answer(undefined)).toMatchObject({ promptTokens: -1, cachedTokens: -1 });
  });

  const stream = (finalUsage: unknown, running?: unknown) => {
    const head = { id: 'c', object: 'chat.completion.chunk', model: 'm' };
    const events = [
      { ...head, choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] },
      { ...head, choices: [{ index: 0, delta: { content: ' a' }, finish_reason: null }], ...(running ? { usage: running } : {}) },
      { ...head, choices: [{ index: 0, delta: { content: ' b' }, finish_reason: 'stop' }] },
      ...(finalUsage ? [{ ...head, choices: [], usage: finalUsage }] : []),
    ];
    const p = new SseTokenParser('chat');
    p.reset({ onToken() {} });
    p.push(Buffer.from(events.map((e) => `data: ${JSON.stringify(e)}\n\n`).join('') + 'data: [DONE]\n\n'), 1);
    p.end(2);
    return p;
  };

  it("from a stream's usage chunk (stream_options.include_usage), or a running usage chunk", () => {
    expect(stream(usage({ cached_tokens: 512 })).usageCachedTokens).toBe(512);
    expect(stream(undefined, usage({ cached_tokens: 256 })).usageCachedTokens).toBe(256);
    // A later usage without details does not erase the earlier count.
    expect(stream(usage(), usage({ cached_tokens: 256 })).usageCachedTokens).toBe(256);
    expect(stream(usage()).usageCachedTokens).toBe(-1);
    expect(stream(usage(null)).usageCachedTokens).toBe(-1);
    expect(stream(undefined).usageCachedTokens).toBe(-1);
    expect(stream(usage({ cached_tokens: 512 })).usagePromptTokens).toBe(1000);
  });
});

/** One workload's records with input tokens per interval and, where given, cached tokens. */
function records(cached: Array<number | undefined>): RunRecord[] {
  return syntheticRecords({
    seconds: cached.length,
    rps: 10,
    tweak: (rec) => {
      const w = rec.workloads[0];
      w.inputTokens = 1000;
      const c = cached[rec.index];
      if (c !== undefined) w.cachedInputTokens = c;
    },
  });
}

describe('cached tokens in records and the summary', () => {
  it('sums cachedInputTokens into totals and a hit ratio, per workload and for the run', () => {
    const s = buildSummary(records([400, 600, undefined, 0]));
    expect(s.totals.inputTokens).toBe(4000);
    expect(s.totals.cachedInputTokens).toBe(1000);
    expect(s.cacheHitRatio).toBe(0.25);
    expect(s.workloads[0].totals.cachedInputTokens).toBe(1000);
    expect(s.workloads[0].cacheHitRatio).toBe(0.25);
  });

  it('loads older records without the field: 0 cached, no hit ratio; a bad count is refused at its field', () => {
    const old = records([undefined, undefined]);
    for (const r of old) expect(recordProblem(JSON.parse(JSON.stringify(r)))).toBeNull();
    const s = buildSummary(old);
    expect(s.totals.cachedInputTokens).toBe(0);
    expect(s.cacheHitRatio).toBeUndefined();
    expect(s.workloads[0].cacheHitRatio).toBeUndefined();
    const bad = records([-5]).find((r) => r.type === 'interval');
    expect(recordProblem(bad)).toMatch(/^workloads\[0\]\.cachedInputTokens: /);
  });

  it('a server that reports 0 cached tokens shows a 0 % hit ratio', () => {
    expect(buildSummary(records([0, 0])).cacheHitRatio).toBe(0);
  });
});

describe('cached tokens in the reports', () => {
  const s = buildSummary(records([400, 600, 0, 0]));

  it('console: the prefix cache line with the hit ratio', () => {
    // The synthetic workload is a predict one with tokens set by hand: the line does not need output tokens.
    expect(summaryText(s, false)).toContain('  prefix cache: 1000 of 4000 input tokens cached, hit ratio 25.0 %');
    expect(summaryText(buildSummary(records([undefined])), false)).not.toContain('prefix cache');
  });

  it('report.html: a tile for the run and a row per workload', () => {
    const html = htmlReport.render(s);
    expect(html).toContain('prefix cache hits');
    expect(html).toMatch(/data-field="cacheHitRatio">25\.0 %</);
  });

  it('summary.csv: total and cachedInputTokens columns, filled on the token rows', () => {
    const withTokens = { ...s, metrics: { ...s.metrics, inputTokens: { ...s.metrics.latency!, unit: 'tokens' as const } } };
    const rows = summaryCsv.render(withTokens).trim().split('\n').map((l) => l.split(','));
    const head = rows[0];
    expect(head.slice(-2)).toEqual(['total', 'cachedInputTokens']);
    const input = rows.find((r) => r[0] === 'all' && r[1] === 'inputTokens')!;
    expect(input[head.indexOf('total')]).toBe('4000');
    expect(input[head.indexOf('cachedInputTokens')]).toBe('1000');
    const latency = rows.find((r) => r[0] === 'all' && r[1] === 'latency')!;
    expect(latency.slice(-2)).toEqual(['', '']);
  });
});
