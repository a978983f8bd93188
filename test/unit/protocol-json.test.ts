import { describe, expect, it } from 'vitest';
import {
  JsonBodyCollector,
  checkPredictResponse,
  errorMessageOf,
  parseCompletionResponse,
  recordItl,
} from '../../src/protocol/index.js';

describe('recordItl', () => {
  const calls = (gapMs: number, tokens: number) => {
    const out: Array<[number, number]> = [];
    recordItl((us, n) => out.push([us, n]), gapMs, tokens);
    return out;
  };

  it('records one value of the gap for a one-token chunk', () => {
    expect(calls(12.5, 1)).toEqual([[12500, 1]]);
  });

  it('splits a k-token chunk into k values of g/k', () => {
    expect(calls(9, 3)).toEqual([[3000, 3]]);
    expect(calls(10, 3)).toEqual([[3333, 3]]);
    expect(calls(0.002, 1)).toEqual([[2, 1]]);
  });

  it('rounds to the nearest µs and never records a negative value', () => {
    expect(calls(0.0015, 1)).toEqual([[2, 1]]);
    expect(calls(0.0014, 1)).toEqual([[1, 1]]);
    expect(calls(-3, 2)).toEqual([[0, 2]]);
  });

  it('records nothing for no tokens or a gap that is not a number', () => {
    expect(calls(5, 0)).toEqual([]);
    expect(calls(Number.NaN, 1)).toEqual([]);
  });
});

describe('JsonBodyCollector', () => {
  it('parses a single-chunk body, once', () => {
    const c = new JsonBodyCollector();
    c.reset(1024);
    c.push(Buffer.from('{"predictions":[1,2]}'));
    const first = c.json();
    expect(first).toEqual({ predictions: [1, 2] });
    expect(c.json()).toBe(first);
    expect(c.bytes).toBe(21);
    expect(c.overCap).toBe(false);
  });

  it('keeps a single chunk by reference instead of copying it', () => {
    const c = new JsonBodyCollector();
    c.reset(1024);
    const b = Buffer.from('[1]');
    c.push(b);
    b[1] = 0x37; // '7': visible only if the collector did not copy
    expect(c.json()).toEqual([7]);
  });

  it('concatenates several chunks, also when a UTF-8 character is split between them', () => {
    const c = new JsonBodyCollector();
    c.reset(1024);
    const b = Buffer.from('{"s":"日本"}');
    c.push(b.subarray(0, 7));
    c.push(new Uint8Array(b.subarray(7, 9)));
    c.push(b.subarray(9));
    expect(c.json()).toEqual({ s: '日本' });
    expect(c.bytes).toBe(b.length);
  });

  it('stops storing past the cap but keeps counting', () => {
    const c = new JsonBodyCollector();
    c.reset(10);
    c.push(Buffer.from('{"a":'));
    c.push(Buffer.from('"0123456789"}'));
    c.push(Buffer.from('xxx'));
    expect(c.overCap).toBe(true);
    expect(c.bytes).toBe(21);
    expect(c.json()).toBeUndefined();
  });

  it('gives undefined for an empty or invalid body, and is reusable via reset()', () => {
    const c = new JsonBodyCollector();
    c.reset(100);
    expect(c.json()).toBeUndefined();
    c.reset(100);
    c.push(Buffer.from('{"a":'));
    expect(c.json()).toBeUndefined();
    c.reset(100);
    c.push(Buffer.from('{"a":1}'));
    expect(c.json()).toEqual({ a: 1 });
    expect(c.bytes).toBe(7);
  });
});

describe('errorMessageOf', () => {
  it('reads the KServe / TF Serving shape {"error": "..."}', () => {
    expect(errorMessageOf({ error: 'Model with name fraud does not exist.' })).toBe('Model with name fraud does not exist.');
  });
  it('reads the newer vLLM / OpenAI shape {"error": {"message"}}', () => {
    expect(errorMessageOf({ error: { message: 'max_tokens is too large', type: 'BadRequestError', param: null, code: 400 } })).toBe(
      'max_tokens is too large',
    );
    expect(errorMessageOf({ error: { code: 500 } })).toBe('{"code":500}');
  });
  it('reads the older vLLM shape {"object": "error", "message"}', () => {
    expect(errorMessageOf({ object: 'error', message: 'The model `x` does not exist.', type: 'NotFoundError', code: 404 })).toBe(
      'The model `x` does not exist.',
    );
  });
  it('is null for bodies that are not errors', () => {
    expect(errorMessageOf({ predictions: [1] })).toBeNull();
    expect(errorMessageOf({ error: null, predictions: [1] })).toBeNull();
    expect(errorMessageOf([1])).toBeNull();
    expect(errorMessageOf('error')).toBeNull();
    expect(errorMessageOf(undefined)).toBeNull();
  });
});

describe('checkPredictResponse', () => {
  it('predict: KServe V1 / TF Serving predictions, or TF Serving columnar outputs', () => {
    expect(checkPredictResponse('predict', { predictions: [[0.1, 0.9]] })).toBe(true);
    expect(checkPredictResponse('predict', { predictions: [] })).toBe(true);
    expect(checkPredictResponse('predict', { outputs: { scores: [[0.1]] } })).toBe(true);
    expect(checkPredictResponse('predict', { predictions: 1 })).toBe(false);
    expect(checkPredictResponse('predict', { result: [1] })).toBe(false);
    expect(checkPredictResponse('predict', { error: 'boom' })).toBe(false);
    expect(checkPredictResponse('predict', [1])).toBe(false);
    expect(checkPredictResponse('predict', undefined)).toBe(false);
  });

  it('classify / regress: TF Serving results', () => {
    expect(checkPredictResponse('classify', { results: [[['cat', 0.9], ['dog', 0.1]]] })).toBe(true);
    expect(checkPredictResponse('regress', { results: [0.5, 0.7] })).toBe(true);
    expect(checkPredictResponse('regress', { predictions: [0.5] })).toBe(false);
  });

  it('infer: KServe V2 outputs', () => {
    const out = { name: 'output-0', shape: [1, 2], datatype: 'FP32', data: [0.1, 0.9] };
    expect(checkPredictResponse('infer', { model_name: 'm', id: '1', outputs: [out] })).toBe(true);
    expect(
      checkPredictResponse('infer', { outputs: [{ name: 'o', shape: [1], datatype: 'BYTES', parameters: { binary_data_size: 8 } }] }),
    ).toBe(true);
    expect(checkPredictResponse('infer', { outputs: [{ ...out, data: undefined }] })).toBe(false);
    expect(checkPredictResponse('infer', { outputs: [{ name: 'o', data: [1] }] })).toBe(false);
    expect(checkPredictResponse('infer', { outputs: {} })).toBe(false);
    expect(checkPredictResponse('infer', { predictions: [1] })).toBe(false);
  });
});

describe('parseCompletionResponse', () => {
  const usage = { prompt_tokens: 12, total_tokens: 20, completion_tokens: 8 };

  it('reads a vLLM chat completion', () => {
    const body = {
      id: 'chatcmpl-1',
      object: 'chat.completion',
      choices: [{ index: 0, message: { role: 'assistant', content: 'Hello!', tool_calls: [] }, finish_reason: 'stop' }],
      usage,
    };
    expect(parseCompletionResponse('chat', body)).toEqual({ promptTokens: 12, completionTokens: 8, cachedTokens: -1, text: 'Hello!', finishReason: 'stop' });
  });

  it('reads a chat answer with tool calls only (content null) and reasoning', () => {
    const body = { choices: [{ message: { role: 'assistant', content: null, reasoning_content: 'think' }, finish_reason: 'tool_calls' }], usage };
    expect(parseCompletionResponse('chat', body)).toEqual({ promptTokens: 12, completionTokens: 8, cachedTokens: -1, text: 'think', finishReason: 'tool_calls' });
  });

  it('reads a vLLM text completion', () => {
    const body = { object: 'text_completion', choices: [{ index: 0, text: ' world', finish_reason: 'length' }], usage };
    expect(parseCompletionResponse('completion', body)).toEqual({ promptTokens: 12, completionTokens: 8, cachedTokens: -1, text: ' world', finishReason: 'length' });
  });

  it('gives -1 tokens without usage', () => {
    const r = parseCompletionResponse('completion', { choices: [{ text: 'x', finish_reason: null }] });
    expect(r).toEqual({ promptTokens: -1, completionTokens: -1, cachedTokens: -1, text: 'x', finishReason: null });
  });

  it('returns both vLLM error shapes as errors', () => {
    expect(parseCompletionResponse('chat', { error: { message: 'too long', type: 'BadRequestError', code: 400 } })).toEqual({ error: 'too long' });
    expect(parseCompletionResponse('chat', { object: 'error', message: 'too long', code: 400 })).toEqual({ error: 'too long' });
  });

  it('returns malformed objects as errors', () => {
    expect(parseCompletionResponse('chat', 'x')).toEqual({ error: 'response is not a JSON object' });
    expect(parseCompletionResponse('chat', { choices: [] })).toEqual({ error: 'response has no choices' });
    expect(parseCompletionResponse('chat', { choices: [1] })).toEqual({ error: 'choices[0] is not an object' });
    expect(parseCompletionResponse('chat', { choices: [{ text: 'x' }] })).toEqual({ error: 'choices[0].message is missing' });
    expect(parseCompletionResponse('chat', { choices: [{ message: { content: 3 } }] })).toEqual({
      error: 'choices[0].message.content is not a string',
    });
    expect(parseCompletionResponse('completion', { choices: [{ message: { content: 'x' } }] })).toEqual({
      error: 'choices[0].text is not a string',
    });
  });
});
