// Per-token ITL without running usage: the spreading of a stream's tokens over its chunks
// (protocol/itl.ts spreadItl), the per-stream chunk log that picks the source (engine/chunk-log.ts),
// and the accounting of sources and outputs over max_tokens (engine/tokens.ts).
import { describe, expect, it } from 'vitest';
import { spreadItl } from '../../src/protocol/itl.js';
import { ChunkCounter, ChunkLog, ITL_CHUNKS, ITL_NONE, ITL_TOKENIZER, ITL_USAGE } from '../../src/engine/chunk-log.js';
import { TokenAccounting } from '../../src/engine/tokens.js';
import { describeOverMax, describeTokenCounts, emptyTokenInterval, tokenCountsSummary } from '../../src/metrics/tokens.js';
import { defaultTokenizer } from '../../src/workload/tokenizer.js';

/** A tokenizer that counts space-separated words, and remembers how often it ran. */
function words() {
  const t = { name: 'words', calls: 0, count: (s: string) => (t.calls++, s.split(' ').filter(Boolean).length) };
  return t;
}

/** Every value recordItl would put into the histogram, expanded: [µs, µs, …]. */
function collect(): { record: (us: number, n: number) => void; values: number[] } {
  const values: number[] = [];
  return { values, record: (us, n) => values.push(...Array.from({ length: n }, () => us)) };
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

// One token every 15 ms from t = 100, sent in chunks of 1, 1, 2, 1 and 3 tokens: each chunk
// arrives with its last token.
const SIZES = [1, 1, 2, 1, 3];
const TIMES = [100, 115, 145, 160, 205];
const PIECES = [' a', ' b', ' c d', ' e', ' f g h'];

describe('spreadItl', () => {
  it('records k values of gap/k for a chunk of k tokens, none for the first chunk', () => {
    const c = collect();
    const max = spreadItl(c.record, Float64Array.from(TIMES), Float64Array.from(SIZES), 5, 0);
    expect(c.values).toEqual([15000, 15000, 15000, 15000, 15000, 15000, 15000]);
    expect(max).toBe(15);
  });

  it('scales the weights to the total, in whole tokens that add up to it exactly', () => {
    const c = collect();
    // usage says 16 tokens where the weights say 8: every chunk carries twice its weight
    spreadItl(c.record, Float64Array.from(TIMES), Float64Array.from(SIZES), 5, 16);
    expect(c.values).toHaveLength(16 - 2); // the first chunk's 2 tokens have no gap before them
    expect(c.values.every((v) => v === 7500)).toBe(true);

    // 3 equal chunks, 4 tokens: cumulative rounding gives 1, 2, 1 (round(4/3)=1, round(8/3)=3, 4)
    const d = collect();
    spreadItl(d.record, Float64Array.from([0, 10, 20]), Float64Array.from([1, 1, 1]), 3, 4);
    expect(d.values).toEqual([5000, 5000, 10000]);
  });

  it('lets a chunk that got no whole token wait for the next one', () => {
    // 4 chunks, 2 tokens: round(0.5, 1, 1.5, 2) = 1, 1, 2, 2, so chunks 0 and 2 carry one each
    const c = collect();
    const max = spreadItl(c.record, Float64Array.from([0, 10, 20, 30]), Float64Array.from([1, 1, 1, 1]), 4, 2);
    expect(c.values).toEqual([20000]); // 2 tokens, the first has no gap before it
    expect(max).toBe(20);
  });
});

describe('ChunkLog', () => {
  it('without running usage: counts each chunk with the tokenizer and scales to the output count', () => {
    const log = new ChunkLog();
    TIMES.forEach((t, i) => log.add(t, 1, PIECES[i], false));
    const tok = words();
    const c = collect();
    expect(log.record(c.record, 8, new ChunkCounter(tok))).toBe(ITL_TOKENIZER);
    expect(c.values).toEqual(Array(7).fill(15000));
    expect(log.maxGapMs).toBe(15);
    // per-chunk counting would give 24.2 ms here if every chunk counted one token: 15, 30, 15, 45
    expect(mean(c.values) / 1000).toBeCloseTo(15, 6);

    // usage says 16: the tokenizer's shares are kept, the total is the server's
    const log2 = new ChunkLog();
    TIMES.forEach((t, i) => log2.add(t, 1, PIECES[i], false));
    const c2 = collect();
    log2.record(c2.record, 16, new ChunkCounter(words()));
    expect(c2.values).toHaveLength(14);
    expect(c2.values.every((v) => v === 7500)).toBe(true);
  });

  it('with running usage on every chunk: the usage deltas, unscaled; no text is held', () => {
    const log = new ChunkLog();
    TIMES.forEach((t, i) => log.add(t, SIZES[i], PIECES[i], true));
    const tok = words();
    const c = collect();
    // a final count that disagrees is not spread: each chunk's own usage delta is the better count
    expect(log.record(c.record, 99, new ChunkCounter(tok))).toBe(ITL_USAGE);
    expect(c.values).toEqual(Array(7).fill(15000));
    expect(tok.calls).toBe(0);
  });

  it('falls back to one per chunk, scaled to the output count, without a tokenizer or when usage stopped half-way', () => {
    const log = new ChunkLog();
    [0, 10, 20, 30].forEach((t) => log.add(t, 1, ' x', false));
    const c = collect();
    expect(log.record(c.record, 8, null)).toBe(ITL_CHUNKS);
    // 8 tokens over 4 chunks: 2 each, so 3 chunks × 2 values of 5 ms
    expect(c.values).toEqual(Array(6).fill(5000));

    // the first chunk carried usage, the rest did not: its text was never held, so no tokenizer
    const mixed = new ChunkLog();
    mixed.add(0, 1, ' a', true);
    [10, 20, 30].forEach((t) => mixed.add(t, 1, ' b c', false));
    const tok = words();
    const d = collect();
    expect(mixed.record(d.record, 0, new ChunkCounter(tok))).toBe(ITL_CHUNKS);
    expect(d.values).toEqual([10000, 10000, 10000]);
    expect(tok.calls).toBe(0);
  });

  it('a stream without content chunks has no source', () => {
    const log = new ChunkLog();
    const c = collect();
    expect(log.record(c.record, 5, null)).toBe(ITL_NONE);
    expect(c.values).toEqual([]);
  });

  it('is reused: reset forgets the last stream, and a long stream grows the arrays', () => {
    const log = new ChunkLog();
    for (let i = 0; i < 500; i++) log.add(i * 2, 1, ' w', false);
    const c = collect();
    expect(log.record(c.record, 0, new ChunkCounter(words()))).toBe(ITL_TOKENIZER);
    expect(c.values).toEqual(Array(499).fill(2000));
    log.reset();
    expect(log.chunks).toBe(0);
    log.add(0, 2, ' a b', true);
    log.add(9, 3, ' c d e', true);
    const d = collect();
    expect(log.record(d.record, 0, null)).toBe(ITL_USAGE);
    expect(d.values).toEqual([3000, 3000, 3000]);
  });

  it('counts the chunks of the 1,1,2,1,3 stream with the built-in tokenizer as the server made them', () => {
    // real words whose cl100k_base counts are 1, 1, 2, 1, 3
    const texts = [' The', ' quick', ' brown fox', ' jumps', ' over the lazy'];
    const tok = defaultTokenizer();
    expect(texts.map((t) => tok.count(t))).toEqual(SIZES);
    const log = new ChunkLog();
    TIMES.forEach((t, i) => log.add(t, 1, texts[i], false));
    const c = collect();
    expect(log.record(c.record, 8, new ChunkCounter(tok))).toBe(ITL_TOKENIZER);
    expect(c.values).toEqual(Array(7).fill(15000));
  });
});

describe('ChunkCounter', () => {
  it('counts a repeated chunk text once', () => {
    const tok = words();
    const counter = new ChunkCounter(tok);
    for (let i = 0; i < 10; i++) expect(counter.count(' the')).toBe(1);
    expect(counter.count(' two words')).toBe(2);
    expect(tok.calls).toBe(2);
  });
});

describe('token accounting of itl sources and outputs over max_tokens', () => {
  it('counts streams by itl source and names it in the summary line', () => {
    const a = new TokenAccounting(words());
    a.itl(ITL_TOKENIZER);
    a.itl(ITL_TOKENIZER);
    a.itl(ITL_NONE);
    const t = tokenCountsSummary(a.take()!);
    expect(t.itlBySource).toEqual({ usage: 0, tokenizer: 2, chunks: 0 });
    expect(t.itlSource).toBe('tokenizer');
    expect(describeTokenCounts(t)).toContain('itl per token from tokenizer');
  });

  it("counts outputs over max_tokens by the server's usage only, not by a tokenizer's estimate", () => {
    const a = new TokenAccounting(words());
    a.output(70, '', 0, 70);
    a.checkMax(70, 64);
    a.output(64, '', 0, 64);
    a.checkMax(64, 64);
    // no usage: the tokenizer says 80 words for 64 asked, which says more about the tokenizer
    a.output(-1, Array(80).fill('w').join(' '), 1, 80);
    a.checkMax(80, 64);
    const t = tokenCountsSummary(a.take()!);
    expect(t.overMax).toEqual({ requests: 1, tokens: 6 });
    expect(describeOverMax(t)).toMatch(/^1 output longer than the max_tokens asked \(6 tokens beyond/);
    expect(describeOverMax(tokenCountsSummary(emptyTokenInterval()))).toBeNull();
  });

  it('scales itl to the output count unless that count was one per chunk', () => {
    const a = new TokenAccounting(words());
    a.output(12, '', 0, 5);
    expect(a.itlTotal(12)).toBe(12);
    a.output(-1, 'a b c', 1, 5);
    expect(a.itlTotal(3)).toBe(3);
    a.output(-1, '', 0, 5);
    expect(a.itlTotal(5)).toBe(0);
  });
});
