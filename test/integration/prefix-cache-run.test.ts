// The shipped prefix-cache scenario, run through the whole engine against the embedded mock: the
// cached tokens the mock reports come back summed, their ratio follows the prefix share, and the
// cache's prefill savings show in TTFT.
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { startRun } from '../../src/engine/coordinator.js';
import { buildSummary, type Summary } from '../../src/metrics/summary.js';
import { loadScenario } from '../../src/workload/scenario.js';

const FILE = join(import.meta.dirname, '..', '..', 'scenarios', 'chat-prefix-cache.yaml');
const P = 512; // prefix tokens
const S = 128; // each request's own tokens

async function run(share: string, cacheBlocks?: number): Promise<Summary> {
  const sets = [
    'load.type=constant',
    'load.rps=20',
    'load.duration=3s',
    'load.warmup=1s',
    `workloads[0].prompt.prefix={pools: 4, tokens: ${P}, share: ${share}}`,
    `workloads[0].prompt.inputTokens=${S}`,
    'workloads[0].prompt.outputTokens=8',
    'server.metrics=[]',
    ...(cacheBlocks !== undefined ? [`target.mock.llm.prefixCacheBlocks=${cacheBlocks}`] : []),
  ];
  const { scenario } = loadScenario(FILE, { sets, env: {} });
  const { records } = await startRun(scenario).done;
  return buildSummary(records);
}

/** cached / input tokens when a share of the requests carry a cached prefix of P tokens before their own S. */
const expected = (share: number) => (share * P) / (share * P + S);

describe('chat-prefix-cache.yaml against the embedded mock', () => {
  it('sums cached tokens with a hit ratio that follows the share, and cuts TTFT against the cache off', async () => {
    const high = await run('80%');
    const low = await run('30%');
    const off = await run('80%', 0);
    for (const s of [high, low, off]) expect(s.totals.errors).toBe(0);
    expect(high.totals.cachedInputTokens).toBeGreaterThan(0);
    expect(high.workloads[0].totals.cachedInputTokens).toBe(high.totals.cachedInputTokens);
    // Misses of a pool's first use and partial blocks keep the ratio a little under the model.
    expect(high.cacheHitRatio!).toBeGreaterThan(expected(0.8) - 0.15);
    expect(high.cacheHitRatio!).toBeLessThanOrEqual(expected(0.8) + 0.06);
    expect(low.cacheHitRatio!).toBeGreaterThan(expected(0.3) - 0.15);
    expect(low.cacheHitRatio!).toBeLessThanOrEqual(expected(0.3) + 0.06);
    expect(high.cacheHitRatio!).toBeGreaterThan(low.cacheHitRatio! + 0.1);
    // With the cache off the mock reports no details: no hit ratio, and every prompt is prefilled.
    expect(off.cacheHitRatio).toBeUndefined();
    expect(off.totals.cachedInputTokens).toBe(0);
    const on50 = high.metrics.ttft!.p50;
    const off50 = off.metrics.ttft!.p50;
    // Prefill 0.1 ms a token: about 80 ms for a prefixed prompt uncached, about 20 ms cached.
    expect(on50).toBeLessThan(off50 * 0.6);
  }, 60_000);
});
