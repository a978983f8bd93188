// Engine-level tests of generative workloads: the whole run path (coordinator, piscina worker from
// dist/, undici, SSE parser, summary) against a server on port 0 whose token times are known.
// Timer-driven servers are late by ~1-2 ms on a loaded machine: time assertions use bands.
import { afterEach, describe, expect, it } from 'vitest';
import { startRun } from '../../src/engine/coordinator.js';
import { buildSummary, type Summary } from '../../src/metrics/summary.js';
import { defaultTokenizer } from '../../src/workload/tokenizer.js';
import type { ResolvedScenario, ResolvedWorkload } from '../../src/scenario/types.js';
import { scenario, chatWorkload } from '../helpers/scenario.js';
import { DONE, chatChunk, chatStream, sse, startLlmServer, tokenTimes, type LlmServer, type Script, type Step } from '../helpers/llm-server.js';

let server: LlmServer | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
});

/** 20 requests: 20 rps for 1 s, all measured. */
const N = 20;

async function run(script: (n: number, body: Record<string, unknown>) => Script, o: { workload?: Partial<ResolvedWorkload> & { outputTokens?: number }; target?: Partial<ResolvedScenario['target']>; slo?: ResolvedScenario['slo'] } = {}): Promise<Summary> {
  server = await startLlmServer(script);
  const s = scenario({ target: { url: server.url, ...o.target }, workloads: [chatWorkload(o.workload)], load: { rps: N, durationMs: 1000 }, slo: o.slo });
  const { records } = await startRun(s).done;
  return buildSummary(records);
}

const stream = (steps: Step[]): Script => ({ steps });

describe('generative runs against a server with known token times', () => {
  it('TTFT excludes the role-only chunk: role at 0, first content at 150 ms', async () => {
    const sum = await run(() => stream(chatStream({ times: tokenTimes(8, 150, 15) })));
    const m = sum.workloads[0].metrics;
    expect(sum.totals.ok).toBe(N);
    expect(m.ttft!.count).toBe(N);
    // a role chunk counted as the first token would give ~0 ms
    expect(m.ttft!.p50).toBeGreaterThanOrEqual(148);
    expect(m.ttft!.p50).toBeLessThan(190);
    // tpot = (last − first) / (tokens − 1) = 15
    expect(m.tpot!.mean).toBeGreaterThan(12);
    expect(m.tpot!.mean).toBeLessThan(19);
    expect(sum.totals.outputTokens).toBe(8 * N);
  });

  it('splits a multi-token chunk into per-token ITL values: 3 tokens 30 ms later → three 10 ms gaps', async () => {
    const sum = await run(() => stream(chatStream({ times: [100, 130], chunkTokens: [1, 3], words: [' a', ' b c d'] })), { workload: { outputTokens: 4 } });
    const m = sum.workloads[0].metrics;
    expect(sum.totals.ok).toBe(N);
    expect(m.itl!.count).toBe(3 * N);
    // Each request records gap/3 three times, and its tpot is (last − first)/(4 − 1) = gap/3 too: the
    // two means agree whatever the timer jitter (one 30 ms value per chunk would make itl 3 × tpot).
    expect(Math.abs(m.itl!.mean - m.tpot!.mean)).toBeLessThan(0.5);
    expect(m.itl!.p50).toBeGreaterThan(7);
    expect(m.itl!.p50).toBeLessThan(16);
    expect(sum.totals.outputTokens).toBe(4 * N);
    expect(sum.workloads[0].shortOutputs).toBe(0);
    // vLLM's continuous_usage_stats: the chunks' own usage deltas, no tokenizer
    expect(sum.workloads[0].tokenCounts!.itlSource).toBe('usage');
    expect(sum.workloads[0].tokenCounts!.overMax).toEqual({ requests: 0, tokens: 0 });
  });

  it.each(['final', 'none'] as const)(
    'spreads tokens over chunks without running usage (usage: %s): chunks of 1,1,2,1,3 tokens, one token per 15 ms, give itl 15 ms',
    async (usage) => {
      // cl100k_base counts these 1, 1, 2, 1 and 3 tokens; each chunk arrives with its last token
      const words = [' The', ' quick', ' brown fox', ' jumps', ' over the lazy'];
      const sum = await run(() => stream(chatStream({ times: [100, 115, 145, 160, 205], chunkTokens: [1, 1, 2, 1, 3], words, usage })), { workload: { outputTokens: 8 } });
      const w = sum.workloads[0];
      expect(w.totals.ok).toBe(N);
      expect(w.totals.outputTokens).toBe(8 * N);
      expect(w.metrics.itl!.count).toBe(7 * N);
      // Each request's 7 values add up to its span from the first content chunk (step 1) to the last
      // (step 5): the mean to expect is the mean span / 7 as the server really wrote them. 15 ms on a
      // quiet machine; a loaded one makes the server's timers late, which is not servebench's error.
      const spans = Array.from({ length: N }, (_, n) => server!.writtenAt(n)).map((t) => (t[5] - t[1]) / 7);
      const written = spans.reduce((a, b) => a + b, 0) / N;
      expect(Math.abs(written - 15)).toBeLessThan(3);
      expect(Math.abs(w.metrics.itl!.mean - written)).toBeLessThan(0.5);
      // one value per chunk (15, 30, 15, 45) would give a mean of 26.25 ms
      expect(Math.abs(w.metrics.itl!.mean - 15)).toBeLessThan(3);
      expect(Math.abs(w.metrics.itl!.mean - w.metrics.tpot!.mean)).toBeLessThan(0.5);
      expect(w.tokenCounts!.itlSource).toBe('tokenizer');
      expect(w.tokenCounts!.itlBySource).toEqual({ usage: 0, tokenizer: N, chunks: 0 });
    },
  );

  it('counts and flags outputs longer than the max_tokens asked, by the server\'s usage', async () => {
    // 8 asked; every other answer says 11 tokens in its usage
    const sum = await run((n) => stream(chatStream({ times: tokenTimes(n % 2 ? 11 : 8, 20, 2) })), { workload: { outputTokens: 8 } });
    const w = sum.workloads[0];
    expect(w.totals.ok).toBe(N);
    expect(w.tokenCounts!.overMax).toEqual({ requests: N / 2, tokens: 3 * (N / 2) });
    expect(w.shortOutputs).toBe(0);
  });

  it('takes output counts from usage over chunk counts, and says so', async () => {
    // five content chunks, but usage says 9 tokens (the server merged some into chunks)
    const sum = await run(() => stream(chatStream({ times: tokenTimes(5, 20, 5), usage: 'final', usageCompletion: 9 })), { workload: { outputTokens: 9 } });
    const w = sum.workloads[0];
    expect(w.totals.outputTokens).toBe(9 * N);
    expect(w.tokenCounts!.outputSource).toBe('usage');
    expect(w.tokenCounts!.outputBySource).toEqual({ usage: N, tokenizer: 0, chunks: 0 });
    expect(w.tokenCounts!.inputSource).toBe('usage');
    // the first request (and one in 16) keeps its text, counted by the tokenizer at the end
    const div = w.tokenCounts!.outputDivergence!;
    expect(div.samples).toBeGreaterThanOrEqual(1);
    expect(div.samples).toBeLessThan(N);
    expect(div.usageTokens).toBe(9 * div.samples);
    const text = [0, 1, 2, 3, 4].map((i) => ` w${i}`).join('');
    expect(div.tokenizerTokens).toBe(defaultTokenizer().count(text) * div.samples);
  });

  it('counts output with the tokenizer when the server gives no usage', async () => {
    const words = [' The', ' quick', ' brown', ' fox', ' jumps'];
    const sum = await run(() => stream(chatStream({ times: tokenTimes(5, 20, 5), words, usage: 'none' })), { workload: { outputTokens: 5 } });
    const w = sum.workloads[0];
    const perReq = defaultTokenizer().count(words.join(''));
    expect(w.totals.outputTokens).toBe(perReq * N);
    expect(w.tokenCounts!.outputSource).toBe('tokenizer');
    expect(w.tokenCounts!.inputSource).toBe('tokenizer');
    expect(w.tokenCounts!.outputDivergence).toBeNull();
    // the prompt's tokenizer count: fixed 16 tokens
    expect(w.totals.inputTokens).toBe(16 * N);
  });

  it('gives the same metrics whether SSE events arrive split into pieces or merged into one write', async () => {
    // Events due together are written together (merged) or each cut into 3 pieces, the last at the
    // due time and the others 10 ms earlier: in both the completing bytes arrive at the same instants.
    const groups: Array<{ at: number; events: string[] }> = [
      { at: 0, events: [sse(chatChunk({ role: true, content: '', usage: { prompt: 16, completion: 0 } }))] },
      { at: 60, events: [sse(chatChunk({ content: ' héllo', usage: { prompt: 16, completion: 1 } }))] },
      { at: 90, events: [sse(chatChunk({ content: ' wör', usage: { prompt: 16, completion: 2 } })), ': keep-alive\n\n', sse(chatChunk({ content: 'ld', usage: { prompt: 16, completion: 3 } }))] },
      { at: 120, events: [sse(chatChunk({ content: ' 🎉', finish: 'length', usage: { prompt: 16, completion: 4 } })), sse(chatChunk({ noChoices: true, usage: { prompt: 16, completion: 4 } })), DONE] },
    ];
    const merged: Step[] = groups.map((g) => ({ atMs: g.at, write: g.events.join('') }));
    const split: Step[] = groups.flatMap((g) => {
      const bytes = Buffer.from(g.events.join('').replace(/\n/g, '\r\n'));
      // cut inside "data:", between the CR and LF ending the first line, inside the JSON (through
      // multi-byte characters), and before the final CRLF (a lone CR already ends the event)
      const firstCrlf = bytes.indexOf('\r\n');
      const cuts = [...new Set([3, firstCrlf + 1, Math.floor(bytes.length / 2) + 1, bytes.length - 2])].sort((x, y) => x - y);
      const early = Math.max(0, g.at - 10);
      return [...cuts, bytes.length].map((end, i) => ({ atMs: i === cuts.length ? g.at : early, write: bytes.subarray(i === 0 ? 0 : cuts[i - 1], end) }));
    });
    const a = await run(() => stream(merged), { workload: { outputTokens: 4 } });
    await server!.close();
    server = null;
    const b = await run(() => stream(split), { workload: { outputTokens: 4 } });
    for (const s of [a, b]) {
      expect(s.totals.ok).toBe(N);
      expect(s.totals.errors).toBe(0);
    }
    const [wa, wb] = [a.workloads[0], b.workloads[0]];
    expect(wb.totals.outputTokens).toBe(wa.totals.outputTokens);
    expect(wb.totals.inputTokens).toBe(wa.totals.inputTokens);
    expect(wb.metrics.itl!.count).toBe(wa.metrics.itl!.count);
    expect(wb.metrics.ttft!.count).toBe(wa.metrics.ttft!.count);
    // stamped when the completing bytes arrive, not the first piece (10 ms earlier)
    expect(Math.abs(wb.metrics.ttft!.p50 - wa.metrics.ttft!.p50)).toBeLessThan(8);
    expect(Math.abs(wb.metrics.tpot!.p50 - wa.metrics.tpot!.p50)).toBeLessThan(8);
    expect(wa.metrics.ttft!.p50).toBeGreaterThanOrEqual(58);
    expect(wb.metrics.ttft!.p50).toBeGreaterThanOrEqual(58);
    expect(wa.totals.outputTokens).toBe(4 * N);
  });

  it.each([
    ['{"error": {...}}', { error: { message: 'KV cache exhausted', type: 'InternalServerError', code: 500 } }],
    ['{"object": "error", ...}', { object: 'error', message: 'KV cache exhausted', type: 'InternalServerError', param: null, code: 500 }],
  ])('classifies a mid-stream error event %s as stream_error and reads its message', async (_shape, event) => {
    const sum = await run(() => stream([...chatStream({ times: [20, 30], done: false, usage: 'continuous', finish: null }).slice(0, 3), { atMs: 40, write: sse(event) + DONE }]));
    expect(sum.errors.stream_error).toBe(N);
    expect(sum.totals.ok).toBe(0);
    expect(sum.errorSamples.stream_error).toBe('KV cache exhausted');
  });

  it('classifies a stream cut without [DONE] or finish_reason as stream_error', async () => {
    const sum = await run(() => stream(chatStream({ times: [20, 30, 40], usage: 'none', finish: null, done: false })));
    expect(sum.errors.stream_error).toBe(N);
    expect(sum.errorSamples.stream_error).toMatch(/without \[DONE\] or finish_reason/);
  });

  it('reports latency and tokens of non-streamed answers', async () => {
    const answer = (usage: boolean) =>
      JSON.stringify({
        id: 'chatcmpl-1',
        object: 'chat.completion',
        model: 'm',
        choices: [{ index: 0, message: { role: 'assistant', content: 'Paris is the capital of France.' }, finish_reason: 'stop' }],
        ...(usage ? { usage: { prompt_tokens: 12, completion_tokens: 7, total_tokens: 19 } } : {}),
      });
    const sum = await run(() => ({ contentType: 'application/json', steps: [{ atMs: 80, write: answer(true) }] }), { workload: { stream: false, outputTokens: 7 } });
    const w = sum.workloads[0];
    expect(w.totals.ok).toBe(N);
    expect(w.metrics.latency!.p50).toBeGreaterThanOrEqual(78);
    expect(w.metrics.latency!.p50).toBeLessThan(130);
    expect(w.metrics.ttft).toBeUndefined();
    expect(w.totals.outputTokens).toBe(7 * N);
    expect(w.totals.inputTokens).toBe(12 * N);
    expect(w.tokenCounts!.outputSource).toBe('usage');
    await server!.close();
    server = null;
    const noUsage = await run(() => ({ contentType: 'application/json', steps: [{ atMs: 10, write: answer(false) }] }), { workload: { stream: false, outputTokens: 64 } });
    const w2 = noUsage.workloads[0];
    expect(w2.totals.outputTokens).toBe(defaultTokenizer().count('Paris is the capital of France.') * N);
    expect(w2.tokenCounts!.outputSource).toBe('tokenizer');
    // fewer tokens than the 64 asked, ended by the model
    expect(w2.shortOutputs).toBe(N);
    expect(w2.tokenCounts!.short).toEqual({ stop: N, length: 0, other: 0 });
  });

  it('counts short outputs by finish_reason: stop (model ended) vs length (server limit) before max_tokens', async () => {
    // 8 tokens asked: even requests stop after 3 (EOS), odd ones are cut at 5 by the server's limit;
    // every fourth gets all 8 ('length' at max_tokens: not short)
    const sum = await run(
      (n) =>
        n % 4 === 0
          ? stream(chatStream({ times: tokenTimes(8, 10, 2), finish: 'length' }))
          : stream(chatStream({ times: tokenTimes(n % 2 === 0 ? 3 : 5, 10, 2), finish: n % 2 === 0 ? 'stop' : 'length' })),
      { workload: { outputTokens: 8 } },
    );
    const w = sum.workloads[0];
    expect(w.totals.ok).toBe(N);
    const full = N / 4;
    const stops = N / 4; // n % 4 === 2
    const lengths = N / 2; // odd n
    expect(w.shortOutputs).toBe(stops + lengths);
    expect(w.tokenCounts!.short).toEqual({ stop: stops, length: lengths, other: 0 });
    expect(w.totals.outputTokens).toBe(full * 8 + stops * 3 + lengths * 5);
  });

  it('times out a stream whose first token misses firstTokenTimeout, with its own message', async () => {
    // role chunk at once (the server is alive), first token only at 600 ms
    const sum = await run(() => stream(chatStream({ times: tokenTimes(3, 600, 10) })), { target: { firstTokenTimeoutMs: 150, timeoutMs: 5000 } });
    const w = sum.workloads[0];
    expect(w.errors.timeout).toBe(N);
    expect(w.totals.ok).toBe(0);
    expect(w.tokenCounts!.timeouts).toEqual({ firstToken: N, total: 0 });
    expect(sum.errorSamples.timeout).toBe('no first token within 150 ms (firstTokenTimeout)');
  });

  it('lets a stream whose first token came in time run past firstTokenTimeout, and cuts it at timeout', async () => {
    // first token at 20 ms, then 40 tokens every 50 ms (2 s in all): over the 1 s whole-request
    // deadline; the first-token deadline (300 ms) leaves room for a loaded machine's timers
    const sum = await run(() => stream(chatStream({ times: tokenTimes(40, 20, 50) })), { target: { firstTokenTimeoutMs: 300, timeoutMs: 1000 }, workload: { outputTokens: 40 } });
    const w = sum.workloads[0];
    expect(w.errors.timeout).toBe(N);
    expect(w.tokenCounts!.timeouts).toEqual({ firstToken: 0, total: N });
    expect(sum.errorSamples.timeout).toBe('request timed out');
  });

  it('a workload deadline overrides the target one', async () => {
    const sum = await run(() => stream(chatStream({ times: tokenTimes(3, 300, 10) })), { target: { firstTokenTimeoutMs: 100 }, workload: { firstTokenTimeoutMs: 1000 } });
    expect(sum.totals.ok).toBe(N);
    expect(sum.totals.errors).toBe(0);
  });
});

describe('goodput', () => {
  it('never counts failed or timed-out requests as meeting the SLOs', async () => {
    // n % 4: 0 fast (ttft ~30 ms: meets), 1 ok but slow (ttft ~800 ms > 400 ms: misses),
    // 2 HTTP 500, 3 no first token before firstTokenTimeout (timeout)
    const sum = await run(
      (n) => {
        switch (n % 4) {
          case 0:
            return stream(chatStream({ times: tokenTimes(4, 30, 5), finish: 'length' }));
          case 1:
            return stream(chatStream({ times: tokenTimes(4, 800, 5), finish: 'length' }));
          case 2:
            return { status: 500, contentType: 'application/json', steps: [{ atMs: 5, write: JSON.stringify({ error: { message: 'boom' } }) }] };
          default:
            return stream(chatStream({ times: tokenTimes(4, 2500, 5) }));
        }
      },
      { workload: { outputTokens: 4 }, target: { firstTokenTimeoutMs: 1500 }, slo: { ttftMs: 400, latencyMs: 5000 } },
    );
    const w = sum.workloads[0];
    expect(w.errors.http_500).toBe(N / 4);
    expect(w.errors.timeout).toBe(N / 4);
    expect(w.totals.ok).toBe(N / 2);
    expect(w.goodput!.sloMet).toBe(N / 4);
    expect(w.goodput!.attainment).toBeCloseTo(0.25, 3);
    expect(w.goodput!.ratePerS).toBeLessThanOrEqual((N / 4) / sum.durationS + 1e-6);
  });

  it('a stream error never meets the SLOs, however fast it was', async () => {
    const sum = await run(() => stream([...chatStream({ times: [5, 10], finish: null, done: false }).slice(0, 3), { atMs: 12, write: sse({ error: { message: 'oops' } }) }]), {
      slo: { ttftMs: 1000, latencyMs: 5000 },
    });
    expect(sum.errors.stream_error).toBe(N);
    expect(sum.workloads[0].goodput!.sloMet).toBe(0);
    expect(sum.workloads[0].goodput!.attainment).toBe(0);
  });
});
