/**
 * A sweep with `server:` against the embedded mock's vLLM imitation: every step carries the
 * server's series from the mock's /metrics (sweep.json), the step above the batch's capacity names
 * vLLM's waiting queue in its saturation reason, and sweep.html plots the series against the rate.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseScenarioText } from '../../src/workload/scenario.js';
import { startSweep } from '../../src/sweep/run.js';
import { writeSweepReports } from '../../src/sweep/report.js';
import type { SweepStep } from '../../src/sweep/core.js';

// 4 sequences of ~20 × 10 ms: about 20 rps of capacity. 5 rps keeps up; 60 rps queues from the start.
const scenario = [
  'name: sweep-server',
  'target:',
  '  url: embedded',
  '  deployment: assistant',
  '  mock: { llm: { prefillMsPerToken: 0.05, decodeMsPerToken: 10, decodeSlowdownPerStream: 0, maxBatch: 4 } }',
  'workloads:',
  '  - { name: assistant, kind: chat, model: m, prompt: { inputTokens: 20, outputTokens: 20 }, ignoreEos: true }',
  'load: { rps: 1 }',
  'server:',
  '  metrics:',
  '    - url: embedded',
  '      interval: 200ms',
  '      select: [vllm:num_requests_waiting, vllm:num_requests_running, vllm:kv_cache_usage_perc, vllm:time_to_first_token_seconds, vllm:generation_tokens_total]',
  'sweep: { mode: ladder, rates: [5, 60], stepDuration: 2s, warmup: 500ms, maxRepeats: 0, stopEarly: false, until: ["errors.rate < 1%"] }',
  '',
].join('\n');

const fig = (s: SweepStep, name: string) => s.server?.series.find((x) => x.name === name);

describe('a sweep with server metrics against the embedded mock', () => {
  it('keeps the server series per step, names the queue that grew, and plots them in sweep.html', { timeout: 120_000 }, async () => {
    const { scenario: sc } = parseScenarioText(scenario, '');
    const dir = mkdtempSync(join(tmpdir(), 'sb-sweep-server-'));
    const r = await startSweep(sc, { dir }).done;
    writeSweepReports(r, dir);
    expect(r.steps.map((s) => s.value)).toEqual([5, 60]);
    const json = JSON.parse(readFileSync(join(dir, 'sweep.json'), 'utf8')) as { steps: SweepStep[] };
    const [low, high] = json.steps;
    for (const s of json.steps) {
      expect(s.server!.scrapes).toBeGreaterThan(0);
      expect(s.server!.failures).toBe(0);
      expect(new Set(s.server!.series.map((x) => x.name))).toEqual(
        new Set(['vllm:num_requests_waiting', 'vllm:num_requests_running', 'vllm:kv_cache_usage_perc', 'vllm:time_to_first_token_seconds', 'vllm:generation_tokens_total']),
      );
      expect(fig(s, 'vllm:generation_tokens_total')!.rate).toBeGreaterThan(0);
      expect(fig(s, 'vllm:time_to_first_token_seconds')!.count).toBeGreaterThan(0);
    }
    // At 5 rps nothing waits; at 60 rps (3× the batch's capacity) the queue grows all step long.
    expect(fig(low, 'vllm:num_requests_waiting')!.max).toBe(0);
    expect(fig(high, 'vllm:num_requests_waiting')!.mean).toBeGreaterThan(5);
    expect(fig(high, 'vllm:kv_cache_usage_perc')!.max).toBe(1);
    expect(high.pass).toBe(false);
    expect(high.saturation.join('; ')).toMatch(/requests waited in vLLM's queue \(vllm:num_requests_waiting: mean [\d.]+/);
    expect(high.saturation.join('; ')).toMatch(/KV cache above 90 % \(vllm:kv_cache_usage_perc reached 100 %\)/);
    expect(low.saturation.join('; ')).not.toMatch(/vllm:/);
    // The server's TTFT grows with the queue (vLLM counts its waiting time inside TTFT).
    expect(fig(high, 'vllm:time_to_first_token_seconds')!.p50!).toBeGreaterThan(fig(low, 'vllm:time_to_first_token_seconds')!.p50!);

    const html = readFileSync(join(dir, 'sweep.html'), 'utf8');
    expect(html).toContain('<section id="server">');
    const charts = (JSON.parse(/<script type="application\/json" id="sb-data">([\s\S]*?)<\/script>/.exec(html)![1]) as { charts: Array<{ id: string; title: string; data: Array<Array<number | null>> }> }).charts.filter((c) =>
      c.id.startsWith('sweep-server-'),
    );
    expect(charts).toHaveLength(5);
    expect(charts[0].title).toMatch(/^vllm:num_requests_waiting .*\(mean and max per step\)$/);
    expect(charts[0].data[0]).toEqual([5, 60]);
    expect(charts[0].data[1]).toEqual([fig(low, 'vllm:num_requests_waiting')!.mean, fig(high, 'vllm:num_requests_waiting')!.mean]);
  });
});
