import { describe, expect, it } from 'vitest';
import { ResponseState, responseHandlerFor, type StreamObserver } from '../../src/protocol/index.js';

const observer = (): StreamObserver & { tokens: number } => {
  const o = { tokens: 0, onToken: (_t: number, n: number) => void (o.tokens += n) };
  return o;
};
const ident = (t: string): string => t;

/** Feeds one 2xx answer through the workload's handler and returns the state it leaves. */
function read(kind: Parameters<typeof responseHandlerFor>[0], stream: boolean, body: string, headers: string[] | null = null, obs = observer()) {
  const h = responseHandlerFor(kind, stream);
  const r = new ResponseState();
  h.begin(r, obs, 1 << 20, false);
  const committed = h.head(r, headers);
  for (const piece of [body.slice(0, 5), body.slice(5)]) h.data(r, Buffer.from(piece));
  h.end(r, ident);
  return { r, committed, obs };
}

describe('response handlers, one per request kind', () => {
  it('is chosen once per kind and stream flag, and shared', () => {
    expect(responseHandlerFor('chat', true)).toBe(responseHandlerFor('chat', true));
    expect(responseHandlerFor('chat', true)).not.toBe(responseHandlerFor('chat', false));
    expect(responseHandlerFor('predict', false).needsHeaders).toBe(false);
    expect(responseHandlerFor('completion', true).needsHeaders).toBe(true);
  });

  it('predict JSON: a body with predictions is good, one without is invalid_response', () => {
    expect(read('predict', false, '{"predictions":[1]}').r.errorClass).toBeNull();
    const bad = read('predict', false, '{"answer":1}').r;
    expect([bad.errorClass, bad.errorMessage]).toEqual(['invalid_response', 'response lacks predictions']);
    expect(read('infer', false, 'not json').r.errorMessage).toBe('response is not valid JSON');
  });

  it('completion JSON: reads usage, text and finish reason', () => {
    const { r, committed } = read('chat', false, JSON.stringify({ choices: [{ message: { content: 'hi' }, finish_reason: 'stop' }], usage: { prompt_tokens: 3, completion_tokens: 1 } }));
    expect(committed).toBe(false);
    expect([r.errorClass, r.promptTokens, r.completionTokens, r.text, r.finishReason]).toEqual([null, 3, 1, 'hi', 'stop']);
  });

  it('SSE stream: tokens reach the observer, and a non-stream content-type is invalid_response', () => {
    const sse = 'data: {"choices":[{"text":"a"}]}\n\ndata: {"choices":[{"text":"b","finish_reason":"stop"}]}\n\ndata: [DONE]\n\n';
    const ok = read('completion', true, sse, ['content-type', 'text/event-stream']);
    expect([ok.committed, ok.r.errorClass, ok.obs.tokens, ok.r.sse!.finishReason]).toEqual([true, null, 2, 'stop']);
    const html = read('completion', true, '<html>oops</html>', ['content-type', 'text/html']);
    expect(html.r.errorClass).toBe('invalid_response');
    expect(html.r.errorMessage).toBe('expected text/event-stream, got text/html: <html>oops</html>');
    expect(read('chat', true, 'data: {"choices":[]}\n\n', ['content-type', 'text/event-stream']).r.errorClass).toBe('stream_error');
  });
});
