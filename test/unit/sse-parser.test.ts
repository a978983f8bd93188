import { describe, expect, it, vi } from 'vitest';
import fc from 'fast-check';
import { SseTokenParser, MAX_EVENT_BYTES, type StreamObserver } from '../../src/protocol/sse.js';

type Eol = '\n' | '\r\n' | '\r';
type Kind = 'chat' | 'completion';

/** A byte stream plus, per event, the offset of the byte whose arrival dispatches it. */
interface Stream {
  bytes: Buffer;
  dispatchAt: number[];
}

/** Joins raw SSE blocks (lines without terminators; '' separates nothing) into a stream. */
function sse(events: string[][], eol: Eol = '\n', prefix = ''): Stream {
  const parts: Buffer[] = [Buffer.from(prefix, 'utf8')];
  let offset = parts[0].length;
  const dispatchAt: number[] = [];
  for (const lines of events) {
    const text = lines.map((l) => l + eol).join('') + eol;
    const b = Buffer.from(text, 'utf8');
    // the blank line's terminator: its first byte (CR of a CRLF) dispatches the event
    dispatchAt.push(offset + b.length - eol.length);
    parts.push(b);
    offset += b.length;
  }
  return { bytes: Buffer.concat(parts), dispatchAt };
}

const data = (obj: unknown): string[] => [`data: ${typeof obj === 'string' ? obj : JSON.stringify(obj)}`];

interface ChatOpts {
  /** cumulative completion_tokens on every chunk (vLLM continuous_usage_stats), one per piece */
  continuous?: number[];
  promptTokens?: number;
  finish?: string | null;
  usageChunk?: boolean;
  done?: boolean;
}

/** The events vLLM sends for a chat stream: role chunk, content chunks, finish chunk, usage chunk, [DONE]. */
function chatEvents(pieces: string[], o: ChatOpts = {}): string[][] {
  const prompt = o.promptTokens ?? 5;
  const base = { id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1, model: 'm' };
  const usage = (c: number) => ({ prompt_tokens: prompt, total_tokens: prompt + c, completion_tokens: c });
  const total = o.continuous ? o.continuous[o.continuous.length - 1] ?? 0 : pieces.length;
  const events: string[][] = [];
  events.push(
    data({
      ...base,
      choices: [{ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }],
      ...(o.continuous ? { usage: usage(0) } : {}),
    }),
  );
  pieces.forEach((p, i) => {
    events.push(
      data({
        ...base,
        choices: [{ index: 0, delta: { content: p }, logprobs: null, finish_reason: null }],
        ...(o.continuous ? { usage: usage(o.continuous[i]) } : {}),
      }),
    );
  });
  if (o.finish !== null) {
    events.push(
      data({
        ...base,
        choices: [{ index: 0, delta: { content: '' }, logprobs: null, finish_reason: o.finish ?? 'stop', stop_reason: null }],
        ...(o.continuous ? { usage: usage(total) } : {}),
      }),
    );
  }
  if (o.usageChunk !== false) events.push(data({ ...base, choices: [], usage: usage(total) }));
  if (o.done !== false) events.push(['data: [DONE]']);
  return events;
}

function completionEvents(pieces: string[]): string[][] {
  const base = { id: 'cmpl-1', object: 'text_completion', created: 1, model: 'm' };
  const events = pieces.map((p, i) =>
    data({
      ...base,
      choices: [{ index: 0, text: p, logprobs: null, finish_reason: i === pieces.length - 1 ? 'length' : null, stop_reason: null }],
    }),
  );
  events.push(data({ ...base, choices: [], usage: { prompt_tokens: 3, total_tokens: 3 + pieces.length, completion_tokens: pieces.length } }));
  events.push(['data: [DONE]']);
  return events;
}

class Recorder implements StreamObserver {
  calls: Array<[number, number]> = [];
  onToken(nowMs: number, tokens: number): void {
    this.calls.push([nowMs, tokens]);
  }
}

function snapshot(p: SseTokenParser, rec: Recorder) {
  return {
    calls: rec.calls,
    firstTokenMs: p.firstTokenMs,
    lastTokenMs: p.lastTokenMs,
    contentChunks: p.contentChunks,
    tokensFromChunks: p.tokensFromChunks,
    usagePromptTokens: p.usagePromptTokens,
    usageCompletionTokens: p.usageCompletionTokens,
    textChars: p.textChars,
    text: p.text(),
    finishReason: p.finishReason,
    sawDone: p.sawDone,
    errorClass: p.errorClass,
    errorMessage: p.errorMessage,
  };
}

/** Feeds `bytes` cut at `cuts`; push i is stamped time(i, startOffset). end() is stamped 1e6. */
function run(
  kind: Kind,
  bytes: Uint8Array,
  cuts: number[] = [],
  time: (pushIndex: number, start: number) => number = () => 1,
  parser = new SseTokenParser(kind, { keepText: true }),
) {
  const rec = new Recorder();
  parser.reset(rec);
  const bounds = [0, ...cuts, bytes.length];
  for (let i = 0; i + 1 < bounds.length; i++) {
    parser.push(bytes.subarray(bounds[i], bounds[i + 1]), time(i, bounds[i]));
  }
  parser.end(1e6);
  return snapshot(parser, rec);
}

const everyByte = (n: number) => Array.from({ length: n - 1 }, (_, i) => i + 1);

describe('SseTokenParser: vLLM streams', () => {
  it('reads a chat stream; the role chunk is not the first token', () => {
    const events = chatEvents(['Hel', 'lo', ' world'], { promptTokens: 7 });
    const parser = new SseTokenParser('chat', { keepText: true });
    const rec = new Recorder();
    parser.reset(rec);
    const role = sse(events.slice(0, 1)).bytes;
    parser.push(role, 10);
    expect(rec.calls).toEqual([]);
    expect(parser.firstTokenMs).toBeNaN();
    parser.push(sse(events.slice(1, 2)).bytes, 20);
    parser.push(sse(events.slice(2, 4)).bytes, 30);
    parser.push(sse(events.slice(4)).bytes, 40);
    parser.end(41);
    expect(snapshot(parser, rec)).toEqual({
      calls: [
        [20, 1],
        [30, 1],
        [30, 1],
      ],
      firstTokenMs: 20,
      lastTokenMs: 30,
      contentChunks: 3,
      tokensFromChunks: 3,
      usagePromptTokens: 7,
      usageCompletionTokens: 3,
      textChars: 'Hello world'.length,
      text: 'Hello world',
      finishReason: 'stop',
      sawDone: true,
      errorClass: null,
      errorMessage: null,
    });
  });

  it("hands the observer each chunk's text and whether running usage counted its tokens", () => {
    const seen: Array<[string, number, boolean]> = [];
    const obs: StreamObserver = { onToken: (_t, tokens, piece, fromUsage) => seen.push([piece, tokens, fromUsage]) };
    const parser = new SseTokenParser('chat');
    parser.reset(obs);
    parser.push(sse(chatEvents([' a', ' b c'], { continuous: [1, 3] })).bytes, 1);
    parser.end(2);
    expect(seen).toEqual([
      [' a', 1, true],
      [' b c', 2, true],
    ]);
    // final usage only: the chunks carry none, so each counts one and says so
    seen.length = 0;
    parser.reset(obs);
    parser.push(sse(chatEvents([' a', ' b c'])).bytes, 1);
    parser.end(2);
    expect(seen).toEqual([
      [' a', 1, false],
      [' b c', 1, false],
    ]);
  });

  it('reads a completion stream (choices[0].text)', () => {
    const s = sse(completionEvents(['a', 'b', 'c', 'd']));
    const r = run('completion', s.bytes);
    expect(r.contentChunks).toBe(4);
    expect(r.tokensFromChunks).toBe(4);
    expect(r.text).toBe('abcd');
    expect(r.finishReason).toBe('length');
    expect(r.usagePromptTokens).toBe(3);
    expect(r.usageCompletionTokens).toBe(4);
    expect(r.sawDone).toBe(true);
    expect(r.errorClass).toBeNull();
  });

  it('does not count role-only, empty-content or usage-only chunks; [DONE] is not a token', () => {
    const s = sse(chatEvents([], { finish: 'stop' }));
    const r = run('chat', s.bytes);
    expect(r.calls).toEqual([]);
    expect(r.contentChunks).toBe(0);
    expect(r.firstTokenMs).toBeNaN();
    expect(r.lastTokenMs).toBeNaN();
    expect(r.usageCompletionTokens).toBe(0);
    expect(r.sawDone).toBe(true);
    expect(r.errorClass).toBeNull();
  });

  it('reports -1 usage when the server sends none', () => {
    const r = run('chat', sse(chatEvents(['x'], { usageChunk: false })).bytes);
    expect(r.usagePromptTokens).toBe(-1);
    expect(r.usageCompletionTokens).toBe(-1);
    expect(r.tokensFromChunks).toBe(1);
  });

  it('with continuous usage, a chunk carries the increase of completion_tokens (multi-token chunks)', () => {
    const s = sse(chatEvents(['a', 'bcd', 'e', 'fg'], { continuous: [1, 4, 5, 7] }));
    const r = run('chat', s.bytes, [], (i) => i);
    expect(r.calls.map((c) => c[1])).toEqual([1, 3, 1, 2]);
    expect(r.tokensFromChunks).toBe(7);
    expect(r.usageCompletionTokens).toBe(7);
    expect(r.contentChunks).toBe(4);
  });

  it('continuous usage on a completion stream without a role chunk counts the first chunk from 0', () => {
    const base = { id: 'c', object: 'text_completion', created: 1, model: 'm' };
    const mk = (text: string, c: number, fr: string | null = null) =>
      data({ ...base, choices: [{ index: 0, text, finish_reason: fr }], usage: { prompt_tokens: 2, completion_tokens: c, total_tokens: 2 + c } });
    const s = sse([mk('ab', 2), mk('c', 3), mk('', 4, 'stop'), ['data: [DONE]']]);
    const r = run('completion', s.bytes);
    expect(r.calls.map((c) => c[1])).toEqual([2, 1]);
    expect(r.tokensFromChunks).toBe(3);
    expect(r.usageCompletionTokens).toBe(4);
  });

  it('a content chunk whose usage did not grow still counts one token', () => {
    const s = sse(chatEvents(['a', 'b'], { continuous: [1, 1] }));
    expect(run('chat', s.bytes).calls.map((c) => c[1])).toEqual([1, 1]);
  });

  it('counts reasoning deltas (reasoning_content / reasoning) as generated tokens', () => {
    const ev = (delta: object) => data({ choices: [{ index: 0, delta, finish_reason: null }] });
    const s = sse([
      ev({ role: 'assistant', content: '' }),
      ev({ reasoning_content: 'hmm' }),
      ev({ reasoning: 'ok' }),
      ev({ content: 'Hi' }),
      data({ choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] }),
      ['data: [DONE]'],
    ]);
    const r = run('chat', s.bytes, [], (i) => i);
    expect(r.contentChunks).toBe(3);
    expect(r.text).toBe('hmmokHi');
  });
});

describe('SseTokenParser: framing', () => {
  it('accepts \\r\\n and \\r line endings', () => {
    for (const eol of ['\r\n', '\r'] as const) {
      const r = run('chat', sse(chatEvents(['a', 'b']), eol).bytes);
      expect(r.contentChunks, JSON.stringify(eol)).toBe(2);
      expect(r.text).toBe('ab');
      expect(r.sawDone).toBe(true);
      expect(r.errorClass).toBeNull();
    }
  });

  it('accepts mixed line endings within one stream', () => {
    const text =
      'data: {"choices":[{"delta":{"content":"a"}}]}\r\n\n' +
      'data: {"choices":[{"delta":{"content":"b"}}]}\r\r' +
      'data: {"choices":[{"delta":{"content":"c"},"finish_reason":"stop"}]}\n\r\n';
    const r = run('chat', Buffer.from(text));
    expect(r.text).toBe('abc');
    expect(r.finishReason).toBe('stop');
  });

  it('ignores comment lines and event/id/retry fields, and accepts data: without a space', () => {
    const text =
      ': keep-alive\n\n' +
      ':\n' +
      'event: message\nid: 1\nretry: 1000\ndata:{"choices":[{"delta":{"content":"a"}}]}\n: inside an event\n\n' +
      'data:  {"choices":[{"delta":{"content":"b"}}]}\n\n' + // two spaces: only one is stripped (JSON allows the other)
      'data: {"choices":[{"delta":{},"finish_reason":"stop"}]}\n\n' +
      'data:[DONE]\n\n';
    const r = run('chat', Buffer.from(text));
    expect(r.text).toBe('ab');
    expect(r.sawDone).toBe(true);
    expect(r.errorClass).toBeNull();
  });

  it('joins several data lines of one event with \\n', () => {
    const text =
      'data: {"choices":[{"delta":\n' +
      'data: {"content":"line"},\n' +
      'data: "finish_reason":"stop"}]}\n\n' +
      'data: [DONE]\n\n';
    const r = run('chat', Buffer.from(text));
    expect(r.text).toBe('line');
    expect(r.contentChunks).toBe(1);
    expect(r.finishReason).toBe('stop');
  });

  it('joins data lines with a real \n (so a JSON string cut across data lines is invalid)', () => {
    const text = 'data: {"choices":[{"delta":{"content":"a\ndata: b"}}]}\n\n';
    const r = run('chat', Buffer.from(text));
    expect(r.errorClass).toBe('invalid_response');
  });

  it('treats an empty or blank data value as a keep-alive, and a leading BOM as nothing', () => {
    const text = '\uFEFFdata:\n\ndata: \n\n' + 'data: {"choices":[{"delta":{"content":"a"},"finish_reason":"stop"}]}\n\n';
    const r = run('chat', Buffer.from(text));
    expect(r.text).toBe('a');
    expect(r.errorClass).toBeNull();
  });

  it('discards an event that the body ends before terminating (WHATWG), and reads nothing after [DONE]', () => {
    const cut = 'data: {"choices":[{"delta":{"content":"a"},"finish_reason":"stop"}]}\n'; // no blank line
    const r1 = run('chat', Buffer.from(cut));
    expect(r1.contentChunks).toBe(0);
    expect(r1.errorClass).toBe('stream_error');

    const after = sse([...chatEvents(['a']), data({ choices: [{ delta: { content: 'late' } }] }), ['data: not json']]);
    const r2 = run('chat', after.bytes);
    expect(r2.text).toBe('a');
    expect(r2.errorClass).toBeNull();
  });

  it('accepts Uint8Array chunks that are not Buffers', () => {
    const b = sse(chatEvents(['x', 'y'])).bytes;
    const u8 = new Uint8Array(b.length + 4);
    u8.set(b, 2);
    const view = u8.subarray(2, 2 + b.length);
    const r = run('chat', view, [10, 50]);
    expect(r.text).toBe('xy');
    expect(r.sawDone).toBe(true);
  });
});

describe('SseTokenParser: split invariance', () => {
  const pieces = ['Hé', 'llo', ' 日本', '語', ' 🚀', '!', 'ü'];
  const cases: Array<{ name: string; kind: Kind; events: string[][]; eol: Eol; prefix?: string }> = [];
  for (const eol of ['\n', '\r\n', '\r'] as const) {
    const name = JSON.stringify(eol);
    cases.push({ name: `chat ${name}`, kind: 'chat', events: chatEvents(pieces), eol });
    cases.push({
      name: `chat continuous usage ${name}`,
      kind: 'chat',
      events: chatEvents(pieces, { continuous: [1, 3, 5, 6, 8, 9, 10] }),
      eol,
    });
    cases.push({ name: `completion ${name}`, kind: 'completion', events: completionEvents(pieces), eol });
    cases.push({
      name: `comments and multi-line data ${name}`,
      kind: 'chat',
      events: [
        [': ping'],
        ['event: x', 'data: {"choices":[{"delta":', 'data: {"content":"日"}}]}', 'id: 3'],
        ['data:{"choices":[{"delta":{"content":"本"}}]}', ': note'],
        [':only a comment'],
        ['data: {"choices":[{"delta":{"content":"🚀"}, "finish_reason":"stop"}]}'],
        ['data: [DONE]'],
      ],
      eol,
      prefix: ': opening comment' + eol + eol,
    });
    cases.push({
      name: `error mid-stream ${name}`,
      kind: 'chat',
      events: [...chatEvents(['a', 'é']).slice(0, 3), data({ error: { message: 'bóom', type: 'x', code: 500 } }), ['data: [DONE]']],
      eol,
    });
  }

  for (const c of cases) {
    it(`${c.name}: whole, every two-way split and one byte per push agree`, () => {
      const { bytes } = sse(c.events, c.eol, c.prefix);
      const whole = run(c.kind, bytes);
      expect(whole.contentChunks).toBeGreaterThan(0);
      // one parser reused across all runs, as in the worker
      const parser = new SseTokenParser(c.kind, { keepText: true });
      for (let cut = 1; cut < bytes.length; cut++) {
        const r = run(c.kind, bytes, [cut], () => 1, parser);
        if (JSON.stringify(r) !== JSON.stringify(whole)) expect(r, `cut at ${cut}`).toEqual(whole);
      }
      expect(run(c.kind, bytes, everyByte(bytes.length), () => 1, parser)).toEqual(whole);
    });

    it(`${c.name}: a token is stamped with the push that brought its terminating blank line`, () => {
      const { bytes, dispatchAt } = sse(c.events, c.eol, c.prefix);
      // one byte per push, stamped with its offset: the stamp of a token is the offset of its dispatch byte
      const r = run(c.kind, bytes, everyByte(bytes.length), (_, start) => start);
      const stamps = r.calls.map((call) => call[0]);
      expect(stamps.every((t) => dispatchAt.includes(t))).toBe(true);
      expect(r.firstTokenMs).toBe(stamps[0]);
      expect(r.lastTokenMs).toBe(stamps[stamps.length - 1]);
      // two pushes: tokens dispatched by a byte of the first push carry its stamp
      for (let cut = 1; cut < bytes.length; cut += 7) {
        const r2 = run(c.kind, bytes, [cut], (i) => i + 1);
        const expected = stamps.map((at) => (at < cut ? 1 : 2));
        expect(r2.calls.map((call) => call[0]), `cut at ${cut}`).toEqual(expected);
      }
    });
  }

  it('random multi-way splits agree with the whole stream (fast-check)', () => {
    const { bytes } = sse(chatEvents(pieces, { continuous: [1, 3, 5, 6, 8, 9, 10] }), '\r\n', ': hi\r\n\r\n');
    const whole = run('chat', bytes);
    const parser = new SseTokenParser('chat', { keepText: true });
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: bytes.length - 1 }), { maxLength: 40 }), (cuts) => {
        cuts.sort((a, b) => a - b);
        expect(run('chat', bytes, cuts, () => 1, parser)).toEqual(whole);
      }),
      { numRuns: 300 },
    );
  });

  it('UTF-8 content split inside multi-byte characters gives the right text and textChars', () => {
    const text = 'é日🚀ü';
    const { bytes } = sse(chatEvents([text]));
    const start = bytes.indexOf(Buffer.from('é'));
    // cut after the first byte of each multi-byte character
    const cuts = [start + 1, start + 3, start + 5, start + 9, start + 11];
    const r = run('chat', bytes, cuts);
    expect(r.text).toBe(text);
    expect(r.textChars).toBe(4); // code points: the emoji is one
  });
});

describe('SseTokenParser: errors', () => {
  it('an {"error": {...}} event mid-stream is a stream_error with its message', () => {
    const events = [...chatEvents(['a', 'b']).slice(0, 3), data({ error: { message: 'CUDA out of memory', type: 'InternalServerError', code: 500 } })];
    events.push(data({ choices: [{ delta: { content: 'after' } }] }), ['data: [DONE]']);
    const r = run('chat', sse(events).bytes);
    expect(r.errorClass).toBe('stream_error');
    expect(r.errorMessage).toBe('CUDA out of memory');
    expect(r.contentChunks).toBe(2); // nothing counted after the error
    expect(r.sawDone).toBe(true);
  });

  it('an {"object": "error"} event mid-stream is a stream_error with its message', () => {
    const events = [...chatEvents(['a']).slice(0, 2), data({ object: 'error', message: 'engine dead', type: 'BadRequestError', param: null, code: 400 })];
    const r = run('chat', sse(events).bytes);
    expect(r.errorClass).toBe('stream_error');
    expect(r.errorMessage).toBe('engine dead');
  });

  it('an {"error": "..."} event is a stream_error', () => {
    const r = run('chat', sse([data({ error: 'upstream reset' })]).bytes);
    expect(r.errorClass).toBe('stream_error');
    expect(r.errorMessage).toBe('upstream reset');
  });

  it('a stream cut without [DONE] or finish_reason is a stream_error', () => {
    const r = run('chat', sse(chatEvents(['a', 'b'], { finish: null, usageChunk: false, done: false })).bytes);
    expect(r.contentChunks).toBe(2);
    expect(r.errorClass).toBe('stream_error');
    expect(r.errorMessage).toBe('stream ended without [DONE] or finish_reason');
  });

  it('either a finish_reason or [DONE] is enough to end a stream', () => {
    expect(run('chat', sse(chatEvents(['a'], { done: false })).bytes).errorClass).toBeNull();
    expect(run('chat', sse(chatEvents(['a'], { finish: null })).bytes).errorClass).toBeNull();
  });

  it('data that is not JSON is invalid_response; the first error is kept', () => {
    const events = [...chatEvents(['a']).slice(0, 2), ['data: {"choices": [tru'], data({ error: { message: 'later' } })];
    events.push(data({ choices: [{ delta: { content: 'b' } }] }));
    const r = run('chat', sse(events).bytes);
    expect(r.errorClass).toBe('invalid_response');
    expect(r.errorMessage).toBe('event data is not valid JSON: {"choices": [tru');
    expect(r.contentChunks).toBe(1);
  });

  it('JSON that is not an object is invalid_response', () => {
    const r = run('chat', sse([['data: 42']]).bytes);
    expect(r.errorClass).toBe('invalid_response');
    expect(r.errorMessage).toBe('event data is not a JSON object');
  });

  it('an event over 1 MiB without a terminator is invalid_response, however it is split', () => {
    const big = Buffer.from('data: "' + 'a'.repeat(MAX_EVENT_BYTES) + '"');
    for (const cuts of [[], [10], everyByte(40).map((i) => i * 65536).filter((c) => c < big.length)]) {
      const parser = new SseTokenParser('chat');
      const rec = new Recorder();
      parser.reset(rec);
      const bounds = [0, ...cuts, big.length];
      for (let i = 0; i + 1 < bounds.length; i++) parser.push(big.subarray(bounds[i], bounds[i + 1]), 1);
      expect(parser.errorClass).toBe('invalid_response');
      expect(parser.errorMessage).toBe('event exceeds 1 MiB');
      parser.push(Buffer.from('\n\ndata: [DONE]\n\n'), 2); // nothing is read any more
      parser.end(3);
      expect(parser.sawDone).toBe(false);
      expect(parser.errorMessage).toBe('event exceeds 1 MiB');
    }
  });

  it('the 1 MiB limit is per event, not per stream', () => {
    const pieces = Array.from({ length: 300 }, () => 'y'.repeat(8000));
    const bytes = sse(chatEvents(pieces)).bytes;
    expect(bytes.length).toBeGreaterThan(2 * MAX_EVENT_BYTES);
    const r = run('chat', bytes, [1, 100_000, 1_500_000]);
    expect(r.errorClass).toBeNull();
    expect(r.contentChunks).toBe(300);
  });

  it('an event just under 1 MiB is read, and reset() afterwards leaves a clean parser', () => {
    const content = 'x'.repeat(MAX_EVENT_BYTES - 200);
    const line = `data: ${JSON.stringify({ choices: [{ delta: { content }, finish_reason: 'stop' }] })}`;
    expect(Buffer.byteLength(line)).toBeLessThanOrEqual(MAX_EVENT_BYTES);
    const bytes = sse([[line], ['data: [DONE]']]).bytes;
    const parser = new SseTokenParser('chat');
    const r = run('chat', bytes, [1000, 500_000], () => 1, parser);
    expect(r.errorClass).toBeNull();
    expect(r.textChars).toBe(content.length);
    expect(r.text).toBe(''); // keepText off
    const again = run('chat', sse(chatEvents(['a', 'b'])).bytes, [5], () => 1, parser);
    expect(again.contentChunks).toBe(2);
    expect(again.errorClass).toBeNull();
  });
});

describe('SseTokenParser: hot path', () => {
  it('decodes only the data of JSON events to strings, once each', () => {
    const s = sse(chatEvents(['a', 'b', 'c']), '\n', ': comment\n\n');
    const spy = vi.spyOn(Buffer.prototype, 'toString');
    try {
      const parser = new SseTokenParser('chat');
      parser.reset(new Recorder());
      for (let i = 0; i < s.bytes.length; i += 13) parser.push(s.bytes.subarray(i, i + 13), 1);
      parser.end(2);
      // role + 3 content + finish + usage; not the comment, not [DONE]
      expect(spy).toHaveBeenCalledTimes(6);
    } finally {
      spy.mockRestore();
    }
  });

  it('is reusable across requests via reset()', () => {
    const parser = new SseTokenParser('chat', { keepText: true });
    const first = run('chat', Buffer.from('data: {"choices":[{"delta":{"content":"par'), [], () => 1, parser);
    expect(first.errorClass).toBe('stream_error');
    const second = run('chat', sse(chatEvents(['q'])).bytes, [], () => 5, parser);
    expect(second).toMatchObject({ text: 'q', contentChunks: 1, firstTokenMs: 5, errorClass: null, sawDone: true });
  });
});
