// The mock's prompt cache: unit checks of the block keys and the LRU, then the served behaviour
// (cached_tokens in usage, prefill cut, conversation turns, /metrics) against a mock on port 0.
import { afterEach, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { performance } from 'node:perf_hooks';
import { startMock, type MockConfig, type MockServer } from '../../src/mock/index.js';
import { PrefixCache, promptBlocks } from '../../src/mock/prefix-cache.js';

const BLOCK = 16;
/** A chat body's blocks as the mock cuts them (4 characters a token). */
const chatBlocks = (messages: Array<{ role: string; content: string }>) => {
  const chars = messages.reduce((n, m) => n + m.content.length, 0);
  return promptBlocks({ messages }, true, BLOCK, Math.ceil(chars / 4));
};
/** n characters of text that differ from `seed` on: 64 characters is one block. */
const text = (n: number, seed = 'a') => Array.from({ length: n }, (_, i) => String.fromCharCode(97 + ((i * 7 + seed.charCodeAt(0)) % 26))).join('');

describe('prompt blocks and the LRU', () => {
  it('keys full blocks with chained hashes: a shared start gives shared keys, then they part', () => {
    const a = chatBlocks([{ role: 'user', content: text(640) + 'x'.repeat(64) }]);
    const b = chatBlocks([{ role: 'user', content: text(640) + 'y'.repeat(64) }]);
    expect(a.keys.length).toBe(11);
    expect(a.keys.slice(0, 10)).toEqual(b.keys.slice(0, 10));
    expect(a.keys[10]).not.toBe(b.keys[10]);
    // Chained: the same block content after a different start has a different key.
    const c = chatBlocks([{ role: 'user', content: 'z'.repeat(64) + text(640) }]);
    expect(c.keys.slice(1)).not.toContain(a.keys[0]);
    // A role is part of the rendering: the same text as a system message is another prefix.
    expect(chatBlocks([{ role: 'system', content: text(640) }]).keys[0]).not.toBe(a.keys[0]);
  });

  it('never looks up the prompt last token: a prompt of exactly n blocks looks up n - 1', () => {
    expect(chatBlocks([{ role: 'user', content: text(64 * 4 - 2) }]).lookupBlocks).toBe(3);
    const completion = promptBlocks({ prompt: Array.from({ length: 32 }, (_, i) => i) }, false, BLOCK, 32);
    expect(completion.keys).toHaveLength(2);
    expect(completion.lookupBlocks).toBe(1);
  });

  it('hits the leading blocks held, stops at the first miss, evicts the least recently used', () => {
    const cache = new PrefixCache(4, BLOCK);
    const a = chatBlocks([{ role: 'user', content: text(64 * 3 + 10, 'a') }]);
    const b = chatBlocks([{ role: 'user', content: text(64 * 3 + 10, 'q') }]);
    expect(cache.lookup(a.keys)).toBe(0);
    cache.insert(a.keys);
    expect(cache.lookup(a.keys)).toBe(3);
    expect(cache.lookup(b.keys)).toBe(0);
    // b's 3 blocks need room: a's tail goes first (its head was touched last), a's head stays.
    cache.insert(b.keys);
    expect(cache.size).toBe(4);
    expect(cache.lookup(b.keys)).toBe(3);
    expect(cache.lookup(a.keys)).toBe(1);
  });
});

let server: MockServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const CHAT = '/v1/test/fraud/v1/chat/completions';

async function start(llm: MockConfig['llm']): Promise<MockServer> {
  server = await startMock({ auth: false, llm });
  return server;
}

/** A streamed chat request: the first content token's time and the usage of the last chunk. */
async function chat(messages: unknown, maxTokens = 4): Promise<{ ttftMs: number; usage: { prompt_tokens: number; prompt_tokens_details?: { cached_tokens: number } }; text: string }> {
  const t0 = performance.now();
  const res = await request(`${server!.url}${CHAT}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ messages, max_tokens: maxTokens, stream: true, stream_options: { include_usage: true } }),
  });
  let ttftMs = NaN;
  let buf = '';
  let usage;
  let reply = '';
  for await (const piece of res.body) {
    buf += (piece as Buffer).toString('utf8');
    let i: number;
    while ((i = buf.indexOf('\n\n')) >= 0) {
      const data = buf.slice(6, i);
      buf = buf.slice(i + 2);
      if (data === '[DONE]') continue;
      const ev = JSON.parse(data);
      const c = ev.choices?.[0]?.delta?.content;
      if (c) {
        reply += c;
        if (Number.isNaN(ttftMs)) ttftMs = performance.now() - t0;
      }
      if (ev.usage) usage = ev.usage;
    }
  }
  return { ttftMs, usage, text: reply };
}

describe('the mock serves from its prompt cache', () => {
  const doc = text(64 * 40, 'd'); // 640 tokens, 40 blocks

  it('reports cached_tokens on a repeated prefix and cuts its prefill; a different prefix misses', async () => {
    await start({ prefillMsPerToken: 0.5, decodeMsPerToken: 1 });
    const first = await chat([{ role: 'user', content: doc + ' question one' }]);
    expect(first.usage.prompt_tokens).toBe(644);
    // As vLLM, no details when nothing was cached.
    expect(first.usage.prompt_tokens_details).toBeUndefined();
    const again = await chat([{ role: 'user', content: doc + ' another question' }]);
    // 40 blocks of the shared document; the role markers shift the cut by 2 characters, so 39 full blocks match.
    expect(again.usage.prompt_tokens_details!.cached_tokens).toBeGreaterThanOrEqual(39 * 16);
    expect(again.usage.prompt_tokens_details!.cached_tokens).toBeLessThanOrEqual(640);
    // Prefill 644 × 0.5 ms = 322 ms uncached; cached, about 4 tokens × 0.5 ms (+ timer slack).
    expect(first.ttftMs).toBeGreaterThan(300);
    expect(again.ttftMs).toBeLessThan(first.ttftMs - 200);
    const other = await chat([{ role: 'user', content: text(64 * 40, 'k') + ' question one' }]);
    expect(other.usage.prompt_tokens_details).toBeUndefined();
    expect(other.ttftMs).toBeGreaterThan(300);
  });

  it('reports cached tokens in the final usage only, as vLLM does, not in running usage chunks', async () => {
    await start({ prefillMsPerToken: 0, decodeMsPerToken: 1 });
    await chat([{ role: 'user', content: doc }]);
    const res = await request(`${server!.url}${CHAT}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ messages: [{ role: 'user', content: doc }], max_tokens: 3, stream: true, stream_options: { include_usage: true, continuous_usage_stats: true } }),
    });
    const usages = (await res.body.text())
      .split('\n\n')
      .filter((e) => e.startsWith('data: {'))
      .map((e) => JSON.parse(e.slice(6)).usage);
    expect(usages.length).toBeGreaterThan(3);
    expect(usages.slice(0, -1).every((u) => u.prompt_tokens_details === undefined)).toBe(true);
    expect(usages.at(-1).prompt_tokens_details.cached_tokens).toBeGreaterThan(600);
  });

  it('hits on a conversation turn that repeats the earlier messages and the reply', async () => {
    await start({ prefillMsPerToken: 0.05, decodeMsPerToken: 1 });
    const turn1 = [{ role: 'user', content: doc }];
    const r1 = await chat(turn1, 64);
    const turn2 = [...turn1, { role: 'assistant', content: r1.text }, { role: 'user', content: text(64 * 4, 'u') }];
    const r2 = await chat(turn2);
    // The first turn's blocks and most of its reply's (the reply was kept when the answer ended).
    expect(r2.usage.prompt_tokens_details!.cached_tokens).toBeGreaterThan(640);
    expect(r2.usage.prompt_tokens_details!.cached_tokens).toBeLessThan(r2.usage.prompt_tokens);
  });

  it('evicts under a small LRU, and is off with prefixCacheBlocks 0', async () => {
    await start({ prefillMsPerToken: 0, decodeMsPerToken: 1, prefixCacheBlocks: 50 });
    await chat([{ role: 'user', content: doc }]);
    await chat([{ role: 'user', content: text(64 * 40, 'e') }]);
    // 80 blocks through a 50-block LRU: the first document's tail (and so all its chain past the head) is gone.
    const back = await chat([{ role: 'user', content: doc }]);
    expect(back.usage.prompt_tokens_details?.cached_tokens ?? 0).toBeLessThan(39 * 16);
    await server!.close();
    await start({ prefillMsPerToken: 0, decodeMsPerToken: 1, prefixCacheBlocks: 0 });
    await chat([{ role: 'user', content: doc }]);
    const off = await chat([{ role: 'user', content: doc }]);
    expect(off.usage.prompt_tokens_details).toBeUndefined();
    const metrics = await (await request(`${server!.url}/metrics`)).body.text();
    expect(metrics).not.toContain('vllm:prefix_cache');
  });

  it("counts vLLM's prefix cache queries and hits on /metrics, in tokens", async () => {
    await start({ prefillMsPerToken: 0, decodeMsPerToken: 1 });
    await chat([{ role: 'user', content: doc }]);
    const hit = await chat([{ role: 'user', content: doc }]);
    const text = await (await request(`${server!.url}/metrics`)).body.text();
    const value = (name: string) => Number(new RegExp(`^${name}\\{engine="0",model_name="fraud"\\} (\\S+)$`, 'm').exec(text)?.[1]);
    expect(value('vllm:prefix_cache_queries_total')).toBe(2 * 640);
    expect(value('vllm:prefix_cache_hits_total')).toBe(hit.usage.prompt_tokens_details!.cached_tokens);
    expect(text).toContain('# TYPE vllm:prefix_cache_hits_total counter');
  });
});
