import { describe, expect, it } from 'vitest';
import { parse, problems, yaml } from './scenario-helpers.js';
import { parseEmbeddingResponse } from '../../src/protocol/embedding.js';
import { ResponseState, responseHandlerFor } from '../../src/protocol/index.js';
import { prepareWorkloads } from '../../src/workload/prepare.js';
import { embeddingOf, parseEmbeddingRequest } from '../../src/mock/embedding.js';
import { EMBEDDING_DEFAULTS } from '../../src/mock/embedding-config.js';
import { mockConfigFrom } from '../../src/mock/config.js';
import { startMock } from '../../src/mock/index.js';

const EMB = (extra = '') => yaml({ target: '  project: test', workload: `    kind: embedding\n    model: bge\n    prompt: { inputTokens: 16 }\n${extra}` });

/** The scenario with the mock's address in place of 'embedded' (as the coordinator does). */
const real = (text: string) => {
  const s = parse(text).scenario;
  return { ...s, target: { ...s.target, url: 'http://127.0.0.1:1' } };
};

describe('kind: embedding in a scenario', () => {
  it('resolves batch (default 1) and a prompt without outputTokens; stream is off', () => {
    const w = parse(EMB('    batch: 4')).scenario.workloads[0];
    expect(w).toMatchObject({ kind: 'embedding', batch: 4, stream: false });
    expect(parse(EMB()).scenario.workloads[0].batch).toBe(1);
  });

  it('refuses generation keys, outputTokens and a bad batch, each at its line', () => {
    const p = problems(EMB('    stream: true\n    batch: 0'));
    expect(p.some((x) => /workloads\[0\]\.stream +'stream' does not apply to embedding workloads/.test(x))).toBe(true);
    expect(p.some((x) => /workloads\[0\]\.batch +expected an integer from 1 to 4096, got 0/.test(x))).toBe(true);
    const q = problems(yaml({ workload: '    kind: embedding\n    model: bge\n    prompt: { inputTokens: 16, outputTokens: 4 }' }));
    expect(q).toEqual([expect.stringMatching(/prompt\.outputTokens +'outputTokens' does not apply to embedding workloads/)]);
    expect(problems(yaml({ workload: '    kind: embedding\n    model: bge' }))).toEqual([expect.stringMatching(/needs 'prompt' or 'dataset'/)]);
  });

  it('keeps prompt.outputTokens required for chat, and batch for embeddings only', () => {
    expect(problems(yaml({ workload: '    kind: chat\n    model: m\n    prompt: { inputTokens: 16 }' }))).toEqual([expect.stringMatching(/prompt\.outputTokens +missing required key 'outputTokens'/)]);
    expect(problems(yaml({ workload: '    kind: chat\n    model: m\n    prompt: { inputTokens: 16, outputTokens: 4 }\n    batch: 2' }))).toEqual([expect.stringMatching(/'batch' applies to embedding workloads/)]);
  });

  it('prepares {model, input} bodies: a string at batch 1, a list of batch strings, tokens summed', () => {
    const one = prepareWorkloads(real(EMB()), 0)[0];
    expect(one).toMatchObject({ kind: 'embedding', embedding: true, batch: 1, path: '/v1/test/fraud/v1/embeddings', stream: false });
    const b1 = JSON.parse(one.requests[0].body.toString());
    expect(b1).toEqual({ model: 'bge', input: expect.any(String) });
    expect(one.requests[0].inputTokens).toBe(16);
    const four = prepareWorkloads(real(EMB('    batch: 4\n    extraBody: { encoding_format: base64 }')), 0)[0];
    const b4 = JSON.parse(four.requests[0].body.toString());
    expect(b4.input).toHaveLength(4);
    expect(b4.encoding_format).toBe('base64');
    expect(four.requests[0].inputTokens).toBe(64);
  });
});

describe('embeddings response', () => {
  const good = (n: number) => ({ object: 'list', data: Array.from({ length: n }, (_, i) => ({ index: i, object: 'embedding', embedding: [0.1, 0.2] })), usage: { prompt_tokens: 12 } });

  it('reads usage.prompt_tokens when the data has one embedding per input', () => {
    expect(parseEmbeddingResponse(good(3), 3)).toEqual({ promptTokens: 12 });
    expect(parseEmbeddingResponse({ data: [{ embedding: 'AAAA' }] }, 1)).toEqual({ promptTokens: -1 });
  });

  it('is invalid with fewer or more embeddings than inputs, an empty one, or an error body', () => {
    expect(parseEmbeddingResponse(good(2), 3)).toEqual({ error: 'response has 2 embeddings for 3 inputs' });
    expect(parseEmbeddingResponse({ data: [{ embedding: [] }] }, 1)).toEqual({ error: 'data[0].embedding is missing or empty' });
    expect(parseEmbeddingResponse({ error: { message: 'boom' } }, 1)).toEqual({ error: 'boom' });
    expect(parseEmbeddingResponse([], 1)).toEqual({ error: 'response is not a JSON object' });
  });

  it('the per-kind handler fails a wrong batch as invalid_response', () => {
    const h = responseHandlerFor('embedding', false, 2);
    const r = new ResponseState();
    h.begin(r, { onToken() {} }, 1 << 20);
    h.data(r, Buffer.from(JSON.stringify(good(1))));
    h.end(r, (s) => s);
    expect(r.errorClass).toBe('invalid_response');
    h.begin(r, { onToken() {} }, 1 << 20);
    h.data(r, Buffer.from(JSON.stringify(good(2))));
    h.end(r, (s) => s);
    expect(r.errorClass).toBeNull();
    expect(r.promptTokens).toBe(12);
  });
});

describe('the mock /v1/embeddings', () => {
  it('gives the same unit vector for the same text, another for another text', () => {
    const a = embeddingOf('hello', 8);
    expect(Array.from(a)).toEqual(Array.from(embeddingOf('hello', 8)));
    expect(Array.from(a)).not.toEqual(Array.from(embeddingOf('world', 8)));
    expect(a.reduce((s, x) => s + x * x, 0)).toBeCloseTo(1, 5);
  });

  it('validates input, dimensions and encoding_format with vLLM-style errors', () => {
    const cfg = EMBEDDING_DEFAULTS;
    expect(parseEmbeddingRequest({ input: ['ab', 'cdefgh'] }, [], 'd', cfg)).toMatchObject({ model: 'd', texts: ['ab', 'cdefgh'], tokens: 3, dims: 384 });
    expect(parseEmbeddingRequest({ input: [1, 2, 3], dimensions: 8 }, [], 'd', cfg)).toMatchObject({ texts: ['1,2,3'], tokens: 3, dims: 8 });
    expect(() => parseEmbeddingRequest({}, [], 'd', cfg)).toThrow('input is required');
    expect(() => parseEmbeddingRequest({ input: 'x', dimensions: 9999 }, [], 'd', cfg)).toThrow(/dimensions must be an integer from 1 to 384/);
    expect(() => parseEmbeddingRequest({ input: 'x', encoding_format: 'hex' }, [], 'd', cfg)).toThrow(/encoding_format/);
    expect(() => parseEmbeddingRequest({ input: 'x', model: 'other' }, ['bge'], 'bge', cfg)).toThrow(/does not exist/);
  });

  it('config: embedding.dimensions and the latency model, checked like the rest', () => {
    expect(mockConfigFrom({ embedding: { dimensions: 16, baseMs: 0, msPerToken: 0.1 } }).embedding).toEqual({ dimensions: 16, baseMs: 0, msPerToken: 0.1 });
    expect(() => mockConfigFrom({ embedding: { dimension: 16 } })).toThrow(/embedding\.dimension: unknown key \(did you mean "dimensions"\?\)/);
  });

  it('answers a batch over HTTP with one vector per input, usage, and after its latency', async () => {
    const mock = await startMock({ auth: false, deployments: [{ project: 'p', deployment: 'e' }], embedding: { dimensions: 4, baseMs: 30, msPerToken: 0 } });
    try {
      const t0 = performance.now();
      const res = await fetch(`${mock.url}/v1/p/e/v1/embeddings`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'e', input: ['a', 'b'] }) });
      const body = (await res.json()) as { data: { embedding: number[] }[]; usage: { prompt_tokens: number } };
      expect(performance.now() - t0).toBeGreaterThanOrEqual(25);
      expect(res.status).toBe(200);
      expect(body.data.map((d) => d.embedding.length)).toEqual([4, 4]);
      expect(body.usage.prompt_tokens).toBe(2);
      expect(parseEmbeddingResponse(body, 2)).toEqual({ promptTokens: 2 });
    } finally {
      await mock.close();
    }
  });
});
