/**
 * The DESIGN.md ITL rule: a chunk of k tokens arriving g ms after the previous token chunk records
 * k values of g/k. `record` is HDR's `recordValueWithCount` shape; the value is integer µs, rounded
 * to nearest, never negative. A chunk of fewer than one token, or a gap that is not a number, records
 * nothing.
 */
export function recordItl(record: (gapUs: number, count: number) => void, gapMs: number, tokens: number): void {
  const k = Math.floor(tokens);
  if (!(k >= 1) || !Number.isFinite(gapMs)) return;
  const gapUs = Math.round((gapMs * 1000) / k);
  record(gapUs > 0 ? gapUs : 0, k);
}

/**
 * Per-token ITL of one finished stream: chunk i arrived at `timesMs[i]` carrying `weights[i]`
 * (its token count, or the tokenizer's count of its text). With `total` > 0 the weights are scaled
 * so the chunks carry `total` tokens in all: chunk i gets round(total·W_i/W) − round(total·W_{i−1}/W)
 * tokens (W_i the running sum), so the counts are whole and add up to `total` exactly. Each chunk
 * with k ≥ 1 tokens after the first such chunk records k values of gap/k (recordItl); a chunk that
 * got no token is not an arrival. Returns the largest per-token gap in ms (0 when none).
 */
export function spreadItl(
  record: (gapUs: number, count: number) => void,
  timesMs: Float64Array,
  weights: Float64Array,
  n: number,
  total: number,
): number {
  let sum = 0;
  for (let i = 0; i < n; i++) sum += weights[i];
  const scale = total > 0 && sum > 0 ? total / sum : 1;
  let running = 0;
  let given = 0;
  let prevMs = NaN;
  let maxGapMs = 0;
  for (let i = 0; i < n; i++) {
    running += weights[i];
    const upTo = Math.round(running * scale);
    const k = upTo - given;
    given = upTo;
    if (k < 1) continue;
    if (prevMs === prevMs) {
      const gapMs = timesMs[i] - prevMs;
      if (gapMs / k > maxGapMs) maxGapMs = gapMs / k;
      recordItl(record, gapMs, k);
    }
    prevMs = timesMs[i];
  }
  return maxGapMs;
}
