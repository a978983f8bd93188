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
