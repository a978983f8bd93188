import { describe, expect, it } from 'vitest';
import { MOCK_DEFAULTS, MockConfigError, mockConfigFrom } from '../../src/mock/index.js';
import { parseGenerationRequest, llmErrorBody, LlmRequestError } from '../../src/mock/llm-request.js';
import { prng, serviceTimeSampler } from '../../src/mock/random.js';

describe('mockConfigFrom', () => {
  it('fills every default from nothing', () => {
    for (const raw of [undefined, null, {}]) {
      const c = mockConfigFrom(raw);
      expect(c).toEqual(MOCK_DEFAULTS);
    }
    const c = mockConfigFrom({});
    expect(c.deployments).toEqual([{ project: 'test', deployment: 'fraud', models: [] }]);
    expect(c.knativeDomain).toBe('hopsworks.ai');
    expect(c.apiKeys).toEqual([]);
    expect(c.auth).toBe(true);
    expect(c.cors.allowedOrigins).toEqual(['*']);
    expect(c.serviceTime).toEqual({ type: 'fixed', ms: 1 });
    expect(c.slots).toBe(64);
    expect(c.seed).toBe(1);
    expect(c.faults).toEqual({ errorRate: 0, routingDelayMs: { path: 0, host: 0 } });
    expect(c.llm).toEqual({
      prefillMsPerToken: 0.05,
      decodeMsPerToken: 10,
      decodeSlowdownPerStream: 0.02,
      maxBatch: 64,
      multiTokenChunkRate: 0,
      eosRate: 0,
      errorShape: 'error',
      prefixCacheBlocks: 16384,
      prefixCacheBlockTokens: 16,
    });
  });

  it('returns a fresh copy: mutating it does not touch the defaults', () => {
    const c = mockConfigFrom({});
    c.llm.decodeMsPerToken = 99;
    c.deployments.push({ project: 'x', deployment: 'y', models: [] });
    expect(MOCK_DEFAULTS.llm.decodeMsPerToken).toBe(10);
    expect(mockConfigFrom({}).deployments).toHaveLength(1);
  });

  it('keeps given values and merges nested objects with their defaults', () => {
    const c = mockConfigFrom({
      deployments: [{ project: 'p', deployment: 'd', models: ['m1'] }],
      apiKeys: ['k'],
      serviceTime: { type: 'lognormal', medianMs: 5, sigma: 0.5 },
      slots: 4,
      faults: { routingDelayMs: { host: 3 }, stallAt: { afterMs: 100, forMs: 50 } },
      llm: { firstTokenMs: 50, errorShape: 'object' },
    });
    expect(c.deployments).toEqual([{ project: 'p', deployment: 'd', models: ['m1'] }]);
    expect(c.serviceTime).toEqual({ type: 'lognormal', medianMs: 5, sigma: 0.5 });
    expect(c.faults.routingDelayMs).toEqual({ path: 0, host: 3 });
    expect(c.faults.stallAt).toEqual({ afterMs: 100, forMs: 50 });
    expect(c.llm.firstTokenMs).toBe(50);
    expect(c.llm.errorShape).toBe('object');
    expect(c.llm.decodeMsPerToken).toBe(10);
  });

  it('accepts its own output (validation is idempotent)', () => {
    const once = mockConfigFrom({ slots: 3, llm: { firstTokenMs: 5 }, faults: { stallAt: { afterMs: 1, forMs: 2 } } });
    expect(mockConfigFrom(once)).toEqual(once);
  });

  it('accepts a number as a fixed service time, 0 included', () => {
    expect(mockConfigFrom({ serviceTime: 0 }).serviceTime).toEqual({ type: 'fixed', ms: 0 });
    expect(mockConfigFrom({ serviceTime: 20 }).serviceTime).toEqual({ type: 'fixed', ms: 20 });
  });

  it('names the bad field', () => {
    expect(() => mockConfigFrom({ llm: { decodeMsPerToken: 'fast' } })).toThrow(
      'invalid mock config: llm.decodeMsPerToken: expected a number >= 0, got "fast"',
    );
    expect(() => mockConfigFrom({ slots: 0 })).toThrow('invalid mock config: slots: expected an integer >= 1, got 0');
    expect(() => mockConfigFrom({ faults: { errorRate: 2 } })).toThrow('faults.errorRate: expected a number in 0..1 (a fraction: 0.05 is 5%), got 2');
    expect(() => mockConfigFrom({ deployments: [{ project: 'p' }] })).toThrow('deployments[0].deployment: expected a non-empty string, got nothing');
    expect(() => mockConfigFrom({ serviceTime: { type: 'gamma' } })).toThrow('serviceTime.type: expected one of "fixed", "uniform", "lognormal", got "gamma"');
    expect(() => mockConfigFrom({ serviceTime: { type: 'uniform', minMs: 5, maxMs: 1 } })).toThrow('serviceTime.maxMs: must be >= minMs (5), got 1');
    expect(() => mockConfigFrom({ llm: { errorShape: 'json' } })).toThrow('llm.errorShape: expected one of "error", "object", got "json"');
    expect(() => mockConfigFrom('x')).toThrow('invalid mock config: (root): expected an object, got "x"');
  });

  it('rejects unknown keys and suggests the closest', () => {
    expect(() => mockConfigFrom({ slot: 3 })).toThrow('slot: unknown key (did you mean "slots"?)');
    expect(() => mockConfigFrom({ llm: { interTokenMS: 3 } })).toThrow('llm.interTokenMS: unknown key (did you mean "interTokenMs"?)');
    expect(() => mockConfigFrom({ zzzzzzzz: 1 })).toThrow(/zzzzzzzz: unknown key$/);
  });

  it('lists every problem at once', () => {
    try {
      mockConfigFrom({ slots: -1, seed: 1.5, cors: { allowedOrigins: [1] } });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(MockConfigError);
      const err = e as MockConfigError;
      expect(err.problems.map((p) => p.path).sort()).toEqual(['cors.allowedOrigins[0]', 'seed', 'slots']);
      expect(err.message).toMatch(/^invalid mock config \(3 problems\):\n {2}\S+: /);
    }
  });
});

describe('random', () => {
  it('is reproducible from the seed', () => {
    const a = prng(7);
    const b = prng(7);
    const c = prng(8);
    const xs = Array.from({ length: 5 }, () => a());
    expect(Array.from({ length: 5 }, () => b())).toEqual(xs);
    expect(Array.from({ length: 5 }, () => c())).not.toEqual(xs);
    for (const x of xs) expect(x >= 0 && x < 1).toBe(true);
  });

  it('samples the service-time distributions', () => {
    const r = prng(1);
    expect(serviceTimeSampler({ type: 'fixed', ms: 3 }, r)()).toBe(3);
    const u = serviceTimeSampler({ type: 'uniform', minMs: 10, maxMs: 20 }, r);
    const us = Array.from({ length: 2000 }, u);
    expect(Math.min(...us)).toBeGreaterThanOrEqual(10);
    expect(Math.max(...us)).toBeLessThanOrEqual(20);
    const ln = serviceTimeSampler({ type: 'lognormal', medianMs: 10, sigma: 0.5 }, r);
    const ls = Array.from({ length: 4001 }, ln).sort((a, b) => a - b);
    expect(ls[2000]).toBeGreaterThan(9);
    expect(ls[2000]).toBeLessThan(11);
  });
});

describe('parseGenerationRequest', () => {
  const cfg = mockConfigFrom({}).llm;
  const r = prng(1);
  const parse = (body: unknown, chat = true, c = cfg, models: string[] = []) => parseGenerationRequest(body, chat, models, 'fraud', c, r, 0);

  it('counts input tokens as ceil(chars / 4)', () => {
    expect(parse({ messages: [{ role: 'user', content: 'abcde' }] }).promptTokens).toBe(2);
    expect(parse({ messages: [{ role: 'system', content: 'abcd' }, { role: 'user', content: [{ type: 'text', text: 'abcd' }] }] }).promptTokens).toBe(2);
    expect(parse({ prompt: 'x'.repeat(400) }, false).promptTokens).toBe(100);
    expect(parse({ prompt: [1, 2, 3] }, false).promptTokens).toBe(3);
  });

  it('decides output length and finish reason', () => {
    expect(parse({ messages: [{ role: 'user', content: 'hi' }] })).toMatchObject({ outputTokens: 64, finishReason: 'stop' });
    expect(parse({ messages: [{ role: 'user', content: 'hi' }], max_tokens: 10 })).toMatchObject({ outputTokens: 10, finishReason: 'length' });
    expect(parse({ messages: [{ role: 'user', content: 'hi' }], max_completion_tokens: 7, max_tokens: 10 })).toMatchObject({ outputTokens: 7 });
    const natural5 = { ...cfg, outputTokens: 5 };
    expect(parse({ messages: [{ role: 'user', content: 'hi' }], max_tokens: 10 }, true, natural5)).toMatchObject({ outputTokens: 5, finishReason: 'stop' });
    expect(parse({ messages: [{ role: 'user', content: 'hi' }], max_tokens: 10, ignore_eos: true }, true, natural5)).toMatchObject({ outputTokens: 10, finishReason: 'length' });
    expect(parse({ messages: [{ role: 'user', content: 'hi' }], max_tokens: 10, min_tokens: 8 }, true, natural5)).toMatchObject({ outputTokens: 8, finishReason: 'stop' });
    const alwaysEos = { ...cfg, eosRate: 1 };
    for (let i = 0; i < 50; i++) {
      const g = parse({ messages: [{ role: 'user', content: 'hi' }], max_tokens: 20, min_tokens: 5 }, true, alwaysEos);
      expect(g.finishReason).toBe('stop');
      expect(g.outputTokens).toBeGreaterThanOrEqual(5);
      expect(g.outputTokens).toBeLessThan(20);
    }
    expect(parse({ messages: [{ role: 'user', content: 'hi' }], max_tokens: 20, ignore_eos: true }, true, alwaysEos).outputTokens).toBe(20);
  });

  it('reads stream options', () => {
    const g = parse({ messages: [{ role: 'user', content: 'hi' }], stream: true, stream_options: { include_usage: true, continuous_usage_stats: true } });
    expect(g).toMatchObject({ stream: true, includeUsage: true, continuousUsage: true });
  });

  it('rejects bad requests the way vLLM does', () => {
    const bad = (body: unknown, chat = true, models: string[] = []): LlmRequestError => {
      try {
        parse(body, chat, cfg, models);
      } catch (e) {
        return e as LlmRequestError;
      }
      throw new Error('expected a rejection');
    };
    expect(bad({})).toMatchObject({ status: 400, type: 'BadRequestError', param: 'messages' });
    expect(bad({ messages: [] })).toMatchObject({ status: 400 });
    expect(bad({ prompt: 3 }, false)).toMatchObject({ status: 400, param: 'prompt' });
    expect(bad({ messages: [{ role: 'user', content: 'x' }], max_tokens: 0 })).toMatchObject({ status: 400, param: 'max_tokens' });
    expect(bad({ messages: [{ role: 'user', content: 'x' }], max_tokens: 2, min_tokens: 3 })).toMatchObject({ status: 400, param: 'min_tokens' });
    expect(bad({ messages: [{ role: 'user', content: 'x' }], stream_options: { include_usage: true } })).toMatchObject({ status: 400 });
    expect(bad({ model: 'other', messages: [{ role: 'user', content: 'x' }] }, true, ['llama'])).toMatchObject({
      status: 404,
      type: 'NotFoundError',
      message: 'The model `other` does not exist.',
    });
  });

  it('writes both vLLM error shapes', () => {
    expect(JSON.parse(llmErrorBody('error', 400, 'BadRequestError', 'bad'))).toEqual({
      error: { message: 'bad', type: 'BadRequestError', param: null, code: 400 },
    });
    expect(JSON.parse(llmErrorBody('object', 400, 'BadRequestError', 'bad'))).toEqual({
      object: 'error',
      message: 'bad',
      type: 'BadRequestError',
      param: null,
      code: 400,
    });
  });
});
